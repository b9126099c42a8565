"""The installable shell: web app manifest, service worker, offline page and health check."""
from flask import Blueprint

from rrp_pwa.pwa.shell import version_static_urls

bp = Blueprint("pwa", __name__)
bp.app_url_defaults(version_static_urls)

from rrp_pwa.pwa import routes  # noqa: E402,F401
