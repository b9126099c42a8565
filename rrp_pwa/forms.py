"""Form helpers shared by every capability."""
from collections.abc import Iterable
from uuid import uuid4

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectMultipleField, SubmitField
from wtforms.widgets import CheckboxInput, ListWidget


def choices(pairs: Iterable[tuple[object, str]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms SelectChoice objects (tuples are deprecated in WTForms 3.3)."""
    return [SelectChoice(value, label) for value, label in pairs]


class CheckboxesField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def form_id_field() -> HiddenField:
    """The id a form is given when it is drawn (``client_uuid``), so sending it twice stores one record.
    A refused form sent back keeps the id it was sent with; a form drawn without one (or posted by a page
    drawn before it had one) gets a new one."""
    return HiddenField(default=lambda: str(uuid4()))


class ConfirmForm(FlaskForm):
    """A bare form for a button that changes state once confirmed (archive, revoke, go on duty,
    record a follow-up): only the CSRF token."""

    submit = SubmitField("Confirm")


def show_problems(form: FlaskForm, problems: Iterable[tuple[str | None, str]],
                  fields: dict[str, str] | None = None) -> None:
    """Put each (field, message) a domain error gives beside its field on ``form`` (``fields`` renames a
    domain field to the form's, e.g. "parties" to "owners"); a problem with no field of the form goes
    at the top. Every problem shows at once, so one round trip is enough to put them all right."""
    for name, message in problems:
        name = (fields or {}).get(name, name)
        if name and name in form:
            form[name].errors = [*form[name].errors, message]
        else:
            form.form_errors.append(message)
