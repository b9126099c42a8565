"""Check-ins on the pupil record: those made at the class station and those staff recorded.

Circle check-ins are the circle's own entries. Who reads them is records/access.py's rule: all of
them for admin, pastoral, DSL and the pupil's teachers; otherwise those the viewer logged - the ones
they recorded, and those at a station they opened. The pupil's word is shown to whoever reads the
check-in (pupils never see the record).
"""
from sqlalchemy import case, select

from rrp_pwa.checkins.scales import SCALES
from rrp_pwa.extensions import db
from rrp_pwa.models import CheckIn, Pupil, Staff
from rrp_pwa.models.checkins import CheckInStation
from rrp_pwa.records.access import only_theirs
from rrp_pwa.records.timeline import Entry, timeline_source

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
    """The pupil's station and staff check-ins that ``viewer`` may read (``only_theirs``), newest first."""
    query = (select(CheckIn).where(CheckIn.school_id == pupil.school_id, CheckIn.pupil_id == pupil.id,
                                   CheckIn.source.in_(("station", "staff")))
             .order_by(CheckIn.created_at.desc()).limit(TIMELINE_LIMIT))
    checkins = db.session.scalars(only_theirs(query, logged_by(), viewer, pupil))
    return [Entry(when=checkin.created_at, kind="checkin", title=f"Check-in: {answer_text(checkin)}",
                  detail=entry_detail(checkin)) for checkin in checkins]


def logged_by():
    """Who logged a station or staff check-in: the station's opener, or the member of staff who recorded it."""
    opener = select(CheckInStation.opened_by_id).where(CheckInStation.id == CheckIn.source_id).scalar_subquery()
    return case((CheckIn.source == "station", opener), else_=CheckIn.recorded_by_id)


def entry_detail(checkin: CheckIn) -> str:
    where = ("At the class check-in station" if checkin.source == "station"
             else f"Recorded by {checkin.recorded_by.name if checkin.recorded_by else 'staff'}")
    parts = [where]
    if checkin.word:
        parts.append(f"Word: “{checkin.word}”")
    if checkin.low:
        parts.append("Low or red: check in with this pupil later")
    return " · ".join(parts)
