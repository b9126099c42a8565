"""Offline sync, OneRoster roster import, the event feed, webhooks and exports."""
from flask import Blueprint

bp = Blueprint("sync", __name__)

from rrp_pwa.sync import routes  # noqa: E402,F401
