"""The pupil timeline's restorative entries: chats, conversations, conferences, agreements and
their reviews, and (for the DSL only) safeguarding concerns.

Each source returns only what the viewer may read (records/access.py): everything about the
pupil for admin, pastoral, DSL and the pupil's teachers; otherwise only what the viewer logged.
Concerns appear only to the DSL, and only as "Concern raised" with a link to the restricted queue.
Agreements made in circles are listed by the circles source; their follow-up reviews are listed here.
"""
from zoneinfo import ZoneInfo

from flask import url_for
from sqlalchemy import select

from rrp_pwa.agreements.rules import agreements_for_pupil
from rrp_pwa.extensions import db
from rrp_pwa.models.agreements import OUTCOME_LABELS, Agreement
from rrp_pwa.models.checkins import as_utc
from rrp_pwa.models.conversations import PARTICIPANT_ROLE_LABELS, Conversation, Participant, QuickChat, QuickChatPupil
from rrp_pwa.models.roster import Pupil, Staff
from rrp_pwa.models.safeguarding import Concern
from rrp_pwa.records.access import only_theirs
from rrp_pwa.records.timeline import Entry, timeline_source

LIMIT = 200


@timeline_source
def chats(pupil: Pupil, viewer: Staff) -> list[Entry]:
    query = (select(QuickChat).join(QuickChatPupil, QuickChatPupil.chat_id == QuickChat.id)
             .where(QuickChat.school_id == pupil.school_id, QuickChatPupil.pupil_id == pupil.id)
             .order_by(QuickChat.happened_at.desc()).limit(LIMIT))
    return [Entry(chat.happened_at, "chat", f"Quick chat: {chat.what}, {chat.where}",
                  f"{chat.staff.name}{' · agreed: ' + chat.agreed if chat.agreed else ''}",
                  url_for("conversations.chat", chat_id=chat.id))
            for chat in db.session.scalars(only_theirs(query, QuickChat.staff_id, viewer, pupil))]


@timeline_source
def conversations(pupil: Pupil, viewer: Staff) -> list[Entry]:
    query = (select(Conversation, Participant.role)
             .join(Participant, Participant.conversation_id == Conversation.id)
             .where(Conversation.school_id == pupil.school_id, Participant.pupil_id == pupil.id)
             .order_by(Conversation.happened_at.desc()).limit(LIMIT))
    rows = db.session.execute(only_theirs(query, Conversation.staff_id, viewer, pupil))
    return [Entry(record.happened_at, record.kind, record.kind_label,
                  f"{PARTICIPANT_ROLE_LABELS[role]} · led by {record.staff.name}"
                  f"{'' if record.completed_at else ' · in progress'}",
                  url_for("conversations.conversation", conversation_id=record.id))
            for record, role in rows]


def agreement_status(agreement: Agreement, zone: ZoneInfo) -> str:
    """Where an agreement stands, as its own page says: waiting for its review (on which day), or how
    its latest review ended; never a review day that has come and gone. One not kept says whether it has
    been followed up yet (the follow-up list's question), and when."""
    if agreement.status == "partly_kept" and agreement.review_on:
        return f"Partly kept · review again on {agreement.review_on:%-d %b %Y}"
    review = agreement.latest_review
    if agreement.status == "not_kept" and review is not None and review.outcome == "not_kept":
        if review.followed_up_at is None:
            return "Not kept · follow-up needed"
        return f"Not kept · followed up on {as_utc(review.followed_up_at).astimezone(zone):%-d %b %Y}"
    if agreement.status in OUTCOME_LABELS:
        return OUTCOME_LABELS[agreement.status]
    return f"Review on {agreement.review_on:%-d %b %Y}" if agreement.review_on else ""


@timeline_source
def agreements(pupil: Pupil, viewer: Staff) -> list[Entry]:
    query = only_theirs(agreements_for_pupil(pupil.school_id, pupil.id).limit(LIMIT),
                        Agreement.created_by_id, viewer, pupil)
    entries = []
    for agreement in db.session.scalars(query):
        link = url_for("agreements.agreement", agreement_id=agreement.id)
        if agreement.source_kind != "circle":  # the circles source lists circle agreements itself
            entries.append(Entry(agreement.created_at, "agreement", f"Agreement: {agreement.what}",
                                 agreement_status(agreement, viewer.school.zone), link))
        entries += [Entry(review.reviewed_at, "review", f"Agreement review: {OUTCOME_LABELS[review.outcome]}",
                          agreement.what, link) for review in agreement.reviews]
    return entries


@timeline_source
def concerns(pupil: Pupil, viewer: Staff) -> list[Entry]:
    if not viewer.has_role("dsl") or viewer.school_id != pupil.school_id:
        return []
    query = (select(Concern).where(Concern.school_id == pupil.school_id, Concern.pupil_id == pupil.id)
             .order_by(Concern.created_at.desc()).limit(LIMIT))
    return [Entry(concern.created_at, "concern", "Safeguarding concern raised",
                  "New" if concern.status == "new" else concern.status.capitalize(),
                  url_for("safeguarding.concern", concern_id=concern.id))
            for concern in db.session.scalars(query)]
