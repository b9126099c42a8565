from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from rrp_pwa.forms import CheckboxesField, choices, form_id_field
from rrp_pwa.models.circles import CIRCLE_KIND_LABELS


class StartCircleForm(FlaskForm):
    kind = RadioField("What kind of circle?", choices=choices(CIRCLE_KIND_LABELS.items()), default="checkin",
                      validators=[DataRequired("Choose what kind of circle this is.")])
    group = SelectField("Who is it for?", coerce=int, validate_choice=True)
    one_device = BooleanField("One device: I'll pass this phone or tablet round")
    auto_admit = BooleanField("Let people in as soon as they join (auto-admit)")
    prompts = CheckboxesField("Questions for the rounds (optional)")


class JoinCodeForm(FlaskForm):
    code = StringField("Circle code",
                       description="6 letters and numbers, on the screen of the adult keeping the circle.",
                       validators=[DataRequired("Type the code from the screen of the adult keeping the circle."),
                                   Length(max=12)])


class JoinNameForm(FlaskForm):
    pupil = RadioField("Tap your name", coerce=int, validate_choice=False)
    name = StringField("Your first name", validators=[Length(max=40, message="Just your first name, please.")])


class RoundForm(FlaskForm):
    round_kind = RadioField("Kind of round", choices=choices([("talk", "Talking round"), ("checkin", "Check-in round")]),
                      default="talk")
    prompt = SelectField("Question from the bank", validate_choice=False, validators=[Length(max=300)])
    typed = StringField("Or type a question", validators=[Length(max=300, message="Keep the question to 300 characters.")],
                        description="A check-in round with none asks the check-in scale's own question.")


class AgreementForm(FlaskForm):
    kind = RadioField("Kind of agreement", default="value",
                      choices=choices([("value", "Circle agreement (how we will be together)"),
                                       ("action", "Action (who will do what, by when)")]))
    what = TextAreaField("What has been agreed", validators=[DataRequired("Say what has been agreed."),
                                                             Length(max=500)])
    by_when = DateField("By when (actions)", validators=[Optional()])
    review_on = DateField("Review on (actions)", description="Left empty: two weeks from today, or the 'by when' date.",
                          validators=[Optional()])


class ConcernForm(FlaskForm):
    seat = SelectField("Who is it about?", coerce=lambda value: int(value) if value else None, validate_choice=False,
                       validators=[InputRequired("Choose who the concern is about.")])
    note = TextAreaField("What you saw or heard, in the words used",
                         description="This goes only to the Designated Safeguarding Lead. It is not part of the circle's record.",
                         validators=[DataRequired("Write what you saw or heard."), Length(max=5000)])
    client_uuid = form_id_field()  # sent again after no answer, or tapped twice: one concern for the DSL


class AddSeatForm(FlaskForm):
    name = StringField("Add someone by first name", validators=[DataRequired("Type a first name."), Length(max=40)])


class PromptForm(FlaskForm):
    stage = RadioField("For", choices=choices([("primary", "Primary"), ("secondary", "Secondary")]), default="primary")
    text = StringField("Question", validators=[DataRequired("Type the question."), Length(max=300)])


class RemovePromptForm(FlaskForm):
    text = HiddenField(validators=[DataRequired()])
