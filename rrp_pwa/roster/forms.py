from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from rrp_pwa.forms import CheckboxesField, choices
from rrp_pwa.models.roster import GROUP_KIND_LABELS, ROLE_LABELS

PASSWORD_HELP = "At least 10 characters. A phrase of a few words is easy to remember and hard to guess."
RETYPE_PASSWORD = "Type the password again: it is never shown back."


def at_least_one(form, field):
    if not field.data:
        raise ValidationError("Choose at least one role.")


class StaffForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Enter their name."), Length(max=120)])
    email = EmailField("Email", validators=[DataRequired("Enter their school email."),
                                            Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="Enter an email address like name@school.org."), Length(max=254)])
    roles = CheckboxesField("Roles", choices=choices(ROLE_LABELS.items()), validators=[at_least_one])
    removal_confirmed = HiddenField()  # "1" once the admin has been asked about the roles being taken away
    submit = SubmitField("Save")


class NewStaffForm(StaffForm):
    password = PasswordField("First password", description=PASSWORD_HELP,
                             validators=[DataRequired("Set a first password."),
                                         Length(min=10, max=200, message="Use at least 10 characters.")])
    submit = SubmitField("Add staff member")


class PasswordResetForm(FlaskForm):
    password = PasswordField("New password", description=PASSWORD_HELP,
                             validators=[DataRequired("Enter a new password."),
                                         Length(min=10, max=200, message="Use at least 10 characters.")])
    submit = SubmitField("Reset password")


class FirstPasswordForm(FlaskForm):
    password = PasswordField("First password", description=PASSWORD_HELP,
                             validators=[DataRequired("Set a first password."),
                                         Length(min=10, max=200, message="Use at least 10 characters.")])
    submit = SubmitField("Set the password and let them sign in")


class PupilForm(FlaskForm):
    given_name = StringField("Given name", validators=[DataRequired("Enter the pupil's given name."), Length(max=80)])
    family_name = StringField("Family name", validators=[DataRequired("Enter the pupil's family name."), Length(max=80)])
    preferred_name = StringField("Preferred name", validators=[Optional(), Length(max=80)],
                                 description="Shown instead of the given name, if the pupil has one.")
    year_group = StringField("Year group", validators=[Optional(), Length(max=20)],
                             description="For example Year 4 or Reception.")
    external_id = StringField("MIS id", validators=[Optional(), Length(max=64)],
                              description="The pupil's id in the school's MIS, if you know it.")
    peer_mediator = BooleanField("Trained peer mediator")
    submit = SubmitField("Save pupil")


class GroupForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Enter a name for the group."), Length(max=120)])
    kind = SelectField("Kind", choices=choices(GROUP_KIND_LABELS.items()))
    external_id = StringField("MIS id", validators=[Optional(), Length(max=64)])
    submit = SubmitField("Save group")


class MembersForm(FlaskForm):
    pupils = CheckboxesField("Pupils", coerce=int)
    staff = CheckboxesField("Staff", coerce=int)
    submit = SubmitField("Save members")
