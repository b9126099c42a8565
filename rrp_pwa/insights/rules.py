"""What the school overview counts, read from the records themselves (nothing is stored).

Counts only, over whole school days where the school is. Safeguarding concerns are not counted:
they stay in the DSL's queue. Nothing a pupil said (check-in words, answers, stories) is shown;
check-ins appear only as how many there were and how many were low. Pupils "coming back" are
named without roles (harmed, harmer, witness): the overview points the pastoral lead to a pupil's
record, and the record says the rest. Behind the count of low check-ins is a list of its own
(``low_checkins``) for the staff who read the whole school: which pupil, their answer, when, where and
whose follow-up it is - an adult's view, never shown to other pupils.
"""
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import case, func, literal, select, union_all
from sqlalchemy.orm import selectinload

from rrp_pwa.agreements.rules import follow_ups_needed, reviews_due
from rrp_pwa.extensions import db
from rrp_pwa.mediation.review import follow_ups_needed as mediation_follow_ups
from rrp_pwa.models.agreements import Agreement, AgreementReview
from rrp_pwa.models.checkins import CheckIn, CheckInFollowUp, CheckInStation
from rrp_pwa.models.circles import Circle
from rrp_pwa.models.conversations import Conversation, Participant, QuickChat, QuickChatPupil
from rrp_pwa.models.mediation import Mediation, MediationParty
from rrp_pwa.models.roster import Pupil, School, Staff
from rrp_pwa.roster.directory import sees_whole_school

PERIODS = {"week": "This week", "4w": "Last 4 weeks", "12w": "Last 12 weeks", "year": "This school year"}
DEFAULT_PERIOD = "4w"
REPEAT_AT = 3  # records in the period that make a pupil one who keeps coming back
REPEAT_LIMIT = 30
TOP_CHIPS = 5
LOW_CHECKIN_LIMIT = 200  # the newest low check-ins listed behind the count


def period_dates(period: str, today: date) -> tuple[date, date]:
    """The first and last day (both included) of ``period``, which ends today. The school year starts
    on 1 September."""
    if period == "week":
        return today - timedelta(days=today.weekday()), today
    if period == "4w":
        return today - timedelta(days=27), today
    if period == "12w":
        return today - timedelta(days=83), today
    if period == "year":
        return date(today.year if today.month >= 9 else today.year - 1, 9, 1), today
    raise KeyError(period)


@dataclass
class ComingBack:
    pupil: Pupil
    chats: int = 0
    conversations: int = 0
    mediations: int = 0

    @property
    def total(self) -> int:
        return self.chats + self.conversations + self.mediations


@dataclass
class Overview:
    first_day: date
    last_day: date
    chats: int = 0
    conversations: int = 0
    conferences: int = 0
    mediations: Counter = field(default_factory=Counter)  # outcome ("" while unfinished) -> how many
    circles: int = 0
    checkins: int = 0
    low_checkins: int = 0
    reviews: Counter = field(default_factory=Counter)  # kept / partly_kept / not_kept -> how many
    reviews_due: int = 0
    follow_ups_needed: int = 0
    mediation_follow_ups: int = 0  # reviewed peer mediations with no agreement, not followed up yet
    chats_what: list[tuple[str, int]] = field(default_factory=list)
    chats_where: list[tuple[str, int]] = field(default_factory=list)
    chats_what_rest: int = 0  # chats whose "what happened" is not among the TOP_CHIPS listed
    chats_where_rest: int = 0
    coming_back: list[ComingBack] = field(default_factory=list)

    @property
    def mediation_total(self) -> int:
        return sum(self.mediations.values())

    @property
    def review_total(self) -> int:
        return sum(self.reviews.values())

    @property
    def anything(self) -> bool:
        return bool(self.chats or self.conversations or self.conferences or self.mediation_total
                    or self.circles or self.checkins or self.review_total)


def _count(query) -> int:
    return db.session.scalar(query) or 0


def overview(school: School, first_day: date, last_day: date, today: date | None = None) -> Overview:
    """Everything the overview shows for ``school`` from ``first_day`` to ``last_day`` (school days)."""
    start, _ = school.day_bounds(first_day)
    _, end = school.day_bounds(last_day)
    sid, result = school.id, Overview(first_day, last_day)

    def within(column):
        return (column >= start) & (column < end)

    chats = select(QuickChat).where(QuickChat.school_id == sid, within(QuickChat.happened_at)).subquery()
    result.chats = _count(select(func.count()).select_from(chats))
    for column, target in ((chats.c.what, "chats_what"), (chats.c.where, "chats_where")):
        rows = db.session.execute(select(column, func.count()).group_by(column)
                                  .order_by(func.count().desc(), column).limit(TOP_CHIPS))
        top = [(label, n) for label, n in rows]
        setattr(result, target, top)
        setattr(result, f"{target}_rest", result.chats - sum(n for _, n in top))  # the list adds up to the chats
    for kind, n in db.session.execute(select(Conversation.kind, func.count())
                                      .where(Conversation.school_id == sid, within(Conversation.happened_at))
                                      .group_by(Conversation.kind)):
        if kind == "conference":
            result.conferences = n
        else:
            result.conversations += n
    result.mediations = Counter({outcome or "": n for outcome, n in db.session.execute(
        select(Mediation.outcome, func.count())
        .where(Mediation.school_id == sid, within(Mediation.started_at)).group_by(Mediation.outcome))})
    result.circles = _count(select(func.count(Circle.id)).where(Circle.school_id == sid, within(Circle.created_at)))
    result.checkins, result.low_checkins = db.session.execute(
        select(func.count(CheckIn.id), func.coalesce(func.sum(case((CheckIn.low, 1), else_=0)), 0))
        .where(CheckIn.school_id == sid, within(CheckIn.created_at))).one()
    result.reviews = Counter(dict(db.session.execute(
        select(AgreementReview.outcome, func.count())
        .join(Agreement, Agreement.id == AgreementReview.agreement_id)
        .where(Agreement.school_id == sid, within(AgreementReview.reviewed_at))
        .group_by(AgreementReview.outcome)).all()))
    today = today or school.today()
    result.reviews_due = _count(select(func.count()).select_from(reviews_due(sid, today).subquery()))
    result.follow_ups_needed = _count(select(func.count()).select_from(follow_ups_needed(sid).subquery()))
    result.mediation_follow_ups = _count(select(func.count()).select_from(mediation_follow_ups(sid).subquery()))
    result.coming_back = coming_back(sid, within)
    return result


def coming_back(school_id: int, within) -> list[ComingBack]:
    """Pupils in at least ``REPEAT_AT`` quick chats, conversations or conferences and peer mediations
    (as a party) in the period, most records first. A mediation counts once it has ended, as on the
    pupil's record: one begun and never finished (a mediator's mistake, the wrong child chosen) is not
    a time the pupil came back."""
    involved = union_all(
        select(QuickChatPupil.pupil_id.label("pupil_id"), literal("chats").label("source"))
        .join(QuickChat, QuickChat.id == QuickChatPupil.chat_id)
        .where(QuickChat.school_id == school_id, within(QuickChat.happened_at)),
        select(Participant.pupil_id, literal("conversations"))
        .join(Conversation, Conversation.id == Participant.conversation_id)
        .where(Conversation.school_id == school_id, Participant.pupil_id.is_not(None),
               within(Conversation.happened_at)),
        select(MediationParty.pupil_id, literal("mediations"))
        .join(Mediation, Mediation.id == MediationParty.mediation_id)
        .where(Mediation.school_id == school_id, Mediation.completed_at.is_not(None), within(Mediation.started_at)),
    ).subquery()
    totals = (select(involved.c.pupil_id).group_by(involved.c.pupil_id)
              .having(func.count() >= REPEAT_AT)
              .order_by(func.count().desc(), involved.c.pupil_id).limit(REPEAT_LIMIT))
    ids = list(db.session.scalars(totals))
    if not ids:
        return []
    pupils = {p.id: p for p in db.session.scalars(select(Pupil).where(Pupil.school_id == school_id,
                                                                      Pupil.id.in_(ids)))}
    found = {pupil_id: ComingBack(pupils[pupil_id]) for pupil_id in ids if pupil_id in pupils}
    for pupil_id, source, n in db.session.execute(
            select(involved.c.pupil_id, involved.c.source, func.count())
            .where(involved.c.pupil_id.in_(list(found))).group_by(involved.c.pupil_id, involved.c.source)):
        setattr(found[pupil_id], source, n)
    return sorted(found.values(), key=lambda c: (-c.total, c.pupil.family_name, c.pupil.given_name))


@dataclass
class LowCheckIn:
    """One low or red check-in behind the overview's count: where it was given (``where``, in words) and
    the "check in with this pupil later" it put on someone's list (``follow_up``; None if on nobody's)."""
    checkin: CheckIn
    where: str
    follow_up: CheckInFollowUp | None


def low_checkins(viewer: Staff, first_day: date, last_day: date) -> list[LowCheckIn]:
    """The low or red check-ins of ``viewer``'s school from ``first_day`` to ``last_day`` (school days),
    newest first (at most ``LOW_CHECKIN_LIMIT``): the pupils behind the overview's count.

    Only for staff who see the whole school (admin, pastoral lead, DSL), as the overview is; anyone else
    gets none. Every kind counts (in a circle, at the class station, with staff), as in the count."""
    if not sees_whole_school(viewer):
        return []
    school = viewer.school
    start, _ = school.day_bounds(first_day)
    _, end = school.day_bounds(last_day)
    rows = db.session.execute(
        select(CheckIn, CheckInFollowUp)
        .outerjoin(CheckInFollowUp, (CheckInFollowUp.checkin_id == CheckIn.id)
                   & (CheckInFollowUp.school_id == CheckIn.school_id))
        .where(CheckIn.school_id == school.id, CheckIn.low.is_(True), CheckIn.created_at >= start,
               CheckIn.created_at < end)
        .options(selectinload(CheckIn.pupil), selectinload(CheckIn.recorded_by),
                 selectinload(CheckInFollowUp.staff))
        .order_by(CheckIn.created_at.desc(), CheckIn.id.desc()).limit(LOW_CHECKIN_LIMIT)).all()
    places = checkin_places(school.id, [checkin for checkin, _ in rows])
    return [LowCheckIn(checkin, places.get((checkin.source, checkin.source_id)) or where_given(checkin), follow_up)
            for checkin, follow_up in rows]


def checkin_places(school_id: int, checkins: list[CheckIn]) -> dict[tuple[str, int], str]:
    """Where circle and station check-ins were given, in words, by (source, source id): the circle's kind,
    group and keeper; the station's group. Read in two queries, however many check-ins."""
    ids = {source: {c.source_id for c in checkins if c.source == source and c.source_id}
           for source in ("circle", "station")}
    places = {}
    if ids["circle"]:
        for circle in db.session.scalars(select(Circle).where(Circle.school_id == school_id, Circle.id.in_(ids["circle"]))
                                         .options(selectinload(Circle.group), selectinload(Circle.keeper))):
            group = f", {circle.group.name}" if circle.group else ""
            places["circle", circle.id] = f"In a circle{group} kept by {circle.keeper.name}"
    if ids["station"]:
        for station in db.session.scalars(select(CheckInStation).options(selectinload(CheckInStation.group)).where(
                CheckInStation.school_id == school_id, CheckInStation.id.in_(ids["station"]))):
            places["station", station.id] = f"At the check-in station, {station.group.name}"
    return places


def where_given(checkin: CheckIn) -> str:
    """Where a check-in was given when its circle or station is not found: the kind, or who recorded it."""
    if checkin.source == "staff":
        return f"With {checkin.recorded_by.name if checkin.recorded_by else 'staff'}"
    return "In a circle" if checkin.source == "circle" else "At the check-in station"
