"""The rules of agreements: making one, agreeing to it, reviewing it, and what is due.

An action agreement is followed up until the follow-up is done: it comes up for review on its review
date; "partly kept" sets the date it is reviewed again; "not kept" asks for a further conversation,
and the agreement waits among the follow-ups needed until one is started from it (or someone records
that it was followed up another way).
"""
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import selectinload

from rrp_pwa.extensions import db
from rrp_pwa.models.agreements import (
    AGREEMENT_KINDS,
    OUTCOMES,
    SOURCE_KINDS,
    Agreement,
    AgreementParty,
    AgreementReview,
)
from rrp_pwa.models.conversations import CONVERSATION_KINDS, Conversation, Participant
from rrp_pwa.models.mediation import Mediation, MediationParty
from rrp_pwa.models.roster import Pupil, School, Staff


class AgreementError(Exception):
    """An agreement that breaks a rule; the message is shown to the user.

    ``problems`` lists every rule broken at once as (field, message) pairs, so that a form can show each
    beside its field in one round trip: the field is one of ``AGREEMENT_FIELDS``, or None when the problem
    is with the agreement as a whole. The message is all of them, one after another."""

    def __init__(self, message: str | None = None, field: str | None = None,
                 problems: list[tuple[str | None, str]] | None = None) -> None:
        self.problems = list(problems) if problems else [(field, message or "")]
        super().__init__(" ".join(text for _, text in self.problems))


# The fields of an agreement a problem can be about: what was agreed, who it is for, and its two dates.
AGREEMENT_FIELDS = ("what", "parties", "by_when", "review_on")


# An action agreement made without a review date is reviewed this long after it was made (or on its
# "by when" date, if it has one): every action agreement comes up for review.
REVIEW_AFTER = timedelta(days=14)
# The choices a peer mediation offers for when the agreement is checked ("When will we check it is working?").
REVIEW_IN_WEEKS = {1: "In 1 week", 2: "In 2 weeks", 4: "In 4 weeks"}


class StaleReview(AgreementError):
    """Someone reviewed the agreement after this form was loaded; the user should look again."""


class NotWaitingForReview(AgreementError):
    """The agreement has no review to move: it is not an action agreement, or was reviewed meanwhile."""


def make_agreement(school_id: int, source_kind: str, source_id: int | None, what: str, *,
                   pupils: list[Pupil] = (), names: list[str] = (), kind: str = "action",
                   by_when: date | None = None, review_on: date | None = None,
                   created_by: Staff | None = None, today: date | None = None) -> Agreement:
    """An agreement says who will do what, by when, and when it will be reviewed.

    Pupils must belong to the same school. A value (circle agreement) has no owner, deadline
    or review; an action has at least one owner and always a review date: the one given, else its
    "by when" date, else ``REVIEW_AFTER`` from ``today`` (the school's today). Neither date may
    have passed. What was agreed, who it is for and the dates are checked together and every problem
    raised at once (``AgreementError.problems``), so the person puts them all right in one go. The
    caller adds it to the session.
    """
    what = (what or "").strip()
    if source_kind not in SOURCE_KINDS or kind not in AGREEMENT_KINDS:
        raise AgreementError("That kind of agreement isn't recognised.")
    if any(p.school_id != school_id for p in pupils):
        raise AgreementError("Everyone in an agreement must be from this school.", "parties")
    problems = []
    if not what:
        problems.append(("what", "Say what has been agreed."))
    elif len(what) > 500:
        problems.append(("what", "Keep the agreement to 500 characters."))
    if kind == "action":
        if not (pupils or [n for n in names if n.strip()]):
            problems.append(("parties", "Choose who the agreement is for."))
        today = today or db.session.get(School, school_id).today()
        if by_when and by_when < today:
            problems.append(("by_when", "The 'by when' date has passed: choose today or a later day."))
        problems += [("review_on", text) for text in review_date_problems(review_on, by_when, today)]
        review_on = review_on or by_when or today + REVIEW_AFTER
    if problems:
        raise AgreementError(problems=problems)
    agreement = Agreement(school_id=school_id, source_kind=source_kind, source_id=source_id, kind=kind,
                          what=what, by_when=by_when if kind == "action" else None,
                          review_on=review_on if kind == "action" else None, status="open",
                          created_by_id=created_by.id if created_by else None)
    agreement.parties = ([AgreementParty(pupil_id=p.id, owner=True) for p in pupils]
                         + [AgreementParty(name=n.strip()[:120], owner=True) for n in names if n.strip()])
    return agreement


def review_date_problems(review_on: date | None, by_when: date | None, today: date,
                         chosen: str = "The review date") -> list[str]:
    """What is wrong with an action agreement's review date (nothing: an empty list), wherever it is
    chosen (a conversation, a circle, a peer mediation, the mediation lead changing it): it must not have
    passed, and must not be before the "by when" date. ``chosen`` names the date in the words: where the
    agreement already has a review date (moving it), the day typed, so it can't be read as that one."""
    problems = []
    if review_on and review_on < today:
        problems.append(f"{chosen} has passed: choose today or a later day.")
    if by_when and review_on and review_on < by_when:
        problems.append(f"{chosen} can't be before the 'by when' date.")
    return problems


def check_review_date(review_on: date | None, by_when: date | None, today: date,
                      chosen: str = "The review date") -> None:
    """Refuse a review date that breaks the rule (``review_date_problems``), naming every problem."""
    problems = review_date_problems(review_on, by_when, today, chosen)
    if problems:
        raise AgreementError(problems=[("review_on", text) for text in problems])


def review_in_weeks(weeks: int | None, today: date) -> date:
    """The review date ``weeks`` (one of ``REVIEW_IN_WEEKS``) after ``today``: how a peer mediation chooses it."""
    if weeks not in REVIEW_IN_WEEKS:
        raise AgreementError("Choose when you will check it is working.")
    return today + timedelta(weeks=weeks)


def weeks_until(review_on: date | None, today: date) -> int:
    """The ``REVIEW_IN_WEEKS`` choice nearest to ``review_on`` (two weeks when there is none yet)."""
    if review_on is None:
        return REVIEW_AFTER.days // 7
    return min(REVIEW_IN_WEEKS, key=lambda weeks: abs((review_on - today).days - 7 * weeks))


def change_review_date(agreement: Agreement, review_on: date | None, staff: Staff, today: date | None = None) -> None:
    """Staff move the date an action agreement comes up for review (the mediation lead, at review), by the
    same rule as when it was made. Only one still waiting for a review (open, or partly kept) has one to move."""
    if staff.school_id != agreement.school_id:
        raise AgreementError("Only staff of this school can change its agreements.")
    if agreement.kind != "action" or agreement.status not in ("open", "partly_kept"):
        raise NotWaitingForReview("This agreement is not waiting for a review, so its review can't be moved.")
    if review_on is None:
        raise AgreementError("Choose the day to review the agreement.")
    check_review_date(review_on, agreement.by_when, today or staff.school.today(),
                      chosen=f"The day you chose, {review_on:%A %-d %B},")
    agreement.review_on = review_on


def agree(agreement: Agreement, pupil_id: int | None = None, name: str | None = None) -> AgreementParty:
    """Record that a party tapped "I agree". Tapping twice keeps the first time."""
    for party in agreement.parties:
        if (pupil_id and party.pupil_id == pupil_id) or (name and not party.pupil_id and party.name == name):
            if party.agreed_at is None:
                party.agreed_at = datetime.now(timezone.utc)
            return party
    raise AgreementError("Only someone named in the agreement can agree to it.")


def review_agreement(agreement: Agreement, outcome: str, note: str | None, reviewer: Staff,
                     seen_reviews: int | None = None, review_again_on: date | None = None,
                     today: date | None = None) -> AgreementReview:
    """Record a follow-up review: kept, partly kept or not kept. The latest review sets the status.

    ``seen_reviews`` is how many reviews the reviewer's form showed; if another review has been
    recorded since, StaleReview is raised instead of silently stacking a second verdict. The note
    is optional and at most 2,000 characters. "Partly kept" needs ``review_again_on``, a day after
    ``today``, when the agreement comes up for review again. "Not kept" makes a further conversation
    due (``follow_ups_needed``), even if an earlier "not kept" was already followed up.
    """
    if seen_reviews is not None and seen_reviews != len(agreement.reviews):
        raise StaleReview("Someone has reviewed this agreement since you opened it. Check their review below.")
    if note and len(note.strip()) > 2000:
        raise AgreementError("Keep the note to 2,000 characters.")
    if outcome not in OUTCOMES:
        raise AgreementError("Choose kept, partly kept or not kept.")
    if agreement.kind != "action":
        raise AgreementError("Only action agreements are reviewed.")
    if reviewer.school_id != agreement.school_id:
        raise AgreementError("Only staff of this school can review its agreements.")
    if outcome == "partly_kept":
        today = today or reviewer.school.today()
        if review_again_on is None or review_again_on <= today:
            which = "" if review_again_on is None else (
                f" ({review_again_on:%A %-d %B} {'is today' if review_again_on == today else 'has passed'})")
            raise AgreementError(f"Partly kept: choose a day after today to review it again{which}.",
                                 field="review_again_on")
        agreement.review_on = review_again_on
    review = AgreementReview(outcome=outcome, note=(note or "").strip()[:2000] or None,
                             reviewed_by_id=reviewer.id, reviewed_at=datetime.now(timezone.utc))
    agreement.reviews.append(review)
    agreement.status = outcome  # a "not kept" review needs its own follow-up; earlier ones keep theirs
    return review


def record_follow_up(agreement: Agreement, staff: Staff, conversation_id: int | None = None,
                     circle_id: int | None = None) -> None:
    """A "not kept" agreement has been followed up: by the conversation or conference ``conversation_id``
    or the circle ``circle_id`` started from it, or another way (a call home). It is recorded on the latest
    review, the "not kept" it answers, with who and when; only the first follow-up of that review is kept."""
    review = agreement.latest_review
    if agreement.status != "not_kept" or review is None or review.outcome != "not_kept":
        raise AgreementError("Only an agreement that was not kept needs a follow-up.")
    if staff.school_id != agreement.school_id:
        raise AgreementError("Only staff of this school can follow up its agreements.")
    if review.followed_up_at is None:
        review.followed_up_at = datetime.now(timezone.utc)
        review.followed_up_by_id, review.follow_up_conversation_id = staff.id, conversation_id
        review.follow_up_circle_id = circle_id


def follows_up_with(agreement: Agreement, pupils: list[Pupil]) -> bool:
    """A conversation or conference follows a not kept agreement up only if at least one of the pupils it
    concerns (``pupils_involved``) takes part; one with none of them is about something else."""
    ids = {pupil.id for pupil in pupils}
    return any(pupil.id in ids for pupil in pupils_involved(agreement))


def reviews_due(school_id: int, on: date) -> Select[tuple[Agreement]]:
    """Action agreements whose review date has come, oldest first: never reviewed, or partly kept
    and due to be reviewed again. A peer mediation's count once it has ended agreed (before that they
    are the mediators' drafts)."""
    return (select(Agreement)
            .where(Agreement.school_id == school_id, Agreement.kind == "action",
                   Agreement.status.in_(("open", "partly_kept")), Agreement.review_on.is_not(None),
                   Agreement.review_on <= on, not_a_draft(school_id))
            .order_by(Agreement.review_on, Agreement.id))


def not_a_draft(school_id: int) -> ColumnElement[bool]:
    """A condition on Agreement: not one of a peer mediation's drafts - what the mediators typed at the
    agreement step of a mediation that has not ended agreed (it may still be rewritten, or go)."""
    drafts = (select(Mediation.id).where(Mediation.school_id == school_id)
              .where(or_(Mediation.outcome.is_(None), Mediation.outcome != "agreed")))
    return or_(Agreement.source_kind != "mediation", Agreement.source_id.not_in(drafts))


def is_draft(agreement: Agreement) -> bool:
    """True for a peer mediation's draft agreement (``not_a_draft``): made only when the mediation ends agreed
    (``rrp_pwa.mediation.flow._finish``)."""
    if agreement.source_kind != "mediation":
        return False
    return db.session.scalar(select(Mediation.outcome).where(Mediation.id == agreement.source_id,
                                                             Mediation.school_id == agreement.school_id)) != "agreed"


def follow_ups_needed(school_id: int) -> Select[tuple[Agreement]]:
    """Agreements reviewed as not kept whose further conversation has not happened yet, oldest first:
    their latest review is a "not kept" with no follow-up recorded."""
    latest = (select(func.max(AgreementReview.id)).where(AgreementReview.agreement_id == Agreement.id)
              .correlate(Agreement).scalar_subquery())
    return (select(Agreement)
            .join(AgreementReview, AgreementReview.id == latest)
            .where(Agreement.school_id == school_id, Agreement.status == "not_kept",
                   AgreementReview.outcome == "not_kept", AgreementReview.followed_up_at.is_(None))
            .order_by(Agreement.review_on, Agreement.id))


def agreements_for_pupil(school_id: int, pupil_id: int) -> Select[tuple[Agreement]]:
    """Every agreement a pupil is party to, newest first (a peer mediation's drafts are not agreements yet)."""
    return (select(Agreement)
            .join(AgreementParty, AgreementParty.agreement_id == Agreement.id)
            .where(Agreement.school_id == school_id, AgreementParty.pupil_id == pupil_id, not_a_draft(school_id))
            .order_by(Agreement.created_at.desc()))


def agreements_from(school_id: int, source_kind: str, source_id: int) -> Select[tuple[Agreement]]:
    """The agreements made in one circle, chat, conversation, mediation or conference."""
    return (select(Agreement)
            .where(Agreement.school_id == school_id, Agreement.source_kind == source_kind,
                   Agreement.source_id == source_id)
            .order_by(Agreement.created_at, Agreement.id))


def pupils_involved(agreement: Agreement, sources: dict[tuple[str, int], Conversation | Mediation] | None = None
                    ) -> list[Pupil]:
    """The pupils concerned by an agreement: those it names and, for one made in a conversation or
    conference, everyone who took part (the pupil harmed as well as the one who agreed to act); for one
    made in a peer mediation, both people in the disagreement (not the mediators). A follow-up is with
    all of them, and whoever may read those pupils' records may read the agreement.
    ``sources``: the conversations and mediations already loaded by ``agreement_sources`` for a list."""
    pupils = [party.pupil for party in agreement.parties if party.pupil is not None]
    key = _source_key(agreement)
    if key is not None:
        source = sources.get(key) if sources is not None else db.session.get(SOURCE_MODELS[key[0]], key[1])
        if source is not None and source.school_id == agreement.school_id:
            pupils += [p for p in _source_pupils(source) if p not in pupils]
    return pupils


SOURCE_MODELS = {"conversation": Conversation, "mediation": Mediation}


def _source_key(agreement: Agreement) -> tuple[str, int] | None:
    """Where to find the other people of the record an agreement was made in, if it has any."""
    if agreement.source_id is None:
        return None
    if agreement.source_kind in CONVERSATION_KINDS:
        return "conversation", agreement.source_id
    if agreement.source_kind == "mediation":
        return "mediation", agreement.source_id
    return None


def _source_pupils(source: Conversation | Mediation) -> list[Pupil]:
    if isinstance(source, Mediation):
        return [party.pupil for party in source.parties]
    return list(source.pupils)


def agreement_sources(agreements: list[Agreement]) -> dict[tuple[str, int], Conversation | Mediation]:
    """The conversations, conferences and mediations these agreements were made in, with their pupils, in
    a fixed number of queries: what ``pupils_involved`` reads for a whole list."""
    keys = {key for a in agreements if (key := _source_key(a)) is not None}
    found: dict[tuple[str, int], Conversation | Mediation] = {}
    talk_ids = {source_id for kind, source_id in keys if kind == "conversation"}
    if talk_ids:
        found |= {("conversation", c.id): c for c in db.session.scalars(
            select(Conversation).where(Conversation.id.in_(talk_ids))
            .options(selectinload(Conversation.participants).selectinload(Participant.pupil)))}
    mediation_ids = {source_id for kind, source_id in keys if kind == "mediation"}
    if mediation_ids:
        found |= {("mediation", m.id): m for m in db.session.scalars(
            select(Mediation).where(Mediation.id.in_(mediation_ids))
            .options(selectinload(Mediation.parties).selectinload(MediationParty.pupil)))}
    return found


def with_people(query: Select[tuple[Agreement]]) -> Select[tuple[Agreement]]:
    """``query`` loading each agreement's parties with their pupils, and its reviews, a query each for
    the whole list (a page listing agreements would otherwise read them agreement by agreement)."""
    return query.options(selectinload(Agreement.parties).selectinload(AgreementParty.pupil),
                         selectinload(Agreement.reviews))


def needs_follow_up(agreement: Agreement) -> bool:
    """Reviewed as not kept, and no further conversation (or other follow-up) recorded for that review yet."""
    review = agreement.latest_review
    return (agreement.status == "not_kept" and review is not None and review.outcome == "not_kept"
            and review.followed_up_at is None)
