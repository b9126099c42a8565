"""Check-ins outside a circle: the class check-in station, staff check-ins, follow-ups."""
from flask import Blueprint

bp = Blueprint("checkins", __name__)

from rrp_pwa.checkins import routes  # noqa: E402,F401
