"""Forms of quick chats, restorative conversations, conferences and their school settings."""
from datetime import date

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, RadioField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from rrp_pwa.agreements.rules import REVIEW_AFTER
from rrp_pwa.conversations.chats import MAX_NOTE as MAX_CHAT_NOTE
from rrp_pwa.conversations.restorative import MAX_NOTE, MAX_SUMMARY
from rrp_pwa.forms import CheckboxesField, choices


class PupilIdsField(SelectMultipleField):
    """The chosen pupils as hidden ids; the domain checks they are of this school."""

    def pre_validate(self, form) -> None:
        """Any ids may be posted; unknown or foreign ones are refused by the rule, not here."""


class ChatForm(FlaskForm):
    pupil_id = PupilIdsField("Pupils", coerce=int)
    what = RadioField("What happened", validators=[InputRequired("Choose what happened.")])
    where = RadioField("Where", validators=[InputRequired("Choose where it happened.")])
    agreed = RadioField("What was agreed (optional)", default="", validators=[Optional()])
    note = StringField("Short note (optional)",
                       description="Part of the school record. A worry about a child's safety goes in "
                                   "Raise a concern, not here.",
                       validators=[Optional(), Length(max=MAX_CHAT_NOTE,
                                                      message=f"Keep the note to {MAX_CHAT_NOTE} characters.")])
    client_uuid = HiddenField(validators=[Optional(), Length(max=36)])
    submit = SubmitField("Save chat")

    def set_chips(self, what: list[str], where: list[str], agreed: list[str]) -> "ChatForm":
        self.what.choices = choices((label, label) for label in what)
        self.where.choices = choices((label, label) for label in where)
        self.agreed.choices = choices([("", "Nothing yet")] + [(label, label) for label in agreed])
        return self


class ChipsForm(FlaskForm):
    what = TextAreaField("What happened", description="One chip per line, up to 16.",
                         validators=[InputRequired("Give at least one chip.")])
    where = TextAreaField("Where", description="One chip per line, up to 16.",
                          validators=[InputRequired("Give at least one chip.")])
    agreed = TextAreaField("What was agreed", description="One chip per line, up to 16.",
                           validators=[InputRequired("Give at least one chip.")])
    submit = SubmitField("Save chips")


class QuestionsForm(FlaskForm):
    caused_harm = TextAreaField("To the person who caused harm", description="One question per line, up to 10.",
                                validators=[InputRequired("Give at least one question.")])
    harmed = TextAreaField("To the person harmed", description="One question per line, up to 10.",
                           validators=[InputRequired("Give at least one question.")])
    others = TextAreaField("To witnesses, supporters and others affected",
                           description="One question per line, up to 10.",
                           validators=[InputRequired("Give at least one question.")])
    submit = SubmitField("Save questions")


class WordingForm(FlaskForm):
    wording = HiddenField(validators=[InputRequired()])


class StartForm(FlaskForm):
    """Who took part and in what role; the per-person fields are read by ``people_from``."""

    summary = TextAreaField("What happened (optional, short)", validators=[
        Optional(), Length(max=MAX_SUMMARY, message=f"Keep the summary to {MAX_SUMMARY} characters.")])
    submit = SubmitField("Start")


class StepForm(FlaskForm):
    """A step whose fields are one per participant or question; only the CSRF token is declared."""

    submit = SubmitField("Save and continue")


class FinishForm(FlaskForm):
    what = TextAreaField("What has been agreed", validators=[
        Optional(), Length(max=500, message="Keep the agreement to 500 characters.")])
    owners = CheckboxesField("Who agreed to it", coerce=int)
    by_when = DateField("By when (optional)", validators=[Optional()])
    review_on = DateField("Review the agreement on", description="Left empty: two weeks from today, or the 'by when' date.",
                          validators=[Optional()])
    review_suggested = HiddenField()  # the review date the page filled in, to tell it from one chosen
    meeting_notes = TextAreaField("Meeting notes (optional)", validators=[
        Optional(), Length(max=MAX_NOTE, message=f"Keep the meeting notes to {MAX_NOTE:,} characters.")])
    review_meeting_on = DateField("Review meeting date", description="The agreement is reviewed at this meeting.",
                                  validators=[Optional()])
    submit = SubmitField("Finish")

    def set_defaults(self, today: date, conference: bool = False) -> "FinishForm":
        """A conversation's review date starts two weeks ahead; a conference's agreement is reviewed
        at its review meeting, so it has no date of its own."""
        if self.review_on.data is None and not self.is_submitted() and not conference:
            self.review_on.data = today + REVIEW_AFTER
            self.review_suggested.data = self.review_on.data.isoformat()
        return self

    def chosen_review_on(self) -> date | None:
        """The review date the person chose; None when they left the one filled in for them, so the
        agreement's rule decides it as if left empty (the 'by when' date, else two weeks from today): a
        'by when' date later than the suggestion then moves the review with it instead of being refused."""
        review_on = self.review_on.data
        if review_on is not None and review_on.isoformat() == (self.review_suggested.data or ""):
            return None
        return review_on
