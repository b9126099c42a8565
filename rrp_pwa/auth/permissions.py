"""Permission decorators. Every view declares one; a test walks the URL map to prove it.

``view.access`` records the declaration so the test (and a reader) can see who may use a route.
"""
from functools import wraps
from typing import Callable

from flask import abort, request
from flask_login import current_user

from rrp_pwa.extensions import htmx, login_manager


def public(view: Callable) -> Callable:
    """Anyone may use this route, signed in or not (sign-in page, manifest, health check)."""
    view.access = "public"
    return view


def staff_required(*roles: str) -> Callable[[Callable], Callable]:
    """Signed-in, active staff; with ``roles``, only staff holding at least one of them."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if roles and not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        wrapped.access = ("staff", roles)
        return wrapped

    return decorator


def wants_machine_answer() -> bool:
    """True for htmx, JSON, API and event-stream requests: they get a status, never a redirect."""
    if htmx or request.path.startswith("/api/"):
        return True
    accept = request.accept_mimetypes
    best = accept.best_match(["text/html", "application/json", "text/event-stream"])
    return best in ("application/json", "text/event-stream")
