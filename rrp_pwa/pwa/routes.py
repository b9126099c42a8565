from pathlib import Path

from flask import current_app, jsonify, render_template, url_for
from sqlalchemy import text

from rrp_pwa.auth.permissions import public
from rrp_pwa.extensions import db
from rrp_pwa.pwa import bp
from rrp_pwa.pwa.shell import OFFLINE_TEMPLATES, PUPIL_PAGES, shell_urls, shell_version

THEME_COLOUR = "#1f5f5b"
BACKGROUND_COLOUR = "#f7f5f0"


@bp.route("/manifest.webmanifest")
@public
def manifest():
    icon = lambda name, size, purpose: {  # noqa: E731
        "src": url_for("static", filename=f"icons/{name}"), "sizes": size, "type": "image/png", "purpose": purpose}
    body = {
        "name": "RRP - Restorative practice",
        "short_name": "RRP",
        "description": "Circles, check-ins, restorative chats, peer mediation and agreements for your school.",
        "id": "/",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "any",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [icon("icon-192.png", "192x192", "any"), icon("icon-512.png", "512x512", "any"),
                  icon("icon-maskable-512.png", "512x512", "maskable")],
    }
    response = jsonify(body)
    response.mimetype = "application/manifest+json"
    return response


@bp.route("/sw.js")
@public
def service_worker():
    """Served from the root so its scope is the whole app."""
    templates = (str(Path(current_app.template_folder) / name) for name in OFFLINE_TEMPLATES)
    version = shell_version(current_app.static_folder, *templates)
    body = render_template("pwa/sw.js", version=version, shell=shell_urls(), offline_url=url_for("pwa.offline"),
                           pupil_offline_url=url_for("pwa.offline_pupil"), pupil_pages=PUPIL_PAGES)
    response = current_app.response_class(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


def offline_page(template: str):
    """An offline page, which the service worker precaches; checked again on every install."""
    response = current_app.make_response(render_template(template))
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/offline")
@public
def offline():
    return offline_page("pwa/offline.html")


@bp.route("/offline/pupil")
@public
def offline_pupil():
    """The offline page for pupils' pages (a circle's seat and joining, the peer mediators'): no staff words."""
    return offline_page("pwa/offline_pupil.html")


@bp.route("/healthz")
@public
def healthz():
    """For load balancers: 200 when the database answers, 503 when it does not."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # the point is to report any failure, not to crash
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
