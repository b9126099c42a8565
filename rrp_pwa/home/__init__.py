"""Each person's home screen: what they do most, by role."""
from flask import Blueprint

bp = Blueprint("home", __name__)

from rrp_pwa.home import routes  # noqa: E402,F401
