"""Flask-Login wiring and the idle timeout for shared devices."""
import time

from flask import Flask, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user

from rrp_pwa.auth.permissions import wants_machine_answer
from rrp_pwa.auth.signin import load_staff
from rrp_pwa.extensions import login_manager


def init_app(app: Flask) -> None:
    login_manager.user_loader(load_staff)
    login_manager.unauthorized_handler(unauthorized)
    app.before_request(enforce_idle_timeout)


def unauthorized():
    """Pages go to sign-in with a safe return path; htmx, JSON and streams get a plain 401."""
    if wants_machine_answer():
        if request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/"):
            return jsonify(error="Sign in first."), 401
        return render_template("errors/_error.html", code=401, message="Please sign in again."), 401
    flash("Please sign in to continue.")
    return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))


def enforce_idle_timeout():
    """Sign a staff member out after IDLE_TIMEOUT_MINUTES without a request (shared devices)."""
    if request.endpoint in (None, "static") or not current_user.is_authenticated:
        return None
    now, limit = int(time.time()), int(current_app.config["IDLE_TIMEOUT_MINUTES"]) * 60
    last = session.get("seen")
    if last is not None and now - last > limit:
        logout_user()
        session.clear()
        flash(f"You were signed out after {limit // 60} minutes without activity.")
        return unauthorized()
    session["seen"] = now
    return None

