""""Get an adult": pausing a mediation, alerting the staff on duty, and what happens next. "We can't
agree" alerts them the same way: the mediation ends and an adult takes over.

Who is alerted: staff with the support or pastoral role who marked themselves on duty for
mediation today (in the school's time zone); if nobody has, every active pastoral lead, so an
alert is never sent to no one. A worry about safety goes to the DSL as a concern and is never
written into the mediation record.
"""
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import Select, delete, select, update

from rrp_pwa.extensions import db
from rrp_pwa.mediation.flow import MediationError, StaleMediation, keep_typed, no_agreement
from rrp_pwa.models import Pupil, Staff, StaffRole
from rrp_pwa.models.mediation import Mediation, MediationAlert, MediationDuty
from rrp_pwa.models.safeguarding import Concern
from rrp_pwa.safeguarding.concerns import raise_concern, send_once

DUTY_ROLES = ("support", "pastoral")
FALLBACK_ROLE = "pastoral"
WHILE_YOU_WAIT = (
    "Thank you for waiting. We have asked an adult to come and help.",
    "Let's all stay here and take a few slow breaths together.",
    "You are not in trouble for asking for help.",
)


def alerts_channel(school_id: int) -> str:
    return f"school:{school_id}:alerts"


def is_on_duty(staff: Staff, on: date) -> bool:
    return db.session.scalar(select(MediationDuty.id).where(
        MediationDuty.staff_id == staff.id, MediationDuty.on_date == on)) is not None


def set_on_duty(staff: Staff, on: date, on_duty: bool) -> None:
    """Mark (or unmark) oneself on duty for mediation today. Only support and pastoral staff."""
    if not staff.has_role(*DUTY_ROLES):
        raise MediationError("Only support and pastoral staff go on duty for mediation.")
    if on_duty and not is_on_duty(staff, on):
        db.session.add(MediationDuty(school_id=staff.school_id, staff_id=staff.id, on_date=on))
    if not on_duty:
        db.session.execute(delete(MediationDuty).where(MediationDuty.staff_id == staff.id,
                                                       MediationDuty.on_date == on))


def alert_recipient_ids(school_id: int, on: date) -> set[int]:
    """The staff who get "Get an adult" alerts today (see the module docstring)."""
    on_duty = set(db.session.scalars(
        select(MediationDuty.staff_id).join(Staff, Staff.id == MediationDuty.staff_id)
        .join(StaffRole, StaffRole.staff_id == Staff.id)
        .where(MediationDuty.school_id == school_id, MediationDuty.on_date == on, Staff.active.is_(True),
               StaffRole.role.in_(DUTY_ROLES))))
    if on_duty:
        return on_duty
    return set(db.session.scalars(
        select(Staff.id).join(StaffRole, StaffRole.staff_id == Staff.id)
        .where(Staff.school_id == school_id, Staff.active.is_(True), StaffRole.role == FALLBACK_ROLE)))


def receives_alerts(staff: Staff, on: date) -> bool:
    return staff.id in alert_recipient_ids(staff.school_id, on)


def open_alerts(school_id: int, since: datetime | None = None) -> Select[tuple[MediationAlert]]:
    """Alerts not yet resolved (the mediation resumed or ended), oldest first. A "We can't agree" (its mediation
    has ended) is a call for that day only: with ``since`` (the start of the school's today), one whose mediation
    ended before it is no longer shown - the pupils have gone home, and nobody must answer it to make it go."""
    query = (select(MediationAlert)
             .where(MediationAlert.school_id == school_id, MediationAlert.resolved_at.is_(None))
             .order_by(MediationAlert.raised_at))
    if since is not None:
        ended_before = select(Mediation.id).where(Mediation.completed_at < since)
        query = query.where(MediationAlert.mediation_id.not_in(ended_before))
    return query


TAKEN_OVER_SHOWN = timedelta(minutes=15)


def taken_over_lately(school_id: int, now: datetime | None = None) -> Select[tuple[MediationAlert]]:
    """Alerts of mediations that ended with no agreement, answered in the last ``TAKEN_OVER_SHOWN``: answering
    one is taking the mediation over (``answer_alert``), so the staff on duty see who did, newest first."""
    since = (now or datetime.now(timezone.utc)) - TAKEN_OVER_SHOWN
    return (select(MediationAlert).join(Mediation, Mediation.id == MediationAlert.mediation_id)
            .where(MediationAlert.school_id == school_id, MediationAlert.answered_at >= since,
                   MediationAlert.answered_at >= Mediation.completed_at)
            .order_by(MediationAlert.answered_at.desc()))


def get_adult(mediation: Mediation, mediator: Pupil, version: int | None = None) -> MediationAlert:
    """Pause the mediation and raise an alert for the staff on duty.

    Allowed from any step and even from a stale screen (asking for help must always work);
    pressing it again while an alert is open returns that alert instead of a second one.
    """
    if mediation.is_complete:
        raise MediationError("This mediation has finished.")
    if mediation.open_alert is not None:
        return mediation.open_alert
    now = datetime.now(timezone.utc)
    mediation.paused_at, mediation.version = now, mediation.version + 1
    alert = MediationAlert(school_id=mediation.school_id, raised_by_pupil_id=mediator.id, raised_at=now)
    mediation.alerts.append(alert)
    return alert


def ask_for_adult(mediation: Mediation, mediator: Pupil, typed: Mapping[str, str],
                  version: int | None = None) -> MediationAlert:
    """A mediator taps "Get an adult": what the step's screen had typed (``typed``) is kept first
    (``flow.keep_typed``), then the mediation pauses and the adults are alerted (``get_adult``)."""
    keep_typed(mediation, typed, version)
    return get_adult(mediation, mediator)


def pass_to_staff(mediation: Mediation, mediator: Pupil, version: int | None = None) -> MediationAlert:
    """"We can't agree": the mediation ends with no agreement (``flow.no_agreement``) and, as for "Get an
    adult", the staff on duty are alerted to come and take over. This alert outlives the mediation: it waits
    until one of them answers it (``answer_alert``). An adult called already and not yet answered is the one
    asked to take over; one already on the way needs no second call."""
    waiting = mediation.open_alert
    no_agreement(mediation, version)
    if waiting is not None:
        if waiting.answered_by_id is None:
            waiting.resolved_at = None
        return waiting
    alert = MediationAlert(school_id=mediation.school_id, raised_by_pupil_id=mediator.id,
                           raised_at=mediation.completed_at)
    mediation.alerts.append(alert)
    return alert


def answer_alert(alert: MediationAlert, staff: Staff) -> None:
    """A member of staff says they are on their way (the mediators' screen shows their name). The alert of a
    mediation that ended with no agreement is done with then: the one who answered takes it over."""
    if staff.school_id != alert.school_id:
        raise MediationError("That alert is for another school.")
    if alert.resolved_at is not None:
        if alert.mediation.is_complete and alert.answered_by_id is not None:
            return  # someone is taking it over already: the panel says who
        raise MediationError("That mediation no longer needs an adult.")
    if alert.answered_by_id is None:
        # the first to answer is the one: two taps at once must not both be told they are going
        now = datetime.now(timezone.utc)
        db.session.flush()  # (the alert and whoever answers have their ids)
        db.session.execute(update(MediationAlert).where(MediationAlert.id == alert.id,
                                                        MediationAlert.answered_by_id.is_(None))
                           .values(answered_by_id=staff.id, answered_at=now)
                           .execution_options(synchronize_session=False))
        db.session.refresh(alert, ["answered_by_id", "answered_at"])
    if alert.mediation.is_complete:
        alert.resolved_at = alert.answered_at


def carry_on(mediation: Mediation, version: int | None = None) -> None:
    """The adult has come and the mediation carries on from where it paused."""
    if version is not None and version != mediation.version:
        raise StaleMediation()
    if mediation.is_complete or mediation.paused_at is None:
        raise MediationError("The mediation isn't paused.")
    now = datetime.now(timezone.utc)
    mediation.paused_at, mediation.version = None, mediation.version + 1
    for alert in mediation.alerts:
        alert.resolved_at = alert.resolved_at or now


def tell_about_worry(mediation: Mediation, mediator: Pupil, note: str, about: Pupil | None = None,
                     client_uuid: str | None = None) -> Concern:
    """A mediator's worry about someone's safety becomes a concern for the DSL only, stored and committed
    once for its form (``client_uuid``: sent again after no answer, or tapped twice, it is the one concern).

    The concern records which mediation it came from; the mediation keeps no copy of it.
    """
    if about is not None and all(p.pupil_id != about.id for p in mediation.parties):
        raise MediationError("Choose one of the people in this mediation, or nobody.")
    return send_once(raise_concern(mediation.school_id, note, "mediation", mediation.id, pupil=about,
                                   raised_by_pupil=mediator, client_uuid=client_uuid))
