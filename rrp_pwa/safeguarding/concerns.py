"""Raising and reading safeguarding concerns. Only the dsl role reads them."""
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError

from rrp_pwa.extensions import db
from rrp_pwa.models.audit import AuditEvent
from rrp_pwa.models.roster import Pupil, Staff, StaffRole
from rrp_pwa.models.safeguarding import CONTEXT_KINDS, Concern, ConcernAction

DSL_ROLE = "dsl"
MAX_ACTION = 5000


class ConcernError(Exception):
    """A concern that cannot be raised as given; the message is shown to the user."""


def raise_concern(school_id: int, note: str, context_kind: str, context_id: int | None = None, *,
                  pupil: Pupil | None = None, subject_name: str | None = None,
                  raised_by_staff: Staff | None = None, raised_by_pupil: Pupil | None = None,
                  client_uuid: str | None = None) -> Concern:
    """File a concern for the DSL: facts in the words heard, who raised it, where and when.

    It goes only to the restricted queue; the circle, chat or mediation it came from keeps no
    copy and no link to it. The caller adds it to the session and commits (``send_once`` for one
    sent from a form with its ``client_uuid``; an id that is not a UUID is not kept).
    """
    note = (note or "").strip()
    if not note:
        raise ConcernError("Write what you saw or heard, in the words used. It goes only to the DSL.")
    if len(note) > 5000:
        raise ConcernError("Keep the note under 5,000 characters; the DSL will follow up in person.")
    if context_kind not in CONTEXT_KINDS:
        raise ConcernError("Unknown place for a concern.")
    if pupil is not None and pupil.school_id != school_id:
        raise ConcernError("That pupil is not in this school.")
    if raised_by_staff is None and raised_by_pupil is None:
        raise ConcernError("A concern records who raised it.")
    return Concern(school_id=school_id, note=note, context_kind=context_kind, context_id=context_id,
                   pupil_id=pupil.id if pupil else None,
                   subject_name=(subject_name or "").strip()[:120] or None,
                   raised_by_staff_id=raised_by_staff.id if raised_by_staff else None,
                   raised_by_pupil_id=raised_by_pupil.id if raised_by_pupil else None,
                   status="new", created_at=datetime.now(timezone.utc), client_uuid=_form_id(client_uuid))


def _form_id(client_uuid: str | None) -> str | None:
    try:
        return str(uuid.UUID(client_uuid)) if client_uuid else None
    except ValueError:
        return None


SAME_SEND = ("raised_by_staff_id", "raised_by_pupil_id", "pupil_id", "subject_name", "note", "context_kind", "context_id")


def sent_before(concern: Concern) -> Concern | None:
    """The concern already filed from the form ``concern`` comes from: same school and form id, raised by
    the same person, saying the same (about whom, the note, where). A form id found on anything else -
    another person's concern, or the same form brought back by the browser's Back button and changed -
    is not this send again: ``concern`` takes an id of its own, made from the form's and what it says
    (so the changed form sent twice is still one concern), to be filed as a concern of its own, and
    nothing of the other is told."""
    if concern.client_uuid is None:
        return None
    earlier = _filed_under(concern)
    if earlier is not None and not _same_send(earlier, concern):
        said = "\x1f".join(repr(getattr(concern, name)) for name in SAME_SEND)
        concern.client_uuid = str(uuid.uuid5(uuid.UUID(concern.client_uuid), said))
        earlier = _filed_under(concern)
        if earlier is not None and not _same_send(earlier, concern):  # (never: the id is made from what it says)
            concern.client_uuid = None
            return None
    return earlier


def _filed_under(concern: Concern) -> Concern | None:
    return db.session.scalar(select(Concern).where(Concern.school_id == concern.school_id,
                                                   Concern.client_uuid == concern.client_uuid))


def _same_send(earlier: Concern, concern: Concern) -> bool:
    return all(getattr(earlier, name) == getattr(concern, name) for name in SAME_SEND)


def send_once(concern: Concern) -> Concern:
    """Store ``concern`` and commit, once for its form. Sent again (no answer reached the phone on slow
    Wi-Fi, so the person tapped Send to the DSL again; a double tap) it adds nothing and the first is
    returned, so the DSL's queue has it once and the person is answered as the first time. Two sends at
    the same moment both find nothing and both insert; the school's unique form id refuses the later
    one, which is rolled back and answered with the first."""
    earlier = sent_before(concern)
    if earlier is not None:
        return earlier
    db.session.add(concern)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        tried = concern.client_uuid
        if tried is None:
            raise
        earlier = sent_before(concern)
        if earlier is not None:
            return earlier  # the other send is stored now, and found
        if concern.client_uuid != tried:  # another concern took the form's id: this one is filed under its own
            return send_once(concern)
        raise  # refused for something else: not swallowed, nor tried again for ever
    return concern


def dsl_queue(school_id: int) -> Select[tuple[Concern]]:
    """The DSL's queue: new concerns first, then those being followed up, then closed ones, newest
    first within each."""
    return (select(Concern).where(Concern.school_id == school_id)
            .order_by((Concern.status == "new").desc(), (Concern.status == "closed").asc(), Concern.created_at.desc()))


def reaches_a_dsl(school_id: int) -> bool:
    """Whether anyone active in the school holds the dsl role, so a concern raised now is read. If
    not, whoever raised it must hear that nobody has been told (and tell the DSL in person)."""
    return db.session.scalar(select(Staff.id).join(StaffRole, StaffRole.staff_id == Staff.id).where(
        Staff.school_id == school_id, Staff.active.is_(True), StaffRole.role == DSL_ROLE).limit(1)) is not None


NOBODY_TOLD = ("Your concern is saved, but nobody in this school has the DSL role in RRP, so nobody has been told: "
               "tell your Designated Safeguarding Lead in person now, and ask an admin to give them the DSL role.")
CONCERN_SENT = "Your concern has gone to the Designated Safeguarding Lead. Thank you for telling them. "
WHEN_SEEN = "Concerns you raised, on your home screen, shows when they have seen it."  # told to staff who raise one
NOBODY_TOLD_PUPIL = "Your worry is saved, but the app could not tell the safeguarding lead. Tell an adult about it now."


def concern_sent(school_id: int, message: str, *, by_pupil: bool = False) -> str:
    """What whoever raised a concern is told: ``message``, unless no DSL will read it - then that nobody
    has been told yet, and to tell someone in person."""
    if reaches_a_dsl(school_id):
        return message
    return NOBODY_TOLD_PUPIL if by_pupil else NOBODY_TOLD


@dataclass(frozen=True)
class RaisedConcern:
    """What whoever raised a concern may see of it, and nothing more: who it is about, when they
    raised it, and whether the DSL has seen it (``status``: "unseen", "nobody_told" - no active DSL
    in the school, so nobody has been told -, "seen", or "closed"). Never what was written, by them
    (devices are shared) or by the DSL, nor what the DSL did or decided."""

    about: str
    raised_at: datetime
    status: str
    seen_by: str | None = None
    seen_at: datetime | None = None


def raised_by(staff: Staff) -> Select[tuple[Concern]]:
    """The concerns ``staff`` raised in their own school, newest first; nobody else's."""
    return (select(Concern).where(Concern.school_id == staff.school_id, Concern.raised_by_staff_id == staff.id)
            .order_by(Concern.created_at.desc(), Concern.id.desc()))


def has_raised_a_concern(staff: Staff) -> bool:
    return db.session.scalar(raised_by(staff).with_only_columns(Concern.id).limit(1)) is not None


def as_raised(concern: Concern, dsl_reachable: bool) -> RaisedConcern:
    """A concern as its raiser sees it. Seen is what the DSL's queue says (Mark seen, or the DSL
    recording what was done); a concern nobody has seen while no active member of staff holds the
    dsl role has reached nobody. Reading this marks nothing seen."""
    if concern.status == "closed":
        return RaisedConcern(concern.about, concern.created_at, "closed")
    if concern.status == "seen":
        return RaisedConcern(concern.about, concern.created_at, "seen",
                             concern.seen_by.name if concern.seen_by else None, concern.seen_at)
    return RaisedConcern(concern.about, concern.created_at, "unseen" if dsl_reachable else "nobody_told")


def new_concern_count(school_id: int) -> int:
    return db.session.scalar(select(func.count(Concern.id))
                             .where(Concern.school_id == school_id, Concern.status == "new")) or 0


def mark_seen(concern: Concern, dsl: Staff) -> None:
    _require_dsl(concern, dsl)
    if concern.status == "new":
        concern.status, concern.seen_by_id, concern.seen_at = "seen", dsl.id, datetime.now(timezone.utc)


def _require_dsl(concern: Concern, dsl: Staff) -> None:
    if not dsl.has_role(DSL_ROLE) or dsl.school_id != concern.school_id:
        raise ConcernError("Only the school's DSL can handle concerns.")


def record_action(concern: Concern, dsl: Staff, note: str, close: bool = False) -> ConcernAction:
    """Record what the DSL did or decided, in their words; ``close`` closes the concern with it (the
    note then says why). Acting on a new concern marks it seen. A closed concern still takes notes (a
    later call, a letter), and stays closed. The caller commits."""
    _require_dsl(concern, dsl)
    note = (note or "").strip()
    if not note:
        raise ConcernError("Write what was done or decided." if not close
                           else "Write why the concern is being closed: what was done, and the outcome.")
    if len(note) > MAX_ACTION:
        raise ConcernError(f"Keep the note under {MAX_ACTION:,} characters.")
    if close and concern.status == "closed":
        raise ConcernError("This concern is already closed.")
    mark_seen(concern, dsl)
    action = ConcernAction(school_id=concern.school_id, staff_id=dsl.id, note=note, closed=close,
                           at=datetime.now(timezone.utc))
    concern.actions.append(action)
    if close:
        concern.status = "closed"
    return action


def reopen(concern: Concern, dsl: Staff) -> None:
    """Reopen a closed concern (something new came to light): it goes back among those being followed
    up, and takes a closing note again later. The caller audits it as "reopened" - that row is what the
    concern's history shows - and commits."""
    _require_dsl(concern, dsl)
    if concern.status != "closed":
        raise ConcernError("This concern is not closed.")
    concern.status = "seen"


@dataclass(frozen=True)
class HistoryEntry:
    """One line of what happened to a concern: a note the DSL recorded (``closed`` when it closed the
    concern), or a reopening (``reopened``, no note)."""

    at: datetime
    staff: Staff
    note: str | None = None
    closed: bool = False
    reopened: bool = False


def concern_history(concern: Concern) -> list[HistoryEntry]:
    """What was done about a concern, oldest first: the DSL's notes and closings, with every reopening
    (kept only in the audit trail, so the DSL's record needs no second copy) in its place among them."""
    reopenings = db.session.scalars(select(AuditEvent).where(
        AuditEvent.school_id == concern.school_id, AuditEvent.subject_kind == "concern",
        AuditEvent.subject_id == concern.id, AuditEvent.action == "reopened"))
    entries = [HistoryEntry(a.at, a.staff, a.note, closed=a.closed) for a in concern.actions]
    entries += [HistoryEntry(event.at, event.staff, reopened=True) for event in reopenings]
    return sorted(entries, key=lambda entry: _as_utc(entry.at))


def _as_utc(at: datetime) -> datetime:
    """SQLite gives back naive UTC times, PostgreSQL aware ones; compare them alike."""
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


def closing_entry(concern: Concern, history: list[HistoryEntry]) -> HistoryEntry | None:
    """The note that closed ``concern``, if it is closed: the latest closing in its history (another DSL
    may close a concern than the one who marked it seen, and a reopened one may be closed again)."""
    if concern.status != "closed":
        return None
    return next((entry for entry in reversed(history) if entry.closed), None)
