from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from rrp_pwa.auth import bp
from rrp_pwa.auth.forms import SignInForm, SignOutEverywhereForm
from rrp_pwa.auth.permissions import public, staff_required
from rrp_pwa.auth.sign_ins import end_sign_in, start_sign_in
from rrp_pwa.auth.signin import (
    SignInLimits,
    SignInRefused,
    SignInThrottled,
    authenticate,
    is_local_path,
    sign_out_everywhere,
)
from rrp_pwa.extensions import db


def safe_next(target: str | None) -> str:
    """Where to go after sign-in: ``next`` if it is a path on this site, else the home screen."""
    return target if is_local_path(target) else url_for("home.index")


@bp.route("/sign-in", methods=["GET", "POST"])
@public
def sign_in():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form, status = SignInForm(), 200
    if form.validate_on_submit():
        cfg = current_app.config
        limits = SignInLimits(cfg["LOGIN_ACCOUNT_LIMIT"], cfg["LOGIN_IP_LIMIT"], cfg["LOGIN_WINDOW_SECONDS"])
        try:
            staff = authenticate(form.email.data, form.password.data, request.remote_addr or "?",
                                 current_app.extensions["rrp_throttle"], limits)
        except SignInThrottled as exc:
            form.form_errors.append(
                f"Too many sign-in attempts {'for this account' if exc.scope == 'account' else 'from this network'}. "
                f"Please wait {exc.minutes} minutes, or ask your school's admin to reset your password.")
            status = 429
        except SignInRefused:
            form.form_errors.append("That email and password don't match an active account. Check them and try again.")
            status = 401
        else:
            start_sign_in()
            login_user(staff)
            return redirect(safe_next(request.args.get("next")))
    return render_template("auth/sign_in.html", form=form), status


@bp.route("/sign-out", methods=["POST"])
@public
def sign_out():
    logout_user()
    end_sign_in()
    flash("You have signed out.")
    return redirect(url_for("auth.sign_in"))


@bp.route("/account", methods=["GET", "POST"])
@staff_required()
def account():
    form = SignOutEverywhereForm()
    if form.validate_on_submit():
        sign_out_everywhere(current_user)
        db.session.commit()
        logout_user()
        end_sign_in()
        flash("You have been signed out on every device.")
        return redirect(url_for("auth.sign_in"))
    return render_template("auth/account.html", form=form)
