"""Safeguarding concerns and the DSL's restricted queue."""
from flask import Blueprint

bp = Blueprint("safeguarding", __name__)

from rrp_pwa.safeguarding import routes  # noqa: E402,F401
