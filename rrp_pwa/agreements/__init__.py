"""Agreements made in circles and conversations, and their follow-up reviews."""
from flask import Blueprint

bp = Blueprint("agreements", __name__)

from rrp_pwa.agreements import routes  # noqa: E402,F401
