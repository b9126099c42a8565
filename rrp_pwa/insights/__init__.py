"""The school overview: how much restorative work happened over a period, how agreements held up,
and which pupils keep coming back (for the pastoral lead, the DSL and the head)."""
from flask import Blueprint

bp = Blueprint("insights", __name__)

from rrp_pwa.insights import routes  # noqa: E402,F401
