"""The installable shell: web app manifest, service worker, offline page and health check."""
from flask import Blueprint

bp = Blueprint("pwa", __name__)

from rrp_pwa.pwa import routes  # noqa: E402,F401
