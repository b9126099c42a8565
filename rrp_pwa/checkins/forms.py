"""Check-in forms. The fields stay plain (pupil_id, value, word) so an offline device can
replay the same post later."""
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, PasswordField, RadioField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from rrp_pwa.checkins.scales import SCALES
from rrp_pwa.checkins.stations import DEFAULT_STATION_MINUTES, STATION_MINUTES
from rrp_pwa.forms import choices


def strip(text: str | None) -> str | None:
    return text.strip() if isinstance(text, str) else text


class CheckInForm(FlaskForm):
    """One check-in: the value tapped (a submit button named ``value``) and an optional word."""

    value = IntegerField("Check-in", validators=[InputRequired("Choose one of the check-in buttons.")])
    word = StringField("A word about how you feel (you can leave this empty)", filters=[strip],
                       validators=[Optional(), Length(max=40, message="Keep the word short: 40 letters at most.")])


class StationCheckInForm(CheckInForm):
    pupil_id = IntegerField("Pupil", validators=[InputRequired("Tap your name first.")])
    # this check-in's own id: a tap sent again after a lost answer is stored once
    client_uuid = HiddenField(validators=[Optional(), Length(max=36)])


class OpenStationForm(FlaskForm):
    minutes = SelectField("Close the station after", coerce=int, default=DEFAULT_STATION_MINUTES,
                          choices=choices((m, f"{m} minutes") for m in STATION_MINUTES),
                          description="It also closes when you end it from your phone.")
    submit = SubmitField("Open the station on this device")


class LeaveStationForm(FlaskForm):
    password = PasswordField("Teacher's password", validators=[DataRequired("Enter the password.")],
                             render_kw={"autocomplete": "off"})
    submit = SubmitField("Leave station mode")


class ScaleForm(FlaskForm):
    scale = RadioField("Check-in scale", choices=choices((key, scale.name) for key, scale in SCALES.items()),
                       validators=[InputRequired("Choose a scale.")])
    submit = SubmitField("Save scale")


class EmptyForm(FlaskForm):
    """Only the CSRF token: end a station, go back to being the station."""
