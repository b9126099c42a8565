"""The school's roster: staff, pupils, groups and their admin screens."""
from flask import Blueprint

bp = Blueprint("roster", __name__)

from rrp_pwa.roster import routes  # noqa: E402,F401
