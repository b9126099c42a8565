"""The pupil record: one timeline gathered from every capability that writes about a pupil."""
from flask import Blueprint

bp = Blueprint("records", __name__)

from rrp_pwa.records import routes  # noqa: E402,F401
