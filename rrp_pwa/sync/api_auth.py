"""Access decorator for the machine API: a per-school bearer token, never a browser session."""
from functools import wraps
from typing import Callable

from flask import g, jsonify, request

from rrp_pwa.extensions import csrf, db
from rrp_pwa.sync.tokens import school_for_token


def token_required(view: Callable) -> Callable:
    """Requires ``Authorization: Bearer <token>``; answers 401 JSON without a live token.

    Sets ``g.api_school_id``: every query of the view is for that school only. Token requests
    carry no cookies, so CSRF does not apply.
    """

    @wraps(view)
    def wrapped(*args, **kwargs):
        scheme, _, plain = request.headers.get("Authorization", "").partition(" ")
        school_id = school_for_token(plain.strip()) if scheme.lower() == "bearer" else None
        if school_id is None:
            response = jsonify(error="unauthorized", message="Send a live API token: Authorization: Bearer rrp_...")
            response.status_code = 401
            response.headers["WWW-Authenticate"] = 'Bearer realm="rrp"'
            return response
        db.session.commit()  # keeps last_used_at
        g.api_school_id = school_id
        return view(*args, **kwargs)

    wrapped.access = "api-token"
    return csrf.exempt(wrapped)
