"""Recording a check-in, and the follow-up a low or red one creates for a member of staff."""
from datetime import datetime

from sqlalchemy import Select, false, func, select

from rrp_pwa.checkins.scales import SCALES
from rrp_pwa.extensions import db
from rrp_pwa.models.checkins import CHECKIN_SOURCES, CheckIn, CheckInFollowUp
from rrp_pwa.models.roster import Pupil, School, Staff, utcnow
from rrp_pwa.roster.directory import visible_pupils

CHECKIN_ROLES = ("teacher", "support", "pastoral", "dsl")


class CheckInError(Exception):
    """A check-in that can't be recorded as given; the message is shown to the user."""


def checkin_pupils(staff: Staff, with_leavers: bool = False) -> Select[tuple[Pupil]]:
    """The pupils ``staff`` may record a check-in for, online or offline: those they may see (their
    groups', or the whole school's for pastoral and DSL), if they hold a role that records check-ins;
    not pupils who have left unless ``with_leavers`` (so that a choice of one is refused by name)."""
    query = visible_pupils(staff)
    if not staff.has_role(*CHECKIN_ROLES):
        query = query.where(false())
    return query if with_leavers else query.where(Pupil.archived.is_(False))


def record_checkin(school_id: int, scale_key: str, value: int, source: str, *,
                   pupil: Pupil | None = None, name: str | None = None, word: str | None = None,
                   source_id: int | None = None, recorded_by: Staff | None = None,
                   follow_up_staff: Staff | None = None, client_uuid: str | None = None) -> CheckIn:
    """Add a check-in to the session (the caller commits).

    The value must be on the school's scale; a word is optional (max 40 characters). A low or
    red answer puts a "check in with <name> later" on ``follow_up_staff``'s list, if given.
    With ``client_uuid`` (offline devices), a second send of the same check-in returns the
    first one unchanged.
    """
    if client_uuid:
        existing = db.session.scalar(select(CheckIn).where(CheckIn.school_id == school_id,
                                                           CheckIn.client_uuid == client_uuid))
        if existing is not None:
            return existing
    scale = SCALES.get(scale_key)
    if scale is None:
        raise CheckInError("That check-in scale isn't available.")
    try:
        option = scale.option(int(value))
    except (KeyError, TypeError, ValueError):
        raise CheckInError("Choose one of the check-in buttons.") from None
    if source not in CHECKIN_SOURCES:
        raise CheckInError("Unknown kind of check-in.")
    if pupil is not None and pupil.school_id != school_id:
        raise CheckInError("That pupil is not in this school.")
    if pupil is None and not (name or "").strip():
        raise CheckInError("A check-in needs a name.")
    word = (word or "").strip() or None
    if word and len(word) > 40:
        raise CheckInError("Keep the word short: 40 letters at most.")
    checkin = CheckIn(school_id=school_id, pupil_id=pupil.id if pupil else None,
                      name=None if pupil else name.strip()[:120], scale=scale.key, value=option.value,
                      word=word, low=option.low, source=source, source_id=source_id,
                      recorded_by_id=recorded_by.id if recorded_by else None, client_uuid=client_uuid)
    db.session.add(checkin)
    if option.low and follow_up_staff is not None:
        db.session.flush()
        db.session.add(CheckInFollowUp(school_id=school_id, staff_id=follow_up_staff.id, checkin_id=checkin.id))
    return checkin


class FollowUpNotYours(Exception):
    """A follow-up belongs to the member of staff whose list it is on."""


def set_school_scale(school: School, scale_key: str) -> None:
    """Choose the scale the whole school checks in on. Earlier check-ins keep their own scale."""
    if scale_key not in SCALES:
        raise CheckInError("Choose one of the scales.")
    school.checkin_scale = scale_key


def record_staff_checkin(staff: Staff, pupil: Pupil, value: int, word: str | None,
                         client_uuid: str | None = None) -> CheckIn:
    """A member of staff records a pupil's check-in; a low or red one goes on their own list. Not for a
    pupil who has left the school (online or made offline before they left: the same refusal)."""
    if pupil.archived:
        raise CheckInError(f"{pupil.display_name} has left the school, so a check-in can't be recorded for them.")
    return record_checkin(staff.school_id, staff.school.checkin_scale, value, "staff", pupil=pupil, word=word,
                          recorded_by=staff, follow_up_staff=staff, client_uuid=client_uuid)


def open_follow_ups(staff: Staff) -> list[CheckInFollowUp]:
    """The "check in with <name> later" list of ``staff``: not yet done, oldest first."""
    return list(db.session.scalars(select(CheckInFollowUp).where(
        CheckInFollowUp.school_id == staff.school_id, CheckInFollowUp.staff_id == staff.id,
        CheckInFollowUp.done_at.is_(None)).order_by(CheckInFollowUp.created_at, CheckInFollowUp.id)))


def follow_up_after(done: CheckInFollowUp, remaining: list[CheckInFollowUp]) -> CheckInFollowUp | None:
    """Where someone working down the list goes once ``done`` is ticked off: the next follow-up in
    ``remaining`` (an ``open_follow_ups`` list), else the one before it; None when none is left."""
    later = [f for f in remaining if (f.created_at, f.id) > (done.created_at, done.id)]
    return later[0] if later else (remaining[-1] if remaining else None)


def open_follow_up_count(staff: Staff) -> int:
    return db.session.scalar(select(func.count(CheckInFollowUp.id)).where(
        CheckInFollowUp.school_id == staff.school_id, CheckInFollowUp.staff_id == staff.id,
        CheckInFollowUp.done_at.is_(None)))


def mark_follow_up_done(follow_up: CheckInFollowUp, staff: Staff, now: datetime | None = None) -> None:
    """Tick off a follow-up; only the person whose list it is on can. Doing it twice is harmless."""
    _check_owner(follow_up, staff)
    if follow_up.done_at is None:
        follow_up.done_at = now or utcnow()


def undo_follow_up_done(follow_up: CheckInFollowUp, staff: Staff) -> None:
    """Put a follow-up ticked off by mistake back on the list (the Undo beside "Done: you checked in with ...");
    only the person whose list it is on can. Undoing one not done is harmless."""
    _check_owner(follow_up, staff)
    follow_up.done_at = None


def _check_owner(follow_up: CheckInFollowUp, staff: Staff) -> None:
    if follow_up.staff_id != staff.id or follow_up.school_id != staff.school_id:
        raise FollowUpNotYours()
