"""The pupil record's circle entries: circles attended, the pupil's own check-ins in circles,
and circle agreements that involve them - never anything said in a circle.

Who reads them is records/access.py's rule: everything for admin, pastoral, DSL and the pupil's
teachers; otherwise only what the viewer logged - the circles they kept and the check-ins in them,
the circle agreements they made. A midday assistant of the class does not read the teacher's circle."""
from flask import url_for
from sqlalchemy import func, or_, select

from rrp_pwa.agreements.rules import agreements_for_pupil
from rrp_pwa.checkins.timeline import answer_text
from rrp_pwa.extensions import db
from rrp_pwa.models import CheckIn, Pupil, Staff
from rrp_pwa.models.agreements import Agreement
from rrp_pwa.models.circles import Circle, Seat
from rrp_pwa.records.access import only_theirs
from rrp_pwa.records.timeline import Entry, timeline_source
from rrp_pwa.roster.directory import sees_whole_school


@timeline_source
def circle_entries(pupil: Pupil, viewer: Staff) -> list[Entry]:
    """What ``viewer`` may read (``only_theirs``); the summary link only to those who may open it."""
    entries = []
    # let in, and still there or left part-way (who took part, as the circle's summary says); once per
    # circle, from when they first joined, though they left and joined again
    circles = db.session.execute(only_theirs(
        select(Circle, func.min(Seat.joined_at)).join(Seat, Seat.circle_id == Circle.id).where(
            Circle.school_id == pupil.school_id, Seat.pupil_id == pupil.id,
            or_(Seat.status == "admitted", Seat.left_at.is_not(None))).group_by(Circle.id),
        Circle.keeper_id, viewer, pupil))
    for circle, joined_at in circles:
        may_open = circle.keeper_id == viewer.id or sees_whole_school(viewer)
        detail = " · ".join(filter(None, [circle.group.name if circle.group else "Ad hoc",
                                          f"kept by {circle.keeper.name}", "open now" if circle.is_open else ""]))
        entries.append(Entry(joined_at, "circle", f"Took part in a {circle.kind_label.lower()}", detail,
                             url_for("circles.summary", circle_id=circle.id) if may_open and not circle.is_open else None))
    keeper = select(Circle.keeper_id).where(Circle.id == CheckIn.source_id).scalar_subquery()
    checkins = db.session.scalars(only_theirs(
        select(CheckIn).where(CheckIn.school_id == pupil.school_id, CheckIn.pupil_id == pupil.id,
                              CheckIn.source == "circle"),
        keeper, viewer, pupil))
    for checkin in checkins:  # the value only: a word the pupil gave in the circle stays in the circle
        entries.append(Entry(checkin.created_at, "checkin", f"Check-in in a circle: {answer_text(checkin)}", ""))
    agreements = db.session.scalars(only_theirs(
        agreements_for_pupil(pupil.school_id, pupil.id).where(Agreement.source_kind == "circle"),
        Agreement.created_by_id, viewer, pupil))
    for agreement in agreements:
        title = "Circle agreement" if agreement.kind == "value" else "Agreement made in a circle"
        when = f"review on {agreement.review_on:%-d %b %Y}" if agreement.review_on else ""
        entries.append(Entry(agreement.created_at, "agreement", f"{title}: {agreement.what}", when))
    return entries
