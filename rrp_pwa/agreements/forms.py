"""The follow-up review form."""
from datetime import date

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, RadioField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from rrp_pwa.agreements.rules import REVIEW_AFTER
from rrp_pwa.forms import choices
from rrp_pwa.models.agreements import OUTCOME_LABELS


class ReviewForm(FlaskForm):
    outcome = RadioField("Was it kept?", choices=choices(OUTCOME_LABELS.items()),
                         validators=[InputRequired("Choose kept, partly kept or not kept.")])
    note = TextAreaField("Note (optional)", validators=[Optional(), Length(max=2000,
                         message="Keep the note to 2,000 characters.")])
    review_again_on = DateField("If partly kept: review it again on", validators=[Optional()])
    seen_reviews = IntegerField(widget=HiddenField.widget, validators=[Optional()])
    submit = SubmitField("Save review")

    def set_defaults(self, today: date) -> "ReviewForm":
        if self.review_again_on.data is None and not self.is_submitted():
            self.review_again_on.data = today + REVIEW_AFTER
        return self


class MoveReviewForm(FlaskForm):
    """Move the day an agreement comes up for review (a pupil is away, a holiday falls on it)."""
    review_on = DateField("Review it on", validators=[InputRequired("Choose the day to review the agreement.")])
    submit = SubmitField("Move the review")
