"""Retention: each kind of record is kept for its period, then ``flask purge-records`` deletes it
(DESIGN.md's security baseline; UK GDPR storage limitation - children's data are kept no longer than
they are needed).

Rules:
- A record's age counts from when it ended or was recorded: a check-in or quick chat when it was made,
  a circle, conversation, conference or mediation when it closed or finished, an agreement at its last
  review or follow-up. Periods are whole days where the school is: a record is purged once the day it
  ended is more than the period before the school's today (``rrp_pwa.config.RETENTION_DEFAULTS``).
- Nothing still open or in use is purged: an open circle, an unfinished conversation or mediation (or
  one waiting for an adult), a conference whose review meeting is still ahead, an action agreement
  whose review is due or whose "not kept" still needs its further conversation, a check-in whose
  "check in with this pupil later" is not done, a conversation a kept review says it followed up,
  a feed event a webhook has still to deliver.
- A record goes with the agreements made in it (and their parties and reviews), and only once they too
  are past their own period and finished; so no agreement is left pointing at a deleted circle, chat,
  conversation or mediation. A closed circle first loses its seats (the names), its turn history and
  its check-in links (``circle_names``), and later itself, its rounds and its agreements (``circles``).
- Deleting a record also deletes what points at it: its rows in the event feed and their webhook
  deliveries, and the offline sync receipts that named it. The purge writes no feed event: the MIS
  keeps its own copy of the behaviour record, under the school's own schedule.
- Safeguarding concerns (and the audit trail of who opened or changed them) are never purged here:
  child-protection records follow the school's own retention schedule, outside this app.
- Children are deleted before their parents, with plain DELETE statements, so foreign keys hold on
  SQLite and PostgreSQL; the caller commits the whole of one school's purge as one transaction.
- What is deleted is decided in that transaction, with its rows locked (``plan_locked``): an agreement
  reviewed or a record reopened by someone else while the purge runs is either seen by the purge's
  last look (and kept) or waits for the purge to commit - never deleted just after being changed.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Select, delete, func, or_, select, update

from rrp_pwa.agreements.rules import follow_ups_needed
from rrp_pwa.audit import audit
from rrp_pwa.extensions import db
from rrp_pwa.models.agreements import Agreement, AgreementParty, AgreementReview
from rrp_pwa.models.audit import AuditEvent
from rrp_pwa.models.checkins import CheckIn, CheckInFollowUp, as_utc
from rrp_pwa.models.circles import Circle, CircleCheckIn, CircleEvent, CircleRound, Seat
from rrp_pwa.models.conversations import Answer, Conversation, Participant, QuickChat, QuickChatPupil
from rrp_pwa.models.mediation import Mediation, MediationAlert, MediationMediator, MediationParty
from rrp_pwa.models.roster import School, Staff
from rrp_pwa.models.sync import FeedEvent, SyncReceipt, WebhookAttempt, WebhookDelivery
from rrp_pwa.tenancy import SchoolBusy, hold_school

LABELS = {
    "checkins": "Check-in answers",
    "circle_names": "Closed circles' names and turns (circles)",
    "circles": "Closed circles, with their rounds",
    "chats": "Quick chats",
    "conversations": "Restorative conversations and conferences",
    "mediations": "Peer mediations",
    "agreements": "Agreements, with their reviews",
    "audit": "Audit trail entries (not about concerns)",
    "feed": "Event feed rows",
    "webhook_log": "Webhook delivery log entries",
}
CONCERNS_NOTE = ("Safeguarding concerns are never purged by this command: child-protection records follow "
                 "the school's own retention schedule (ask the DSL).")
CHUNK = 500  # ids per IN (...): well under SQLite's bound on parameters
LOCK_WAIT_MS = 30_000  # how long the purge waits for a record someone is changing (PostgreSQL)
LOCKED = {"checkins": CheckIn, "circle_names": Circle, "circles": Circle, "chats": QuickChat,
          "conversations": Conversation, "mediations": Mediation, "agreements": Agreement, "audit": AuditEvent,
          "feed": FeedEvent, "webhook_log": WebhookDelivery}  # the row of each kind the purge locks


class RecordsInUse(Exception):
    """Some records the purge would delete were being changed for longer than LOCK_WAIT_MS (or the
    database broke a deadlock with someone changing them): nothing was deleted; run it again."""


@dataclass
class Plan:
    """What one school's purge deletes: ids per record kind, and the cutoff each kind was judged by."""

    school: School
    cutoffs: dict[str, datetime]
    ids: dict[str, set[int]] = field(default_factory=lambda: {kind: set() for kind in LABELS})

    def counts(self) -> dict[str, int]:
        return {kind: len(self.ids[kind]) for kind in LABELS}

    @property
    def empty(self) -> bool:
        return not any(self.ids.values())

    def detail(self) -> str:
        """The counts for the audit trail: numbers only, never what a record said."""
        return "purge-records: " + ", ".join(f"{kind} {n}" for kind, n in self.counts().items() if n)


def cutoffs(school: School, days: dict[str, int], today: date | None = None) -> dict[str, datetime]:
    """For each kind, the start (UTC) of the first school day still kept: older records may go."""
    today = today or school.today()
    return {kind: school.day_bounds(today - timedelta(days=days[kind]))[0] for kind in LABELS}


def _scalars(query) -> set[int]:
    return set(db.session.scalars(query))


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    ids = sorted(ids)
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


def _found(query: Select, column, ids: set[int]) -> set[int]:
    """What ``query`` finds where ``column`` is one of ``ids``, asked a chunk of ids at a time: a first purge
    may delete tens of thousands of check-ins, more than one statement may carry (SQLite, PostgreSQL)."""
    found: set[int] = set()
    for chunk in _chunks(ids):
        found |= _scalars(query.where(column.in_(chunk)))
    return found


def _before(moment: datetime | None, cutoff: datetime) -> bool:
    return moment is not None and as_utc(moment) < cutoff


Sources = dict[tuple[str, int | None], list[tuple[int, bool]]]


def _agreements(school: School, cutoff: datetime) -> Sources:
    """The school's agreements by source (a conference's under "conversation", like its table), each
    with whether it may go: finished (not awaiting a review or a further conversation) and last made,
    reviewed or followed up before ``cutoff``."""
    reviews = {agreement_id: (last_review, last_follow_up) for agreement_id, last_review, last_follow_up
               in db.session.execute(select(AgreementReview.agreement_id, func.max(AgreementReview.reviewed_at),
                                            func.max(AgreementReview.followed_up_at))
                                     .join(Agreement, Agreement.id == AgreementReview.agreement_id)
                                     .where(Agreement.school_id == school.id)
                                     .group_by(AgreementReview.agreement_id))}
    awaiting_follow_up = _scalars(follow_ups_needed(school.id).with_only_columns(Agreement.id).order_by(None))
    by_source: Sources = {}
    for agreement in db.session.execute(select(Agreement.id, Agreement.kind, Agreement.status, Agreement.source_kind,
                                               Agreement.source_id, Agreement.created_at)
                                        .where(Agreement.school_id == school.id)):
        in_use = agreement.kind == "action" and (agreement.status in ("open", "partly_kept")
                                                 or agreement.id in awaiting_follow_up)
        touched = [agreement.created_at, *(moment for moment in reviews.get(agreement.id, ()) if moment)]
        may_go = not in_use and all(_before(moment, cutoff) for moment in touched)
        source_kind = "conversation" if agreement.source_kind == "conference" else agreement.source_kind
        by_source.setdefault((source_kind, agreement.source_id), []).append((agreement.id, may_go))
    return by_source


def plan_purge(school: School, days: dict[str, int], today: date | None = None) -> Plan:
    """Find what is past its retention period in ``school`` (nothing is deleted here)."""
    cut = cutoffs(school, days, today)
    today = today or school.today()
    plan = Plan(school, cut)
    ids = plan.ids
    by_source = _agreements(school, cut["agreements"])

    def with_agreements(kind: str, source_ids: set[int]) -> set[int]:
        """The sources whose agreements may all go too; their agreements join the purge."""
        going = {source_id for source_id in source_ids
                 if all(may_go for _, may_go in by_source.get((kind, source_id), []))}
        for source_id in going:
            ids["agreements"] |= {agreement_id for agreement_id, _ in by_source.get((kind, source_id), [])}
        return going

    checkins_in_use = _scalars(select(CheckInFollowUp.checkin_id).where(
        CheckInFollowUp.school_id == school.id, CheckInFollowUp.done_at.is_(None)))
    open_circles = select(Circle.id).where(Circle.school_id == school.id, Circle.status != "closed")
    circle_checkins = select(CheckIn.id).where(CheckIn.school_id == school.id, CheckIn.source == "circle")
    ids["checkins"] = _scalars(
        select(CheckIn.id).where(CheckIn.school_id == school.id, CheckIn.created_at < cut["checkins"])
        .where(or_(CheckIn.source != "circle", CheckIn.source_id.is_(None), CheckIn.source_id.not_in(open_circles)))
    ) - checkins_in_use

    def closed_before(cutoff: datetime):
        return select(Circle.id).where(Circle.school_id == school.id, Circle.status == "closed",
                                       Circle.closed_at < cutoff)

    circles_in_use = _found(circle_checkins.with_only_columns(CheckIn.source_id), CheckIn.id, checkins_in_use)
    ids["circles"] = with_agreements("circle", _scalars(closed_before(cut["circles"])) - circles_in_use)
    ids["checkins"] |= _found(circle_checkins, CheckIn.source_id, ids["circles"])
    ids["circle_names"] = _scalars(closed_before(cut["circle_names"]).where(
        Circle.id.in_(select(Seat.circle_id)))) - ids["circles"]

    ids["chats"] = with_agreements("chat", _scalars(select(QuickChat.id).where(
        QuickChat.school_id == school.id, QuickChat.happened_at < cut["chats"])))

    conversations = _scalars(select(Conversation.id).where(
        Conversation.school_id == school.id, Conversation.completed_at < cut["conversations"],
        or_(Conversation.review_meeting_on.is_(None), Conversation.review_meeting_on < today)))
    # (one waiting for an adult is paused, so unfinished; a finished one's "We can't agree" left unanswered was a
    # call of its day only, and holds nothing back; one with no agreement is kept until it is followed up, and
    # counts from its follow-up, as an agreement does)
    ids["mediations"] = with_agreements("mediation", _scalars(select(Mediation.id).where(
        Mediation.school_id == school.id, Mediation.completed_at < cut["mediations"],
        or_(Mediation.followed_up_at.is_(None), Mediation.followed_up_at < cut["mediations"]),
        or_(Mediation.outcome.is_(None), ~Mediation.needs_follow_up))))
    for (source_kind, source_id), agreements in by_source.items():
        if source_id is None:  # made on its own: it goes by its own period
            ids["agreements"] |= {agreement_id for agreement_id, may_go in agreements if may_go}
    while True:  # a conversation a kept review says it followed up stays until that review goes
        before = set(ids["agreements"])
        going = with_agreements("conversation", conversations)
        cited = set()
        for chunk in _chunks(going):
            cited |= {conversation_id for conversation_id, agreement_id in db.session.execute(
                select(AgreementReview.follow_up_conversation_id, AgreementReview.agreement_id)
                .join(Agreement, Agreement.id == AgreementReview.agreement_id)
                .where(Agreement.school_id == school.id, AgreementReview.follow_up_conversation_id.in_(chunk)))
                if agreement_id not in ids["agreements"]}
        ids["agreements"] = before
        if not cited:
            break
        conversations = going - cited
    ids["conversations"] = with_agreements("conversation", conversations)

    ids["audit"] = _scalars(select(AuditEvent.id).where(
        AuditEvent.school_id == school.id, AuditEvent.at < cut["audit"], AuditEvent.subject_kind != "concern"))
    undelivered = select(WebhookDelivery.event_id).where(WebhookDelivery.school_id == school.id,
                                                          WebhookDelivery.state == "pending")
    ids["feed"] = _scalars(select(FeedEvent.id).where(
        FeedEvent.school_id == school.id, FeedEvent.occurred_at < cut["feed"], FeedEvent.id.not_in(undelivered)))
    ids["feed"] |= _feed_events_of(school.id, ids)
    ids["webhook_log"] = _scalars(select(WebhookDelivery.id).where(
        WebhookDelivery.school_id == school.id, WebhookDelivery.state != "pending",
        WebhookDelivery.created_at < cut["webhook_log"]))
    ids["webhook_log"] |= _found(select(WebhookDelivery.id).where(WebhookDelivery.school_id == school.id),
                                 WebhookDelivery.event_id, ids["feed"])
    return plan


def plan_locked(school: School, days: dict[str, int], today: date | None = None) -> Plan:
    """Plan the purge again inside the transaction that deletes, with every row it would delete locked
    until the commit: a look, then SELECT ... FOR UPDATE on the rows found (waiting for anyone changing
    one), then another look, until everything the last look found is locked. What the last look saw can
    then no longer change: reviewing an agreement, reopening a record or adding to one (a review, a
    follow-up, an alert, a delivery: a foreign key to a locked row) waits for the purge's commit.

    The school is held first (``hold_school``: a roster import of it waits, or is waited for). PostgreSQL
    locks the rows (waiting at most LOCK_WAIT_MS, else RecordsInUse; the caller rolls back). SQLite has
    no row locks and ignores FOR UPDATE; holding the school took its one writer at a time, so nothing
    commits between the looks and the deletes."""
    session = db.session
    try:
        with hold_school(school.id, LOCK_WAIT_MS):
            locked: dict[str, set[int]] = {kind: set() for kind in LABELS}
            while True:
                plan = plan_purge(school, days, today)
                unlocked = {kind: plan.ids[kind] - locked[kind] for kind in LABELS}
                if not any(unlocked.values()):
                    return plan
                for kind, ids in unlocked.items():
                    model = LOCKED[kind]
                    for chunk in _chunks(ids):
                        session.execute(select(model.id).where(model.id.in_(chunk)).order_by(model.id)
                                        .with_for_update())
                    locked[kind] |= ids
    except SchoolBusy as busy:
        raise RecordsInUse from busy


def _feed_events_of(school_id: int, ids: dict[str, set[int]]) -> set[int]:
    """The feed events about records this purge deletes (the feed's copy of them goes too)."""
    reviews = _found(select(AgreementReview.id), AgreementReview.agreement_id, ids["agreements"])
    about = {"check_in": ids["checkins"], "quick_chat": ids["chats"], "conversation": ids["conversations"],
             "mediation": ids["mediations"], "agreement": ids["agreements"], "agreement_review": reviews}
    found: set[int] = set()
    for record_type, record_ids in about.items():
        found |= _found(select(FeedEvent.id).where(FeedEvent.school_id == school_id,
                                                   FeedEvent.record_type == record_type),
                        FeedEvent.record_id, record_ids)
    return found


def _delete(model, column, ids: set[int], *where) -> None:
    for chunk in _chunks(ids):
        db.session.execute(delete(model).where(column.in_(chunk), *where)
                           .execution_options(synchronize_session=False))


def _strip_names(school_id: int, circle_ids: set[int]) -> None:
    """A closed circle keeps its rounds and counts but no longer says who sat in it: its summary loses
    the names, and a check-in still kept from it loses the typed name of someone with no pupil record
    (unless a keeper has still to check in with them: their list says whom)."""
    waiting = select(CheckInFollowUp.checkin_id).where(CheckInFollowUp.school_id == school_id,
                                                       CheckInFollowUp.done_at.is_(None))
    for chunk in _chunks(circle_ids):
        db.session.execute(update(CheckIn).where(CheckIn.school_id == school_id, CheckIn.source == "circle",
                                                 CheckIn.source_id.in_(chunk), CheckIn.id.not_in(waiting))
                           .values(name=None)
                           .execution_options(synchronize_session=False))
    summaries = [row for chunk in _chunks(circle_ids)
                 for row in db.session.execute(select(Circle.id, Circle.summary).where(Circle.id.in_(chunk)))]
    for circle_id, summary in summaries:
        kept = json.loads(summary or "{}")
        kept.update(participants=[], names_removed=True)
        db.session.execute(update(Circle).where(Circle.id == circle_id)
                           .values(summary=json.dumps(kept), holder_seat_id=None)
                           .execution_options(synchronize_session=False))


def purge(plan: Plan, by: Staff | None) -> None:
    """Delete what ``plan`` found, children first, and record the counts in the audit trail as done by
    ``by``, or by the command itself when nobody is named (cron). No entry when there was nothing to
    delete. The caller commits."""
    ids, school_id = plan.ids, plan.school.id
    if plan.empty:
        return
    _delete(WebhookAttempt, WebhookAttempt.delivery_id, ids["webhook_log"])
    _delete(WebhookDelivery, WebhookDelivery.id, ids["webhook_log"], WebhookDelivery.school_id == school_id)
    _delete(FeedEvent, FeedEvent.id, ids["feed"], FeedEvent.school_id == school_id)

    circles = ids["circles"] | ids["circle_names"]
    _delete(CircleCheckIn, CircleCheckIn.circle_id, circles)
    _delete(CircleEvent, CircleEvent.circle_id, circles)
    _delete(Seat, Seat.circle_id, circles)
    _strip_names(school_id, ids["circle_names"])
    _delete(CircleRound, CircleRound.circle_id, ids["circles"])

    _delete(CheckInFollowUp, CheckInFollowUp.checkin_id, ids["checkins"], CheckInFollowUp.school_id == school_id)
    _delete(CircleCheckIn, CircleCheckIn.checkin_id, ids["checkins"])
    _delete(QuickChatPupil, QuickChatPupil.chat_id, ids["chats"])
    participants = _found(select(Participant.id), Participant.conversation_id, ids["conversations"])
    _delete(Answer, Answer.participant_id, participants)
    _delete(Participant, Participant.id, participants)
    for model in (MediationAlert, MediationMediator, MediationParty):
        _delete(model, model.mediation_id, ids["mediations"])
    for kind, record_ids in (("checkin", ids["checkins"]), ("chat", ids["chats"]), ("mediation", ids["mediations"])):
        _delete(SyncReceipt, SyncReceipt.record_id, record_ids, SyncReceipt.school_id == school_id,
                SyncReceipt.kind == kind)

    for chunk in _chunks(ids["conversations"]):  # a mediation kept longer than the conversation that followed it up
        db.session.execute(update(Mediation).where(Mediation.follow_up_conversation_id.in_(chunk))
                           .values(follow_up_conversation_id=None).execution_options(synchronize_session=False))
    for chunk in _chunks(ids["circles"]):  # a review kept longer than the circle that followed it up: "another way"
        db.session.execute(update(AgreementReview).where(AgreementReview.follow_up_circle_id.in_(chunk))
                           .values(follow_up_circle_id=None).execution_options(synchronize_session=False))
    _delete(AgreementParty, AgreementParty.agreement_id, ids["agreements"])
    _delete(AgreementReview, AgreementReview.agreement_id, ids["agreements"])
    for model, kind in ((Agreement, "agreements"), (CheckIn, "checkins"), (Circle, "circles"), (QuickChat, "chats"),
                        (Conversation, "conversations"), (Mediation, "mediations"), (AuditEvent, "audit")):
        _delete(model, model.id, ids[kind], model.school_id == school_id)
    audit(by, "purged", "school", school_id, plan.detail(), school_id=school_id)
