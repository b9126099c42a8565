from typing import Callable

from flask_wtf import FlaskForm
from wtforms import DateField, Field, IntegerField, PasswordField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp
from wtforms.widgets import HiddenInput

from rrp_pwa.agreements.rules import REVIEW_IN_WEEKS
from rrp_pwa.forms import choices, form_id_field
from rrp_pwa.mediation.flow import FEELINGS, MAX_IDEAS, MAX_PLACE, MAX_WORDS
from rrp_pwa.models.mediation import MediationParty


class MediatorSignInForm(FlaskForm):
    username = StringField("Your username", validators=[DataRequired("Type your username."), Length(max=32)],
                           render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"})
    pin = PasswordField("Your PIN", validators=[DataRequired("Type your PIN."), Length(max=8)],
                        render_kw={"inputmode": "numeric", "autocomplete": "off"})
    submit = SubmitField("Sign in")


class BadgeSignInForm(FlaskForm):
    submit = SubmitField("Yes, sign me in")


class MediatorLoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired("Choose a username."), Length(max=32)],
                           description="3-32 lower-case letters, numbers, dots or dashes. Unique across schools.",
                           render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"})
    pin = PasswordField("New PIN", validators=[DataRequired("Choose a PIN."),
                                               Regexp(r"^[0-9]{4,8}$", message="The PIN must be 4 to 8 digits.")],
                        description="4 to 8 digits. Tell the mediator in person; it is not shown again.",
                        render_kw={"inputmode": "numeric", "autocomplete": "new-password"})
    submit = SubmitField("Save username and PIN")



class VersionedForm(FlaskForm):
    """Every mediation form carries the version of the screen it came from."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class StartForm(FlaskForm):
    place = StringField("Where are you? (optional)", validators=[Optional(), Length(max=MAX_PLACE)],
                        description="So an adult can find you, e.g. the library or the quiet room.")
    submit = SubmitField("Start a mediation")


class FindPupilForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("Type a first name", validators=[Optional(), Length(max=80)],
                    render_kw={"autocomplete": "off", "type": "search"})


class PartyForm(VersionedForm):
    pupil_id = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class AgreementStepForm(VersionedForm):
    """The agreement step: what each person will do (the party fields), and when the mediators will check it is
    working - the review date, in words a young mediator knows. Not sent (a screen from before the choice
    was offered): the choice already made, else two weeks."""

    review_weeks = RadioField("When will we check it is working?", coerce=int, default=2,
                              choices=choices(REVIEW_IN_WEEKS.items()), validators=[Optional()])


def party_form(field: Callable[[str], Field], label: str, parties: list[MediationParty],
               values: dict[int, str | None], base: type[VersionedForm] = VersionedForm,
               **data) -> VersionedForm:
    """A ``base`` form with one ``field`` per party (named ``p<party id>``), pre-filled from ``values``
    (and ``data`` for the form's own fields)."""

    class PartyFieldsForm(base):
        pass

    for party in parties:
        setattr(PartyFieldsForm, f"p{party.id}", field(label.format(name=party.name)))
    return PartyFieldsForm(data={f"p{party_id}": value for party_id, value in values.items()} | data)


def by_party(form: VersionedForm, parties: list[MediationParty]) -> dict[int, str | None]:
    return {party.id: form[f"p{party.id}"].data for party in parties}


def story_field(label: str) -> TextAreaField:
    return TextAreaField(label, validators=[Optional(), Length(max=MAX_WORDS)],
                         description="Only a few key words, if you like.")


def feeling_field(label: str) -> RadioField:
    return RadioField(label, choices=choices(FEELINGS),
                      validators=[Optional()], validate_choice=True)


def agreement_field(label: str) -> TextAreaField:
    return TextAreaField(label, validators=[DataRequired("Write what they will do."), Length(max=500)])


def draft_agreement_field(label: str) -> TextAreaField:
    """An agreement still being written (the mediators go back a step): it may be empty for now."""
    return TextAreaField(label, validators=[Optional(), Length(max=500)])


class IdeasForm(VersionedForm):
    ideas = TextAreaField("Ideas to make things right", validators=[Optional(), Length(max=MAX_IDEAS)],
                          description="Write down the ideas both people suggest.")


class WorryForm(FlaskForm):
    note = TextAreaField("What did you see or hear?", validators=[DataRequired("Write what you heard."),
                                                                   Length(max=5000)],
                         description="Use the words the person said. Only the safeguarding lead sees this.")
    about = RadioField("Who is it about?", validators=[Optional()], validate_choice=True)
    client_uuid = form_id_field()  # sent again after no answer, or tapped twice: one concern for the DSL
    submit = SubmitField("Tell the adult")


class ReviewForm(FlaskForm):
    review_on = DateField("Follow-up review of the agreements on", validators=[Optional()],
                          description="When the agreements come up under Reviews due. The mediators chose it; "
                                      "change it if it should be sooner or later.")
    note = TextAreaField("Review note (optional)", validators=[Optional(), Length(max=2000)])
    submit = SubmitField("Mark reviewed")
