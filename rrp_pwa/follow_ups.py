"""What following a record up shares, for an agreement not kept and a mediation that ended with no agreement:
the record a conversation, conference or circle being started follows up (named by the request), and
"It has been followed up" - one made another way, recorded once asked."""
from collections.abc import Callable
from typing import TypeVar

from flask import abort, flash, redirect, request
from werkzeug.wrappers import Response

from rrp_pwa.asking import Question, ask, was_asked
from rrp_pwa.extensions import db
from rrp_pwa.forms import ConfirmForm
from rrp_pwa.tenancy import scoped

T = TypeVar("T")


def followed_from_request(model: type[T], name: str, may_follow_up: Callable[[T], bool]) -> T | None:
    """The record of this school whose id the request names in ``name`` (a link's query or a form's field),
    if ``may_follow_up`` it (it still needs its follow-up, and this person may make it); else None, as
    when none is named, it is not found or it is another school's."""
    record_id = request.values.get(name, type=int)
    record = db.session.scalar(scoped(model).where(model.id == record_id)) if record_id else None
    return record if record is not None and may_follow_up(record) else None


def followed_up_another_way(question: Question, needs_follow_up: bool, record_follow_up: Callable[[], None],
                            refused: type[Exception], done: str, back: str) -> Response | str:
    """The view of "It has been followed up": the form's token checked (400), ``question`` asked first if it
    came unasked while the record still ``needs_follow_up``, then ``record_follow_up()`` committed and ``done``
    said, or what ``refused`` said shown; back to the record (``back``) either way."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if needs_follow_up and not was_asked():
        return ask(question, back)
    try:
        record_follow_up()
    except refused as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(done)
    return redirect(back)
