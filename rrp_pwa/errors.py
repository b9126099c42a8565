"""Friendly error pages that also work as htmx fragments."""
from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from rrp_pwa.extensions import db, htmx

MESSAGES = {
    400: "Something in that request wasn't right. Go back and try again; if a form expired, reload the page.",
    401: "Please sign in again.",
    403: "You don't have permission to see this. If you think you should, ask your school's admin.",
    404: "We couldn't find that page. It may have been moved, or it belongs to another school.",
    405: "That action isn't available here.",
    409: "Someone else changed this a moment ago. Here is the latest.",
    413: "That file is too large.",
    429: "Too many attempts. Please wait a little and try again.",
    500: "Something went wrong on our side. Nothing you typed was your fault; please try again.",
}


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, render_error)
    app.register_error_handler(InternalServerError, render_error)


def render_error(error: HTTPException):
    code = error.code or 500
    if code >= 500:  # an unexpected error may have left the transaction failed; the page itself reads the database
        db.session.rollback()
    message = MESSAGES.get(code, error.description)
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return jsonify(error=message), code
    template = "errors/_error.html" if htmx and not htmx.boosted else "errors/error.html"
    return render_template(template, code=code, message=message), code

