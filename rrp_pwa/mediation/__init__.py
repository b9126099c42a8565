"""Peer mediation on shared tablets, led by pupil mediators, reviewed by staff."""
from flask import Blueprint

bp = Blueprint("mediation", __name__)

from rrp_pwa.mediation import review, routes, staff_routes  # noqa: E402,F401  (routes, tiles, timeline source)
