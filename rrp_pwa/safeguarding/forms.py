"""Raising a concern, and the DSL marking one seen."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SearchField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from rrp_pwa.forms import form_id_field
from rrp_pwa.safeguarding.concerns import MAX_ACTION

NOT_CHOSEN = -1  # "Who is it about?" when the flow had several pupils: nobody is chosen for the person


class ConcernForm(FlaskForm):
    pupil_id = SelectField("Who is it about?", coerce=int, validators=[Optional()])
    find = SearchField("Search for the pupil", validators=[
        Optional(), Length(max=60, message="Type only the first letters of a name.")])
    find_pupil = SubmitField("Find")  # the form's first button: Enter in a field finds, never sends the concern
    follow = HiddenField()  # sent by the panel's script: shown again for the flow's pupils as they are now, not sent
    who_chosen = HiddenField()  # "1" once the person (or Find) chose who it is about: the panel following keeps it
    subject_name = StringField("Their name, if not listed (optional)", validators=[
        Optional(), Length(max=120, message="Keep the name to 120 characters.")])
    note = TextAreaField("What did you see or hear?",
                         description="Facts, in the words used. Don't investigate; the DSL will follow up.",
                         validators=[InputRequired("Write what you saw or heard."),
                                     Length(max=5000, message="Keep the note under 5,000 characters.")])
    context = HiddenField()
    context_id = HiddenField()
    next = HiddenField()
    client_uuid = form_id_field()  # sent again after no answer, or tapped twice: one concern for the DSL
    submit = SubmitField("Send to the DSL")

    def validate_pupil_id(self, field: SelectField) -> None:
        if field.data == NOT_CHOSEN:
            raise ValidationError("Choose who the concern is about, or 'Someone else / not listed'.")


class SeenForm(FlaskForm):
    submit = SubmitField("Mark seen")


class ReopenForm(FlaskForm):
    submit = SubmitField("Reopen")


class ActionForm(FlaskForm):
    note = TextAreaField("What was done or decided?",
                         description="For example: spoke to the child, called home, referred to children's social care, "
                                     "decided to monitor. Only the DSL sees this.",
                         validators=[InputRequired("Write what was done or decided."),
                                     Length(max=MAX_ACTION, message=f"Keep the note under {MAX_ACTION:,} characters.")])
    close = BooleanField("This closes the concern (the note says the outcome)")
    submit = SubmitField("Record it")
