from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from rrp_pwa.auth import bp
from rrp_pwa.auth.forms import ChangePasswordForm, SignInForm, SignOutEverywhereForm
from rrp_pwa.auth.permissions import public, staff_required
from rrp_pwa.auth.sign_ins import end_sign_in, start_sign_in
from rrp_pwa.auth.signin import (
    SignInLimits,
    SignInRefused,
    SignInThrottled,
    authenticate,
    change_password,
    is_local_path,
    minutes_text,
    sign_out_everywhere,
)
from rrp_pwa.extensions import db


def sign_in_limits() -> SignInLimits:
    cfg = current_app.config
    return SignInLimits(cfg["LOGIN_ACCOUNT_LIMIT"], cfg["LOGIN_IP_LIMIT"], cfg["LOGIN_WINDOW_SECONDS"])


def throttled_message(exc: SignInThrottled) -> str:
    return (f"Too many sign-in attempts {'for this account' if exc.scope == 'account' else 'from this network'}. "
            f"Please wait {minutes_text(exc.minutes)}, or ask your school's admin to reset your password.")


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
        try:
            staff = authenticate(form.email.data, form.password.data, request.remote_addr or "?",
                                 current_app.extensions["rrp_throttle"], sign_in_limits())
        except SignInThrottled as exc:
            form.form_errors.append(throttled_message(exc))
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
    return render_template("auth/account.html", form=form, password_form=ChangePasswordForm(formdata=None))


@bp.route("/account/password", methods=["POST"])
@staff_required()
def account_password():
    """Change one's own password; this device stays signed in, every other one is signed out."""
    form, status = ChangePasswordForm(), 400
    if form.validate_on_submit():
        staff = current_user._get_current_object()
        try:
            change_password(staff, form.current_password.data, form.new_password.data, request.remote_addr or "?",
                            current_app.extensions["rrp_throttle"], sign_in_limits())
        except SignInThrottled as exc:
            form.current_password.errors.append(throttled_message(exc).replace("sign-in attempts", "wrong passwords"))
            status = 429
        except SignInRefused:
            form.current_password.errors.append("That isn't your current password. Check it and try again.")
        else:
            db.session.commit()
            login_user(staff)  # the new session epoch: this device stays signed in
            flash("Your password has been changed. Any other device you were signed in on has been signed out.")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=SignOutEverywhereForm(formdata=None), password_form=form), status
