from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, Length

from rrp_pwa.roster.forms import PASSWORD_HELP


class SignInForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired("Enter your school email."), Length(max=254)],
                       render_kw={"autocomplete": "username", "inputmode": "email"})
    password = PasswordField("Password", validators=[DataRequired("Enter your password."), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})
    submit = SubmitField("Sign in")


class SignOutEverywhereForm(FlaskForm):
    submit = SubmitField("Sign out on every device")


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password",
                                     validators=[DataRequired("Enter your current password."), Length(max=200)],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField("New password", description=PASSWORD_HELP,
                                 validators=[DataRequired("Enter a new password."),
                                             Length(min=10, max=200, message="Use at least 10 characters.")],
                                 render_kw={"autocomplete": "new-password"})
    submit = SubmitField("Change my password")
