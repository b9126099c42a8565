"""Flask-Login wiring and the idle timeout for shared devices."""
import time
from urllib.parse import urlsplit

from flask import (Flask, current_app, flash, g, jsonify, make_response, redirect, render_template, request,
                   session, url_for)
from flask_login import current_user, logout_user
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from rrp_pwa.auth.permissions import wants_machine_answer
from rrp_pwa.auth.sign_ins import note_activity
from rrp_pwa.auth.signin import is_local_path, load_staff, minutes_text
from rrp_pwa.checkins.device import SESSION_KEY as STATION_KEY
from rrp_pwa.extensions import htmx, login_manager


def init_app(app: Flask) -> None:
    login_manager.user_loader(load_staff)
    login_manager.unauthorized_handler(unauthorized)
    app.before_request_funcs.setdefault(None, []).insert(0, forget_previous_request)
    app.before_request(enforce_idle_timeout)


def forget_previous_request() -> None:
    """Work out who is signed in, and the CSRF token, from this request's own cookie.

    Flask-Login and Flask-WTF cache both in ``g``, which lives as long as the app context; a
    context that spans several requests (the test suite keeps one open; so does a streamed
    response) would otherwise hand the previous request's user to the next.
    """
    g.pop("_login_user", None)
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


def unauthorized():
    """Pages go to sign-in with a safe return path; htmx, JSON and streams get a plain 401.

    An htmx 401 also carries ``HX-Redirect`` to sign-in, returning to the page the person was
    on, so a search typed after an idle timeout leads to sign-in instead of doing nothing.
    """
    if wants_machine_answer():
        if request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/"):
            return jsonify(error="Sign in first."), 401
        response = make_response(render_template("errors/_error.html", code=401,
                                                 message="Please sign in again."), 401)
        if htmx:
            response.headers["HX-Redirect"] = url_for("auth.sign_in", next=page_path(htmx.current_url))
        return response
    if session.get(STATION_KEY) is not None and not request.path.startswith(url_for("checkins.station")):
        # a check-in station's tablet (Back, or a page typed in): back to the names, not the staff sign-in
        return redirect(url_for("checkins.station"))
    flash("Please sign in to continue.")
    # A form sent (a tap after an idle timeout) returns to the page it was on: its own address takes
    # only POST, so going back there after sign-in would say "Method not allowed".
    back = request.full_path.rstrip("?") if request.method == "GET" else page_path(request.referrer)
    return redirect(url_for("auth.sign_in", next=back))


def page_path(url: str | None) -> str | None:
    """The path and query of a page's address (HX-Current-URL, Referer), if it is a page of this site that can be
    opened again: not the address of a form's answer (the asking page, a refused form shown again), which takes
    only POST - after signing in it would say "Method not allowed"."""
    parts = urlsplit(url or "")
    back = parts.path + (f"?{parts.query}" if parts.query else "")
    if not is_local_path(back):
        return None
    try:
        current_app.url_map.bind("localhost").match(parts.path, method="GET")
    except RequestRedirect:  # a slash added: still a page
        pass
    except HTTPException:  # 405 (the answer to a POST), 404
        return None
    return back


def enforce_idle_timeout():
    """Sign a staff member out after IDLE_TIMEOUT_MINUTES without a request (shared devices)."""
    if request.endpoint in (None, "static") or not current_user.is_authenticated:
        return None
    now, limit = int(time.time()), int(current_app.config["IDLE_TIMEOUT_MINUTES"]) * 60
    last = session.get("seen")
    if last is not None and now - last > limit:
        logout_user()
        session.clear()
        flash(f"You were signed out after {minutes_text(limit // 60)} without activity.")
        return unauthorized()
    if not is_background_request():
        note_activity(session, now)
    return None



def is_background_request() -> bool:
    """A request the page makes by itself (a live stream, a panel polling for alerts): it does not
    count as activity, so a home screen left open on a shared device still times out."""
    return (request.headers.get("X-RRP-Background") == "1"
            or request.accept_mimetypes.best == "text/event-stream")

