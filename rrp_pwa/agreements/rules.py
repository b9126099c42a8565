"""The rules of agreements: making one, agreeing to it, reviewing it, and what is due."""
from datetime import date, datetime, timezone

from sqlalchemy import Select, select

from rrp_pwa.models.agreements import (
    AGREEMENT_KINDS,
    OUTCOMES,
    SOURCE_KINDS,
    Agreement,
    AgreementParty,
    AgreementReview,
)
from rrp_pwa.models.roster import Pupil, Staff


class AgreementError(Exception):
    """An agreement that breaks a rule; the message is shown to the user."""


class StaleReview(AgreementError):
    """Someone reviewed the agreement after this form was loaded; the user should look again."""


def make_agreement(school_id: int, source_kind: str, source_id: int | None, what: str, *,
                   pupils: list[Pupil] = (), names: list[str] = (), kind: str = "action",
                   by_when: date | None = None, review_on: date | None = None,
                   created_by: Staff | None = None) -> Agreement:
    """An agreement says who will do what, by when, and when it will be reviewed.

    Pupils must belong to the same school. A value (circle agreement) has no owner, deadline
    or review; an action has at least one owner. The caller adds it to the session.
    """
    what = (what or "").strip()
    if not what:
        raise AgreementError("Say what has been agreed.")
    if len(what) > 500:
        raise AgreementError("Keep the agreement to 500 characters.")
    if source_kind not in SOURCE_KINDS or kind not in AGREEMENT_KINDS:
        raise AgreementError("That kind of agreement isn't recognised.")
    if any(p.school_id != school_id for p in pupils):
        raise AgreementError("Everyone in an agreement must be from this school.")
    if by_when and review_on and review_on < by_when:
        raise AgreementError("The review date can't be before the 'by when' date.")
    agreement = Agreement(school_id=school_id, source_kind=source_kind, source_id=source_id, kind=kind,
                          what=what, by_when=by_when if kind == "action" else None,
                          review_on=review_on if kind == "action" else None, status="open",
                          created_by_id=created_by.id if created_by else None)
    if kind == "action" and not (pupils or names):
        raise AgreementError("Choose who the agreement is for.")
    agreement.parties = ([AgreementParty(pupil_id=p.id, owner=True) for p in pupils]
                         + [AgreementParty(name=n.strip()[:120], owner=True) for n in names if n.strip()])
    return agreement


def agree(agreement: Agreement, pupil_id: int | None = None, name: str | None = None) -> AgreementParty:
    """Record that a party tapped "I agree". Tapping twice keeps the first time."""
    for party in agreement.parties:
        if (pupil_id and party.pupil_id == pupil_id) or (name and not party.pupil_id and party.name == name):
            if party.agreed_at is None:
                party.agreed_at = datetime.now(timezone.utc)
            return party
    raise AgreementError("Only someone named in the agreement can agree to it.")


def review_agreement(agreement: Agreement, outcome: str, note: str | None, reviewer: Staff,
                     seen_reviews: int | None = None) -> AgreementReview:
    """Record a follow-up review: kept, partly kept or not kept. The latest review sets the status.

    ``seen_reviews`` is how many reviews the reviewer's form showed; if another review has been
    recorded since, StaleReview is raised instead of silently stacking a second verdict. The note
    is optional and at most 2,000 characters.
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
    review = AgreementReview(outcome=outcome, note=(note or "").strip()[:2000] or None,
                             reviewed_by_id=reviewer.id, reviewed_at=datetime.now(timezone.utc))
    agreement.reviews.append(review)
    agreement.status = outcome
    return review


def reviews_due(school_id: int, on: date) -> Select[tuple[Agreement]]:
    """Open action agreements whose review date has come, oldest first."""
    return (select(Agreement)
            .where(Agreement.school_id == school_id, Agreement.kind == "action",
                   Agreement.status == "open", Agreement.review_on.is_not(None), Agreement.review_on <= on)
            .order_by(Agreement.review_on, Agreement.id))


def agreements_for_pupil(school_id: int, pupil_id: int) -> Select[tuple[Agreement]]:
    """Every agreement a pupil is party to, newest first."""
    return (select(Agreement)
            .join(AgreementParty, AgreementParty.agreement_id == Agreement.id)
            .where(Agreement.school_id == school_id, AgreementParty.pupil_id == pupil_id)
            .order_by(Agreement.created_at.desc()))


def agreements_from(school_id: int, source_kind: str, source_id: int) -> Select[tuple[Agreement]]:
    """The agreements made in one circle, chat, conversation, mediation or conference."""
    return (select(Agreement)
            .where(Agreement.school_id == school_id, Agreement.source_kind == source_kind,
                   Agreement.source_id == source_id)
            .order_by(Agreement.created_at, Agreement.id))


def pupils_involved(agreement: Agreement) -> list[Pupil]:
    """The pupils named in an agreement: who a follow-up conversation, circle or conference is with."""
    return [party.pupil for party in agreement.parties if party.pupil is not None]
