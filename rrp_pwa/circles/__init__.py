"""Circles: open by QR code, a live talking piece, rounds, check-ins, agreements, closing."""
from flask import Blueprint

bp = Blueprint("circles", __name__)

from rrp_pwa.circles import routes  # noqa: E402,F401
