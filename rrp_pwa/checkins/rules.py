"""Recording a check-in, and the follow-up a low or red one creates for a member of staff."""
from sqlalchemy import select

from rrp_pwa.checkins.scales import SCALES
from rrp_pwa.extensions import db
from rrp_pwa.models.checkins import CHECKIN_SOURCES, CheckIn, CheckInFollowUp
from rrp_pwa.models.roster import Pupil, Staff


class CheckInError(Exception):
    """A check-in that can't be recorded as given; the message is shown to the user."""


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
