"""A form's question ("Leave the circle?"), asked by the server when the page's scripts have not asked it.

A form with ``data-confirm`` is asked about in the browser (static/js/app.js, and static/js/early-tap.js on
the circle screens), which marks it ``asked=yes`` once the person has said yes. Tapped before those scripts
have run - a slow tablet still loading them, the moment the circle screens are built for - or with none,
the form comes without the mark: a route that must not act unasked answers with a page asking the same
question, whose yes sends the same form again, marked, and whose no goes back where the person was.

A ``Question`` holds one form's words in one place: its ``confirm`` goes in the form's ``data-confirm`` and
``ask`` shows it on the page, so the two can never say different things.
"""
from dataclasses import dataclass

from flask import render_template, request

ASKED_FIELD = "asked"


def was_asked() -> bool:
    """Whether the person said yes to the form's question (on the page, or on the page ``ask_first`` shows)."""
    return request.form.get(ASKED_FIELD) == "yes"


def ask_first(question: str, detail: str, yes: str, no: str, back: str, seat_name: str | None = None,
              layout: str = "base.html", **context) -> str:
    """The page asking ``question``: its ``yes`` button sends this form again (its own fields, a fresh token),
    its link (``no``) goes ``back``. ``seat_name``: a pupil's device, whose top bar says who they are, as the seat's does.
    ``layout``: the page it sits in (the mediators' tablet's, with its ``context``), the staff's by default."""
    fields = [(name, value) for name, value in request.form.items(multi=True) if name not in ("csrf_token", ASKED_FIELD)]
    return render_template("asking.html", title=question, question=question, detail=detail, yes=yes, no=no, back=back,
                           fields=fields, action=request.full_path.rstrip("?"), seat_name=seat_name, layout=layout,
                           **context)


@dataclass(frozen=True)
class Question:
    """What a destructive form asks: ``text`` ("Archive Amira S.?"), what happens (``detail``), the form's own
    button (``yes``) and the way back (``no``)."""
    text: str
    detail: str
    yes: str
    no: str = "No, go back"

    @property
    def confirm(self) -> str:
        """The words of the form's ``data-confirm``, asked by the page's scripts."""
        return f"{self.text} {self.detail}" if self.detail else self.text


def ask(question: Question, back: str, **page) -> str:
    """The page asking ``question`` (``ask_first``, with its ``page`` arguments), for a form that came unasked."""
    return ask_first(question.text, question.detail, question.yes, question.no, back, **page)
