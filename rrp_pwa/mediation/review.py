"""The mediation lead's side: every finished mediation is reviewed by staff, and pupils'
records show that a mediation happened, how it ended and what was agreed."""
from datetime import datetime, timezone

from flask import url_for
from sqlalchemy import Select, or_, select

from rrp_pwa.extensions import db
from rrp_pwa.mediation.flow import MediationError
from rrp_pwa.models import Pupil, Staff
from rrp_pwa.models.checkins import as_utc
from rrp_pwa.models.conversations import Conversation
from rrp_pwa.models.mediation import NO_AGREEMENT, Mediation, MediationMediator, MediationParty
from rrp_pwa.records.timeline import Entry, timeline_source
from rrp_pwa.records.access import reads_everything_about

LEAD_ROLES = ("pastoral", "admin")
MAX_NOTE = 2000


def review_queue(school_id: int) -> Select[tuple[Mediation]]:
    """Finished mediations waiting for review, oldest first (the same-day review)."""
    return (select(Mediation)
            .where(Mediation.school_id == school_id, Mediation.completed_at.is_not(None),
                   Mediation.reviewed_at.is_(None))
            .order_by(Mediation.completed_at))


def recently_reviewed(school_id: int, limit: int = 20) -> Select[tuple[Mediation]]:
    return (select(Mediation)
            .where(Mediation.school_id == school_id, Mediation.reviewed_at.is_not(None))
            .order_by(Mediation.reviewed_at.desc()).limit(limit))


def follow_ups_needed(school_id: int) -> Select[tuple[Mediation]]:
    """Reviewed mediations that ended with no agreement between pupils and have not been followed up
    (``Mediation.needs_follow_up``), oldest first. One still to review is in the review queue, whose
    record offers the follow-up too."""
    return (select(Mediation)
            .where(Mediation.school_id == school_id, Mediation.reviewed_at.is_not(None), Mediation.needs_follow_up)
            .order_by(Mediation.completed_at))


def in_progress(school_id: int) -> Select[tuple[Mediation]]:
    return (select(Mediation).where(Mediation.school_id == school_id, Mediation.completed_at.is_(None))
            .order_by(Mediation.started_at.desc()))


def mark_reviewed(mediation: Mediation, reviewer: Staff, note: str | None) -> None:
    """The mediation lead (pastoral or admin) reviews a finished mediation, with an optional note."""
    if reviewer.school_id != mediation.school_id or not reviewer.has_role(*LEAD_ROLES):
        raise MediationError("Only the school's mediation lead can review mediations.")
    if not mediation.is_complete:
        raise MediationError("This mediation hasn't finished yet.")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise MediationError(f"Keep the note to {MAX_NOTE:,} characters.")
    mediation.reviewed_at = datetime.now(timezone.utc)
    mediation.reviewed_by_id = reviewer.id
    mediation.review_note = note or None
    for alert in mediation.alerts:  # a "We can't agree" nobody answered: the lead takes it over (panels say so)
        if alert.resolved_at is None:
            if alert.answered_by_id is None:
                alert.answered_by_id, alert.answered_at = reviewer.id, mediation.reviewed_at
            alert.resolved_at = mediation.reviewed_at


def follows_up_with(mediation: Mediation, pupils: list[Pupil]) -> bool:
    """A conversation or conference follows a mediation up only if at least one of the pupils in its
    disagreement takes part (one may have left the school); one with neither of them is about something else."""
    return any(party.pupil_id in {pupil.id for pupil in pupils} for party in mediation.parties)


def record_follow_up(mediation: Mediation, staff: Staff, conversation: Conversation | None = None) -> None:
    """A mediation that ended with no agreement has been followed up by the lead: by ``conversation``, a
    conversation or conference started from its record with at least one of its pupils (``follows_up_with``),
    or another way (a conversation held in person and not recorded here, a call home). Only the first
    follow-up is kept."""
    if staff.school_id != mediation.school_id or not staff.has_role(*LEAD_ROLES):
        raise MediationError("Only the school's mediation lead can follow up mediations.")
    if not mediation.ended_without_agreement:
        raise MediationError("Only a mediation that ended with no agreement needs a follow-up.")
    if conversation is not None and not follows_up_with(mediation, conversation.pupils):
        raise MediationError("A conversation with none of the pupils in the mediation does not follow it up.")
    if mediation.followed_up_at is None:
        mediation.followed_up_at = datetime.now(timezone.utc)
        mediation.followed_up_by_id = staff.id
        mediation.follow_up_conversation_id = conversation.id if conversation is not None else None


@timeline_source
def mediation_entries(pupil: Pupil, viewer: Staff) -> list[Entry]:
    """Mediations the pupil was in (or led), for staff who read everything about the pupil
    (records/access.py); anyone else reads only what they logged, and a member of staff logs no
    mediation (pupil mediators do). Never any concern."""
    if not reads_everything_about(viewer, pupil):
        return []
    as_party = select(MediationParty.mediation_id).where(MediationParty.pupil_id == pupil.id)
    as_mediator = select(MediationMediator.mediation_id).where(MediationMediator.pupil_id == pupil.id)
    mediations = db.session.scalars(select(Mediation).where(
        Mediation.school_id == pupil.school_id, Mediation.completed_at.is_not(None),
        or_(Mediation.id.in_(as_party), Mediation.id.in_(as_mediator))))
    entries = []
    for mediation in mediations:
        led = any(m.pupil_id == pupil.id for m in mediation.mediators)
        agreed = [p.agreement.what for p in mediation.parties if p.agreement is not None]
        detail = mediation.outcome_label + "".join(f" · Agreed: {what}" for what in agreed)
        if mediation.outcome in NO_AGREEMENT:  # as an agreement not kept says (records/sources.py)
            detail += (" · follow-up needed" if mediation.followed_up_at is None else
                       f" · followed up on {as_utc(mediation.followed_up_at).astimezone(viewer.school.zone):%-d %b %Y}")
        url = url_for("mediation.record", mediation_id=mediation.id) if viewer.has_role(*LEAD_ROLES) else None
        entries.append(Entry(when=mediation.completed_at, kind="mediation",
                             title="Led a peer mediation" if led else f"Peer mediation with {mediation.party_names}",
                             detail="" if led else detail, url=url))
    return entries
