"""Raising a concern from any flow, and the DSL's restricted queue."""
import re
import time

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from rrp_pwa.asking import Question, ask, was_asked
from rrp_pwa.audit import audit, trail
from rrp_pwa.auth.permissions import staff_required
from rrp_pwa.auth.signin import is_local_path
from rrp_pwa.conversations.chats import chat_pupils, pupils_by_id
from rrp_pwa.extensions import db, htmx
from rrp_pwa.forms import choices
from rrp_pwa.home.tiles import Tile, add_tiles
from rrp_pwa.models.roster import Pupil
from rrp_pwa.models.safeguarding import CONTEXT_KINDS, Concern
from rrp_pwa.records.actions import add_pupil_action
from rrp_pwa.roster.directory import search_pupils
from rrp_pwa.safeguarding import bp
from rrp_pwa.safeguarding.concerns import (
    CONCERN_SENT,
    DSL_ROLE,
    NOBODY_TOLD,
    WHEN_SEEN,
    ConcernError,
    as_raised,
    closing_entry,
    concern_history,
    concern_sent,
    dsl_queue,
    has_raised_a_concern,
    mark_seen,
    new_concern_count,
    raise_concern,
    raised_by,
    reaches_a_dsl,
    record_action,
    reopen,
    send_once,
)
from rrp_pwa.safeguarding.forms import NOT_CHOSEN, ActionForm, ConcernForm, ReopenForm, SeenForm
from rrp_pwa.safeguarding.sources import may_name, pupil_url, raised_from
from rrp_pwa.tenancy import get_scoped_or_404

ANY_STAFF = ("admin", "teacher", "support", "pastoral", "dsl")

add_tiles(DSL_ROLE, Tile("Safeguarding concerns", "Concerns raised by staff and pupils, new ones first.",
                         "safeguarding.queue"), first=True)
add_pupil_action("Raise a concern", "safeguarding.concern_new")
RAISED_TILE = Tile("Concerns you raised", "Whether the DSL has seen the concerns you sent them.",
                   "safeguarding.raised", shows=has_raised_a_concern)  # only once someone has raised one
for role in ANY_STAFF:
    add_tiles(role, RAISED_TILE)


@bp.app_context_processor
def concern_indicator() -> dict:
    """``new_concerns`` for the DSL's topbar and home screen; nobody else learns the number."""
    if getattr(current_user, "is_authenticated", False) and current_user.has_role(DSL_ROLE):
        return {"new_concerns": new_concern_count(current_user.school_id)}
    return {"new_concerns": 0}


def in_panel() -> bool:
    """Asked for by the concern panel on the page of a record being written (htmx), not as a page of its own."""
    return bool(htmx and not htmx.boosted)


FOUND_AT_MOST = 20


def concern_form(pupils: list[Pupil]) -> tuple[ConcernForm, list[Pupil]]:
    """The concern form for a flow's pupils, and every pupil it may be about. With one, it is about them unless
    changed; with several, nobody is chosen for the person, as in a circle: a concern filed in a hurry under the
    first name listed would sit on the wrong child's record. Sent back, it also offers the pupils found by its
    search and the one chosen, if they are current pupils of the school (found_pupils): the list is the school's
    as it is now, not as it was when the form was opened. A choice the person made (``who_chosen``, set by the
    panel's script) or Find made is marked data-who-chosen, so the panel following the record's pupils as they change (``follow``) keeps it and never
    keeps one that was only the form's first guess. In the panel its fields are named "concern-...", so they never
    share an id with the record's own fields (a chat's note) on the same page."""
    posted = request.method == "POST"
    form = ConcernForm(prefix="concern" if in_panel() else "", data=None if posted else {
        "context": request.args.get("context", "pupil"), "context_id": request.args.get("context_id", ""),
        "next": request.args.get("next", ""), "pupil_id": NOT_CHOSEN if len(pupils) > 1 else (pupils[0].id if pupils else 0)})
    found = found_pupils(form.find.data) if posted else []
    chosen = form.pupil_id.data if posted and isinstance(form.pupil_id.data, int) and form.pupil_id.data > 0 else None
    if posted and form.who_chosen.data == "1":  # chosen by the person, not only sent back as it opened (a failed Send)
        form.pupil_id.render_kw = {"data-who-chosen": True}
    if chosen and chosen not in {p.id for p in pupils + found}:
        found += found_pupils(pupil_id=chosen)
    others = [p for p in found if p not in pupils]
    several = len(pupils) > 1 or len(others) > 1
    form.pupil_id.choices = choices([(NOT_CHOSEN, "Choose who it is about")] * several
                                    + [(p.id, p.display_name) for p in pupils + others]
                                    + [(0, "Someone else / not listed")])
    if form.follow.data and not form.pupil_id.raw_data:  # nobody chosen yet: as when it opens for these pupils
        form.pupil_id.data = NOT_CHOSEN if several else (pupils + others)[0].id if pupils + others else 0
    return form, pupils + others


def found_pupils(text: str | None = None, pupil_id: int | None = None) -> list[Pupil]:
    """The current pupils of the signed-in person's school whose names start with ``text`` (or with this id):
    anyone who may raise a concern may log a chat about any of them (chat_pupils), so may find them here."""
    if pupil_id is not None:
        return list(db.session.scalars(chat_pupils(current_user).where(Pupil.id == pupil_id)))
    return search_pupils(chat_pupils(current_user), text, limit=FOUND_AT_MOST) if (text or "").strip() else []


def find_pupil(form: ConcernForm) -> str | None:
    """The form's Find: choose the one pupil found, or ask which of several. Nothing is sent. When nobody
    is found, what to say (beside the search: it is an answer, not a mistake in the concern)."""
    text = (form.find.data or "").strip()
    found = found_pupils(text)
    if not found:
        return "Type the first letters of their name." if not text else (
            f"No pupil's name starts with \u201c{text}\u201d. Check the spelling, or write their name below.")
    form.pupil_id.data = found[0].id if len(found) == 1 else NOT_CHOSEN
    form.who_chosen.data = "1"
    form.pupil_id.render_kw = {"data-who-chosen": True, "data-concern-focus" if in_panel() else "autofocus": True}
    return None


def concern_from(form: ConcernForm, candidates: list[Pupil]) -> Concern:
    """The concern ``form`` raises, from the signed-in member of staff, about one of the ``candidates``."""
    context = form.context.data if form.context.data in CONTEXT_KINDS else "pupil"
    context_id = int(form.context_id.data) if re.fullmatch(r"[0-9]{1,9}", form.context_id.data or "") else None
    if context_id is not None and not may_name(context, context_id, current_user):
        context_id = None  # the form named a record this person may not read, or none at all
    return raise_concern(current_user.school_id, form.note.data, context, context_id,
                         pupil=next((p for p in candidates if p.id == form.pupil_id.data), None),
                         subject_name=form.subject_name.data, raised_by_staff=current_user,
                         client_uuid=form.client_uuid.data)


@bp.route("/concerns/new", methods=["GET", "POST"])
@staff_required(*ANY_STAFF)
def concern_new():
    """Raise a concern: a page of its own (then back to ``next``), or the panel on the page of the record
    being written, which answers in place so nothing typed into the record is lost - and nothing is
    flashed to show up again on the record's next page. The same form sent again (its first answer lost
    on slow Wi-Fi, or tapped twice) is answered the same, and the DSL gets the concern once. Its Find
    searches the school's pupils and shows the form again, as it was, with those found to choose from. The
    panel's script sends it with ``follow`` when the record's pupils change (a pupil added to a chat), to show it
    again, as it was, for them: nothing is sent."""
    pupils = pupils_by_id(current_user.school_id, request.args.getlist("pupil_id", type=int))
    form, candidates = concern_form(pupils)
    if form.follow.data:
        return render_concern_form(form, pupils, 200)
    if form.find_pupil.data:
        nobody_found = find_pupil(form)
        return render_concern_form(form, pupils, 200, found=not nobody_found, nobody_found=nobody_found)
    if form.validate_on_submit():
        try:
            concern = concern_from(form, candidates)
        except ConcernError as exc:
            form.note.errors.append(str(exc))
        else:
            send_once(concern)
            sent = concern_sent(current_user.school_id, CONCERN_SENT + WHEN_SEEN)
            if in_panel():
                return render_template("safeguarding/_concern_sent.html", sent=sent, told=sent != NOBODY_TOLD)
            flash(sent)
            return redirect(form.next.data if is_local_path(form.next.data) else url_for("home.index"))
    return render_concern_form(form, pupils, 400 if form.errors else 200)


def render_concern_form(form: ConcernForm, pupils: list[Pupil], status: int, found: bool = False,
                        nobody_found: str | None = None):
    """The form, on its page or alone in the panel; after a Find, with whom it ``found`` or that it found
    nobody."""
    page = "safeguarding/_concern_form.html" if in_panel() else "safeguarding/concern_new.html"
    return render_template(page, form=form, pupils=pupils, in_panel=in_panel(), found=found,
                           nobody_found=nobody_found), status


RAISED_PER_PAGE = 50


@bp.route("/concerns/raised")
@staff_required(*ANY_STAFF)
def raised():
    """The concerns the signed-in person raised, newest first, each with who it is about, when, and
    whether the DSL has seen it - nothing of what was written or done. Not audited, and it marks
    nothing seen: only the DSL's own reading does."""
    page = max(request.args.get("page", 1, type=int), 1)
    found = list(db.session.scalars(raised_by(current_user).offset((page - 1) * RAISED_PER_PAGE)
                                    .limit(RAISED_PER_PAGE + 1)))
    dsl_reachable = reaches_a_dsl(current_user.school_id)
    return render_template("safeguarding/raised.html", page=page, older=len(found) > RAISED_PER_PAGE,
                           concerns=[as_raised(concern, dsl_reachable) for concern in found[:RAISED_PER_PAGE]])


CLOSED_PER_PAGE = 50


@bp.route("/safeguarding/concerns")
@staff_required(DSL_ROLE)
def queue():
    """Every concern still open, then the closed ones a page at a time (``closed_page``), newest first:
    none is ever out of the DSL's reach, so an old one can still be opened and reopened."""
    closed_page = max(request.args.get("closed_page", 1, type=int), 1)
    concerns = dsl_queue(current_user.school_id)
    still_open = list(db.session.scalars(concerns.where(Concern.status != "closed")))
    closed = list(db.session.scalars(concerns.where(Concern.status == "closed")
                                     .offset((closed_page - 1) * CLOSED_PER_PAGE).limit(CLOSED_PER_PAGE + 1)))
    return render_template("safeguarding/queue.html", concerns=still_open + closed[:CLOSED_PER_PAGE],
                           closed_page=closed_page, older=len(closed) > CLOSED_PER_PAGE)


@bp.route("/safeguarding/concerns/<int:concern_id>")
@staff_required(DSL_ROLE)
def concern(concern_id: int):
    """The concern, and who has opened it or marked it seen (this opening included: it is recorded). The
    page shown again straight after the DSL's own action on it is not another opening: the action is
    in the trail, and a row of "Opened" for each would hide who has really looked."""
    found = get_scoped_or_404(Concern, concern_id)
    if not shown_after_acting(found):
        audit(current_user, "viewed", "concern", found.id)
        db.session.commit()
    return render_concern(found, ActionForm(formdata=None))


ACTED_ON_KEY = "concern_acted_on"
ACTED_ON_FOR = 30  # seconds: long enough for the redirect on slow Wi-Fi, never a later visit


def back_to_concern(found: Concern):
    """Redirect to the concern after an audited action on it, marking this browser's next load of its page,
    if it comes at once, as the page shown again rather than a new opening."""
    session[ACTED_ON_KEY] = {"concern": found.id, "at": time.time()}
    return redirect(url_for("safeguarding.concern", concern_id=found.id))


def shown_after_acting(found: Concern) -> bool:
    """Whether this load of the concern's page is the redirect after this person's own action on it. The
    mark is used once, for this concern, and only within moments: opening it again later, another concern,
    or anyone else's opening is recorded."""
    acted = session.pop(ACTED_ON_KEY) if ACTED_ON_KEY in session else None  # no new cookie when there is none
    return (isinstance(acted, dict) and acted.get("concern") == found.id
            and 0 <= time.time() - acted.get("at", 0) <= ACTED_ON_FOR)


def render_concern(found: Concern, action: ActionForm, status: int = 200):
    history = concern_history(found)
    return render_template("safeguarding/concern.html", concern=found, seen=SeenForm(), action=action,
                           reopen=ReopenForm(), history=history, closing=closing_entry(found, history),
                           source=raised_from(found, current_user), pupil_url=pupil_url(found, current_user),
                           trail=list(db.session.scalars(trail(found.school_id, "concern", found.id)))), status


@bp.route("/safeguarding/concerns/<int:concern_id>/actions", methods=["POST"])
@staff_required(DSL_ROLE)
def act(concern_id: int):
    """Record what was done or decided; with "This closes the concern", close it."""
    found = get_scoped_or_404(Concern, concern_id)
    form = ActionForm()
    if form.validate_on_submit():
        try:
            record_action(found, current_user, form.note.data, close=form.close.data)
        except ConcernError as exc:
            form.note.errors.append(str(exc))
        else:
            audit(current_user, "closed" if form.close.data else "recorded", "concern", found.id)
            db.session.commit()
            flash("Concern closed." if form.close.data else "Recorded on the concern.")
            return back_to_concern(found)
    db.session.rollback()
    return render_concern(found, form, 400)


REOPEN = Question("Reopen this concern?", "It goes back among those being followed up, and can be closed again later.",
                  "Reopen", "No, go back to the concern")
bp.add_app_template_global(REOPEN, "reopen_question")


@bp.route("/safeguarding/concerns/<int:concern_id>/reopen", methods=["POST"])
@staff_required(DSL_ROLE)
def reopen_concern(concern_id: int):
    """Reopen a closed concern (asked first); the reopening is audited and shown in its history."""
    found = get_scoped_or_404(Concern, concern_id)
    if found.status == "closed" and not was_asked():
        return ask(REOPEN, url_for("safeguarding.concern", concern_id=found.id))
    if ReopenForm().validate_on_submit():
        try:
            reopen(found, current_user)
        except ConcernError as exc:
            flash(str(exc))
        else:
            audit(current_user, "reopened", "concern", found.id)
            db.session.commit()
            flash("Concern reopened. Record what has come to light.")
            return back_to_concern(found)
    return redirect(url_for("safeguarding.concern", concern_id=found.id))


@bp.route("/safeguarding/concerns/<int:concern_id>/seen", methods=["POST"])
@staff_required(DSL_ROLE)
def seen(concern_id: int):
    """Mark the concern seen, from its page (where it is offered, once read), and stay there: what was done
    or decided is recorded on the same page. Whoever raised it then sees that it has been seen."""
    found = get_scoped_or_404(Concern, concern_id)
    if not SeenForm().validate_on_submit():
        return redirect(url_for("safeguarding.concern", concern_id=found.id))
    mark_seen(found, current_user)
    audit(current_user, "marked_seen", "concern", found.id)
    db.session.commit()
    flash(f"Marked seen: the concern about {found.about}. Record below what was done or decided.")
    return back_to_concern(found)
