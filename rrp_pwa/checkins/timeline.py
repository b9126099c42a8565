"""Check-ins on the pupil record: those made at the class station and those staff recorded.

Circle check-ins are the circle's own entries. Only staff who may see the pupil get entries;
the pupil's word is shown to them (pupils never see the record).
"""
from sqlalchemy import select

from rrp_pwa.checkins.scales import SCALES
from rrp_pwa.extensions import db
from rrp_pwa.models import CheckIn, Pupil, Staff
from rrp_pwa.records.timeline import Entry, timeline_source
from rrp_pwa.roster.directory import visible_pupils

TIMELINE_LIMIT = 100


def answer_text(checkin: CheckIn) -> str:
    """"🙁 Not great" (or the stored number if the scale has since gone)."""
    scale = SCALES.get(checkin.scale)
    try:
        option = scale.option(checkin.value)
    except (AttributeError, KeyError):
        return str(checkin.value)
    return option.text


@timeline_source
def checkin_entries(pupil: Pupil, viewer: Staff) -> list[Entry]:
    """The pupil's station and staff check-ins, newest first, for staff who may see the pupil."""
    if db.session.scalar(visible_pupils(viewer).where(Pupil.id == pupil.id)) is None:
        return []
    checkins = db.session.scalars(select(CheckIn).where(
        CheckIn.school_id == pupil.school_id, CheckIn.pupil_id == pupil.id, CheckIn.source.in_(("station", "staff")))
        .order_by(CheckIn.created_at.desc()).limit(TIMELINE_LIMIT))
    return [Entry(when=checkin.created_at, kind="checkin", title=f"Check-in: {answer_text(checkin)}",
                  detail=entry_detail(checkin)) for checkin in checkins]


def entry_detail(checkin: CheckIn) -> str:
    where = ("At the class check-in station" if checkin.source == "station"
             else f"Recorded by {checkin.recorded_by.name if checkin.recorded_by else 'staff'}")
    parts = [where]
    if checkin.word:
        parts.append(f"Word: “{checkin.word}”")
    if checkin.low:
        parts.append("Low or red: check in with this pupil later")
    return " · ".join(parts)
