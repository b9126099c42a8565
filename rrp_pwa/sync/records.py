"""The records that leave the school (feed, webhooks, exports) and their JSON shape.

Every record has the same top-level fields, named after an MIS behaviour record so a connector
to Arbor, SIMS or Bromcom (via Wonde/Xporter) is a thin mapping:

    type         quick_chat | conversation | conference | mediation | agreement | agreement_review | check_in
    id           the record's id in RRP (stable; events about it repeat it)
    date_time    when it happened (ISO 8601, UTC)
    recorded_at  when it was written down
    category     restorative chat, restorative conversation, ... wellbeing check-in
    location     where (a chat's place, a check-in's setting), or null
    pupils       [{id, mis_id, name, role}]  mis_id is the OneRoster sourcedId; role says how they took part
    staff        [{id, mis_id, name, role}]
    narrative    what happened, in the words staff chose, or null
    outcome      what came of it, or null
    follow_up    {...} dates and flags for the follow-up, or null

What a pupil said or typed themselves is never included: a check-in made in a circle or at the check-in
station carries its value, not its word (the station tells pupils only adults at school see it; an MIS
behaviour record can reach parents' apps). The word an adult wrote down with a check-in made with staff is
narrative. Safeguarding concerns are never records here.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import inspect, select

from rrp_pwa.checkins.scales import SCALES
from rrp_pwa.models import Agreement, AgreementParty, AgreementReview, CheckIn
from rrp_pwa.models.agreements import OUTCOME_LABELS
from rrp_pwa.sync.feed import register_child, register_record

REGISTERED: list[str] = []


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value else None


def person(someone, role: str) -> dict | None:
    if someone is None:
        return None
    name = getattr(someone, "display_name", None) or someone.name
    return {"id": someone.id, "mis_id": someone.external_id, "name": name, "role": role}


def mis_record(record_type: str, record_id: int, *, date_time, recorded_at, category: str,
               location: str | None = None, pupils: list[dict | None] = (), staff: list[dict | None] = (),
               narrative: str | None = None, outcome: str | None = None, follow_up: dict | None = None,
               **extra: Any) -> dict:
    return {"type": record_type, "id": record_id, "date_time": _iso(date_time), "recorded_at": _iso(recorded_at),
            "category": category, "location": location, "pupils": [p for p in pupils if p],
            "staff": [s for s in staff if s], "narrative": narrative, "outcome": outcome, "follow_up": follow_up,
            **extra}


def agreement_json(agreement: Agreement) -> dict:
    return mis_record(
        "agreement", agreement.id, date_time=agreement.created_at, recorded_at=agreement.created_at,
        category="restorative agreement",
        pupils=[person(p.pupil, "agrees" if p.owner else "party") for p in agreement.parties],
        staff=[person(agreement.created_by, "recorded_by")], narrative=agreement.what, outcome=agreement.status,
        follow_up={"by_when": _iso(agreement.by_when), "review_on": _iso(agreement.review_on)},
        source={"kind": agreement.source_kind, "id": agreement.source_id})


def review_json(review: AgreementReview) -> dict:
    agreement = review.agreement
    return mis_record(
        "agreement_review", review.id, date_time=review.reviewed_at, recorded_at=review.reviewed_at,
        category="agreement follow-up review",
        pupils=[person(p.pupil, "agrees" if p.owner else "party") for p in agreement.parties],
        staff=[person(review.reviewed_by, "reviewer")], narrative=review.note,
        outcome=OUTCOME_LABELS.get(review.outcome, review.outcome),
        follow_up={"agreement_id": agreement.id,  # not kept: needed until it is followed up (then when)
                   "further_conversation_needed": review.outcome == "not_kept" and review.followed_up_at is None
                   and review is agreement.latest_review,  # a later review owes its own (agreements.rules)
                   "followed_up_at": _iso(review.followed_up_at)})


def superseded_review(review: AgreementReview) -> AgreementReview | None:
    """The review a new one supersedes, if it was a "not kept" still owed a follow-up: it is owed none now
    (``review_json``), so the new review is an updated event for it too."""
    if not inspect(review).pending or review.agreement is None:
        return None
    reviews = review.agreement.reviews
    before = reviews[reviews.index(review) - 1] if review in reviews and reviews.index(review) > 0 else None
    return before if before is not None and before.outcome == "not_kept" and before.followed_up_at is None else None


def checkin_json(checkin: CheckIn) -> dict:
    scale = SCALES.get(checkin.scale)
    label = scale.option(checkin.value).label if scale else str(checkin.value)
    return mis_record(
        "check_in", checkin.id, date_time=checkin.created_at, recorded_at=checkin.created_at,
        category="wellbeing check-in", location=checkin.source, pupils=[person(checkin.pupil, "checked_in")],
        staff=[person(checkin.recorded_by, "recorded_by")],
        narrative=checkin.word if checkin.source == "staff" else None,  # never a pupil's own typing
        outcome=label, follow_up={"check_in_later": checkin.low}, scale=checkin.scale, value=checkin.value)


def agreement_made(agreement: Agreement) -> bool:
    """A peer mediation's agreements are made when it ends agreed; until then they are what the pupil
    mediators are typing (``rrp_pwa.agreements.rules.is_draft``)."""
    from rrp_pwa.agreements.rules import is_draft  # here, as the Mediation model was: imported when first needed

    return not is_draft(agreement)


def register_core() -> None:
    """Agreements, their reviews and check-ins: the shared models that exist from the start."""
    parties_of = lambda pupil_id: select(AgreementParty.agreement_id).where(AgreementParty.pupil_id == pupil_id)  # noqa: E731
    register_record(Agreement, "agreement", agreement_json, when=Agreement.created_at, ready=agreement_made,
                    involving=lambda pupil_id: Agreement.id.in_(parties_of(pupil_id)))
    register_child(AgreementParty, lambda party: party.agreement)
    register_record(AgreementReview, "agreement_review", review_json, when=AgreementReview.reviewed_at,
                    involving=lambda pupil_id: AgreementReview.agreement_id.in_(parties_of(pupil_id)),
                    school_of=lambda review: review.agreement.school_id,
                    scoped=lambda school_id: select(AgreementReview).join(Agreement)
                    .where(Agreement.school_id == school_id))
    register_child(AgreementReview, superseded_review)
    register_record(CheckIn, "check_in", checkin_json, when=CheckIn.created_at,
                    involving=lambda pupil_id: CheckIn.pupil_id == pupil_id)
    REGISTERED.extend(["agreement", "agreement_review", "check_in"])


def register_conversations() -> None:
    """Quick chats, restorative conversations and conferences, if the conversations models exist."""
    from rrp_pwa.models import conversations

    chat_model = getattr(conversations, "QuickChat", None)
    if chat_model is not None:
        chat_pupil = conversations.QuickChatPupil

        def chat_json(chat) -> dict:
            return mis_record(
                "quick_chat", chat.id, date_time=chat.happened_at, recorded_at=chat.created_at,
                category="restorative chat", location=chat.where, pupils=[person(p, "involved") for p in chat.pupils],
                staff=[person(chat.staff, "recorded_by")],
                narrative=chat.what + (f". {chat.note}" if chat.note else ""), outcome=chat.agreed, follow_up=None)

        register_record(chat_model, "quick_chat", chat_json, when=chat_model.happened_at,
                        involving=lambda pupil_id: chat_model.id.in_(
                            select(chat_pupil.chat_id).where(chat_pupil.pupil_id == pupil_id)))
        REGISTERED.append("quick_chat")
    conversation_model = getattr(conversations, "Conversation", None)
    if conversation_model is not None:
        participant = conversations.Participant

        def conversation_json(conversation) -> dict:
            return mis_record(
                conversation.kind, conversation.id, date_time=conversation.happened_at,
                recorded_at=conversation.created_at, category=f"restorative {conversation.kind}",
                pupils=[person(p.pupil, p.role) for p in conversation.participants],
                staff=[person(conversation.staff, "facilitator")], narrative=conversation.summary,
                outcome="completed" if conversation.completed_at else "open",
                follow_up={"review_meeting_on": _iso(conversation.review_meeting_on)},
                adults=[{"name": p.name, "role": p.role} for p in conversation.participants if p.pupil is None])

        register_record(conversation_model, "conversation", conversation_json, when=conversation_model.happened_at,
                        involving=lambda pupil_id: conversation_model.id.in_(
                            select(participant.conversation_id).where(participant.pupil_id == pupil_id)))
        register_child(participant, lambda row: row.conversation)
        REGISTERED.append("conversation")


def register_mediation() -> None:
    """Peer mediations once finished: who mediated, who took part, the outcome and the staff review.

    The key words of each pupil's story and their feelings stay in the app; the MIS gets the
    facts and the reviewing adult's note.
    """
    from rrp_pwa.models import mediation

    model, party, mediator = mediation.Mediation, mediation.MediationParty, mediation.MediationMediator

    def mediation_json(record) -> dict:
        return mis_record(
            "mediation", record.id, date_time=record.started_at, recorded_at=record.completed_at or record.started_at,
            category="peer mediation", location=record.place,
            pupils=[person(m.pupil, "mediator") for m in record.mediators]
            + [person(p.pupil, "party") for p in record.parties],
            staff=[person(record.reviewed_by, "reviewer")], narrative=record.review_note,
            outcome=record.outcome_label,
            follow_up={"reviewed_at": _iso(record.reviewed_at),
                       "agreement_ids": [p.agreement_id for p in record.parties if p.agreement_id],
                       # no agreement: needed until it is followed up (then when), as a review not kept
                       "further_conversation_needed": record.needs_follow_up,
                       "followed_up_at": _iso(record.followed_up_at)})

    register_record(model, "mediation", mediation_json, when=model.started_at,
                    ready=lambda record: record.completed_at is not None,
                    involving=lambda pupil_id: model.id.in_(
                        select(party.mediation_id).where(party.pupil_id == pupil_id).union(
                            select(mediator.mediation_id).where(mediator.pupil_id == pupil_id))))
    REGISTERED.append("mediation")


def register_all() -> None:
    """Register every record type once (called when the sync blueprint is imported)."""
    if not REGISTERED:
        register_core()
        register_conversations()
        register_mediation()
