"""Staff sign-in, sessions, roles and the permission decorators every route declares."""
from flask import Blueprint

bp = Blueprint("auth", __name__)

from rrp_pwa.auth import routes  # noqa: E402,F401
