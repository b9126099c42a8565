"""The steps of a peer mediation, as the mediators walk them on a shared tablet.

people -> rules (each party taps to agree the ground rules) -> stories (mediators may note key
words) -> feelings (each party picks one) -> ideas -> agreement (one per party, each taps
"I agree") -> done. Every change bumps ``version``; a form from an older screen raises
``StaleMediation``. While an adult has been called (``paused_at``) nothing moves on.
"""
from collections.abc import Mapping
from datetime import datetime, timezone

from sqlalchemy import Select, func, select

from rrp_pwa.agreements.rules import REVIEW_IN_WEEKS, AgreementError, agree, make_agreement, review_in_weeks
from rrp_pwa.extensions import db
from rrp_pwa.models import Pupil, School
from rrp_pwa.models.agreements import Agreement
from rrp_pwa.models.checkins import as_utc
from rrp_pwa.models.mediation import STEPS, Mediation, MediationMediator, MediationParty
from rrp_pwa.roster.directory import school_pupils

FEELINGS = (
    ("happy", "Happy"), ("calm", "Calm"), ("sad", "Sad"), ("angry", "Angry"), ("worried", "Worried"),
    ("hurt", "Hurt"), ("embarrassed", "Embarrassed"), ("confused", "Confused"), ("left_out", "Left out"),
    ("frustrated", "Frustrated"),
)  # each is drawn as a face in templates/mediation/_face.html
FEELING_LABELS = dict(FEELINGS)
GROUND_RULES = (
    "We want to sort this out.",
    "We are kind and respectful - no names, no put-downs.",
    "We take turns: one person speaks at a time.",
    "We tell the truth.",
    "If we can't agree, an adult takes over.",
)
MAX_WORDS, MAX_IDEAS, MAX_PLACE = 300, 500, 80
STEP_TITLES = {"people": "Who is here?", "rules": "Ground rules", "stories": "Tell your stories",
               "feelings": "Feelings", "ideas": "Ideas", "agreement": "Agreement", "done": "Finished"}
BACK_LABELS = {"rules": "Back to who is here", "stories": "Back to the ground rules",
               "feelings": "Back to the stories", "ideas": "Back to feelings", "agreement": "Back to ideas"}


class MediationError(Exception):
    """A step that breaks a rule; the message is shown to the mediators."""


class StaleMediation(MediationError):
    """The form came from an older screen: someone has already moved the mediation on."""

    def __init__(self) -> None:
        super().__init__("This screen was out of date, so nothing was changed. Here is the latest.")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _change(mediation: Mediation, version: int | None, step: str | None = None, *,
            allow_paused: bool = False) -> None:
    """Refuse a stale form (an older version, or a form from another step's screen), a finished
    mediation, or (unless allowed) a paused one; then bump the version."""
    if (version is not None and version != mediation.version) or (step and not mediation.is_complete
                                                                  and mediation.step != step):
        raise StaleMediation()
    if mediation.is_complete:
        raise MediationError("This mediation has finished.")
    if mediation.paused_at is not None and not allow_paused:
        raise MediationError("The mediation is paused until an adult comes.")
    mediation.version += 1


def _clean(text: str | None, limit: int, what: str) -> str | None:
    text = (text or "").strip()
    if len(text) > limit:
        raise MediationError(f"Keep {what} to {limit} characters.")
    return text or None


def mediation_pupils(school_id: int, with_leavers: bool = False) -> Select[tuple[Pupil]]:
    """The pupils a peer mediation may be about or led by (those leading it must also be peer
    mediators): any current pupil of the school, whether the mediators pick them on the tablet or the
    adult on duty types the mediation up offline. ``with_leavers`` adds pupils who have left, only so
    that a choice of one is refused by name."""
    return school_pupils(school_id, with_leavers)


def start_mediation(school_id: int, mediators: list[Pupil], place: str | None = None) -> Mediation:
    """Open a mediation led by one or two peer mediators of the school. The caller adds and commits."""
    if not 1 <= len(mediators) <= 2:
        raise MediationError("A mediation is led by one or two mediators.")
    if any(m.school_id != school_id or not m.peer_mediator for m in mediators):
        raise MediationError("Only this school's peer mediators can lead a mediation.")
    mediation = Mediation(school_id=school_id, place=_clean(place, MAX_PLACE, "the place"), step="people",
                          version=1, started_at=_now())
    mediation.mediators = [MediationMediator(pupil_id=m.id) for m in mediators]
    return mediation


def add_party(mediation: Mediation, pupil: Pupil, version: int | None = None) -> MediationParty:
    """Add a pupil in the disagreement: at most two, from this school, not one of the mediators."""
    _change(mediation, version, "people")
    if pupil.school_id != mediation.school_id or pupil.archived:
        raise MediationError("Choose a pupil from this school.")
    if any(m.pupil_id == pupil.id for m in mediation.mediators):
        raise MediationError("A mediator can't be one of the people in the disagreement.")
    here = next((p for p in mediation.parties if p.pupil_id == pupil.id), None)
    if here is not None:
        raise MediationError(f"{here.name} is already here.")
    if len(mediation.parties) >= 2:
        raise MediationError("A peer mediation is for two people. Ask an adult if more are involved.")
    party = MediationParty(pupil_id=pupil.id, pupil=pupil)
    mediation.parties.append(party)
    return party


def remove_party(mediation: Mediation, party_id: int, version: int | None = None) -> None:
    _change(mediation, version, "people")
    mediation.parties = [p for p in mediation.parties if p.id != party_id]


def _party(mediation: Mediation, party_id: int) -> MediationParty:
    for party in mediation.parties:
        if party.id == party_id:
            return party
    raise MediationError("That person isn't in this mediation.")


def agree_rules(mediation: Mediation, party_id: int, version: int | None = None) -> None:
    """One party taps to agree the ground rules (a second tap changes nothing)."""
    _change(mediation, version, "rules")
    party = _party(mediation, party_id)
    party.rules_agreed_at = party.rules_agreed_at or _now()


def note_stories(mediation: Mediation, words: dict[int, str | None], version: int | None = None) -> None:
    """Keep the key words the mediators noted from each story (optional, short)."""
    _change(mediation, version, "stories")
    for party_id, text in words.items():
        _party(mediation, party_id).story_words = _clean(text, MAX_WORDS, "the key words")


def record_feelings(mediation: Mediation, feelings: dict[int, str | None], version: int | None = None) -> None:
    """Each party's feeling, one of FEELINGS (or none picked)."""
    _change(mediation, version, "feelings")
    for party_id, feeling in feelings.items():
        if feeling and feeling not in FEELING_LABELS:
            raise MediationError("Pick one of the feelings shown.")
        _party(mediation, party_id).feeling = feeling or None


def note_ideas(mediation: Mediation, ideas: str | None, version: int | None = None) -> None:
    """The ideas both parties suggested to make things right (optional, short)."""
    _change(mediation, version, "ideas")
    mediation.ideas = _clean(ideas, MAX_IDEAS, "the ideas")


def write_agreements(mediation: Mediation, texts: dict[int, str], version: int | None = None,
                     review_weeks: int | None = None, *, draft: bool = False) -> None:
    """One agreement for each party ("what I will do"), made through the agreements module, each checked
    ``review_weeks`` (one of ``REVIEW_IN_WEEKS``) from today: "When will we check it is working?" (not
    given: the agreements module's default, two weeks).

    Rewriting an agreement clears that party's "I agree" (it is a new agreement); choosing another
    week only moves its review date. A ``draft`` keeps what is written so far (the mediators left the
    screen half-way, to get an adult): a person with nothing written yet is left as they were."""
    _change(mediation, version, "agreement")
    today = db.session.get(School, mediation.school_id).today()
    try:
        review_on = review_in_weeks(review_weeks, today) if review_weeks is not None else None
    except AgreementError as exc:
        raise MediationError(str(exc)) from exc
    for party in mediation.parties:
        text = (texts.get(party.id) or "").strip()
        if not text and draft:
            continue
        if not text:
            raise MediationError(f"Write what {party.name} will do.")
        if party.agreement is not None and party.agreement.what == text:
            if review_on is not None:
                party.agreement.review_on = review_on
            continue
        try:
            agreement = make_agreement(mediation.school_id, "mediation", mediation.id, text, pupils=[party.pupil],
                                       review_on=review_on, today=today)
        except AgreementError as exc:
            raise MediationError(str(exc)) from exc
        if party.agreement is not None:
            db.session.delete(party.agreement)
        db.session.add(agreement)
        party.agreement = agreement


def party_agrees(mediation: Mediation, party_id: int, version: int | None = None) -> None:
    """The party taps "I agree" on their own agreement."""
    _change(mediation, version, "agreement")
    party = _party(mediation, party_id)
    if party.agreement is None:
        raise MediationError("Write the agreement first.")
    agree(party.agreement, pupil_id=party.pupil_id)


def keep_typed(mediation: Mediation, typed: Mapping[str, str], version: int | None = None) -> None:
    """Save what the step's screen had typed on it when "Get an adult" was pressed (``typed``: the fields
    sent, named as the step's form names them - ``p<party id>``, ``ideas``, ``review_weeks``), as the
    step's own button would but without moving on, so the pause loses none of it. An agreement is kept as
    a draft. Nothing is touched when no step's fields came; anything the step's rules refuse (or a screen
    out of date) is left out: help comes all the same."""
    fields = {party.id: f"p{party.id}" for party in mediation.parties}
    if not any(name in typed for name in [*fields.values(), "ideas"]):
        return
    by_party = {party_id: typed.get(name) for party_id, name in fields.items()}
    try:
        weeks = int(typed.get("review_weeks", ""))
    except ValueError:
        weeks = None
    save = {"stories": lambda: note_stories(mediation, by_party, version),
            "feelings": lambda: record_feelings(mediation, by_party, version),
            "ideas": lambda: note_ideas(mediation, typed.get("ideas"), version),
            "agreement": lambda: write_agreements(mediation, by_party, version, draft=True,
                                                  review_weeks=weeks if weeks in REVIEW_IN_WEEKS else None),
            }.get(mediation.step)
    if save is None:
        return
    savepoint = db.session.begin_nested()
    try:
        save()
    except MediationError:
        savepoint.rollback()
    else:
        savepoint.commit()


def changed_on_screen(mediation: Mediation, party_id: int, typed: str | None) -> str | None:
    """Why "I agree" cannot count yet, if the words typed for this party's agreement on the screen
    (``typed``; None when none were sent) say something other than the agreement saved and read out:
    they are to be saved and read out first. None if the tap may count."""
    party = next((p for p in mediation.parties if p.id == party_id), None)
    if (typed is None or party is None or party.agreement is None or mediation.step != "agreement"
            or typed.strip() == party.agreement.what):
        return None
    return (f"{party.name}'s agreement was changed on the screen. Tap \"Save the agreements\", "
            "read it out again, then tap \"I agree\".")


def agreements_changed_on_screen(mediation: Mediation, typed: Mapping[str, str]) -> str | None:
    """Why "Finish the mediation" cannot end it yet, if the words typed on the screen for any person's
    agreement (``typed``: the step's fields as sent, ``p<party id>``) say something other than the
    agreement saved, read out and agreed: finishing would put the old words in the record and lose the
    new ones. As for "I agree" (``changed_on_screen``), they are to be saved and read out first. None if
    the mediation may finish (also when no words were sent)."""
    for party in mediation.parties:
        changed = changed_on_screen(mediation, party.id, typed.get(f"p{party.id}"))
        if changed:
            return changed
    return None


def missing_for_step(mediation: Mediation) -> str | None:
    """What must happen before the mediation can move on from its step, or None."""
    if mediation.step == "people" and len(mediation.parties) != 2:
        return "Choose the two people in the disagreement."
    if mediation.step == "rules" and any(p.rules_agreed_at is None for p in mediation.parties):
        return "Everyone taps to agree the ground rules first."
    if mediation.step == "agreement":
        if any(p.agreement is None for p in mediation.parties):
            return "Write an agreement for each person."
        if any(not party_has_agreed(p) for p in mediation.parties):
            return "Each person taps \"I agree\" first."
    return None


def party_has_agreed(party: MediationParty) -> bool:
    return party.agreement is not None and all(a.agreed_at for a in party.agreement.parties)


def next_step(mediation: Mediation, version: int | None = None) -> None:
    """Move on one step, once the current one is complete; from agreement, finish."""
    missing = missing_for_step(mediation)
    if missing:
        raise MediationError(missing)
    _change(mediation, version)
    following = STEPS[STEPS.index(mediation.step) + 1]
    if following == "done":
        _finish(mediation, "agreed")
    else:
        mediation.step = following


def previous_step(mediation: Mediation, version: int | None = None) -> None:
    """Go back one step (not from the first step, nor once finished), to put right something said or
    chosen earlier. What was recorded on every step stays; moving on again checks the step as usual."""
    _change(mediation, version)
    if mediation.step == STEPS[0]:
        raise MediationError("This is the first step.")
    mediation.step = STEPS[STEPS.index(mediation.step) - 1]


def no_agreement(mediation: Mediation, version: int | None = None) -> None:
    """The parties could not agree: the mediation ends and staff take it on."""
    _change(mediation, version, allow_paused=True)
    _finish(mediation, "no_agreement")


def adult_takes_over(mediation: Mediation, version: int | None = None) -> None:
    """The adult who came has taken over: the mediation ends here."""
    _change(mediation, version, allow_paused=True)
    _finish(mediation, "adult_took_over")


def _review_counted_from_today(agreement: Agreement, school: School) -> None:
    """"In 1 week" means a week from the day the mediation ended agreed: a draft written on an earlier day
    (the bell went, the mediators came back to it later) would otherwise enter the record with its review
    date already passed, or nearly so. Its review date moves on by the days the draft waited."""
    written = as_utc(agreement.created_at).astimezone(school.zone).date() if agreement.created_at else None
    today = school.today()
    if agreement.review_on is not None and written is not None and written < today:
        agreement.review_on += today - written


def _finish(mediation: Mediation, outcome: str) -> None:
    """End the mediation. Its agreements become agreements only now, if it ended agreed: they enter the
    school's record (feed, webhooks, exports; ``rrp_pwa.sync.records``) and come up for review. Ended
    any other way, what the mediators had typed was never agreed, and it goes."""
    from rrp_pwa.sync.feed import entered  # here: the sync package imports this module

    mediation.step, mediation.outcome, mediation.completed_at, mediation.paused_at = "done", outcome, _now(), None
    school = db.session.get(School, mediation.school_id) if outcome == "agreed" else None
    for party in mediation.parties:
        if party.agreement is None:
            continue
        if outcome == "agreed":
            _review_counted_from_today(party.agreement, school)
            entered(party.agreement)
        else:
            db.session.delete(party.agreement)
            party.agreement = None
    for alert in mediation.alerts:
        alert.resolved_at = alert.resolved_at or mediation.completed_at


def record_mediation(school_id: int, mediators: list[Pupil], parties: list[Pupil], *,
                     agreements: dict[int, str], agreed: set[int] | None = None,
                     stories: dict[int, str] | None = None, feelings: dict[int, str] | None = None,
                     ideas: str | None = None, place: str | None = None,
                     started_at: datetime | None = None, completed_at: datetime | None = None,
                     outcome: str = "agreed", client_uuid: str | None = None,
                     review_weeks: int | None = None) -> Mediation:
    """Record a whole completed mediation in one call (the offline capture path).

    ``agreements``, ``stories`` and ``feelings`` are keyed by party pupil id; ``agreed`` holds
    the pupil ids who tapped "I agree" (default: every party); ``review_weeks`` is "When will we
    check it is working?", as in write_agreements. Idempotent by
    (school_id, client_uuid): a second call with the same uuid returns the first record
    unchanged. The same rules as the live flow apply; the caller commits, and on
    ``MediationError`` rolls back (or releases its savepoint), as rows may already be flushed.
    """
    if client_uuid and len(client_uuid) > 36:
        raise MediationError("The record's id (client_uuid) must be at most 36 characters.")
    if client_uuid:
        existing = db.session.scalar(select(Mediation).where(
            Mediation.school_id == school_id, Mediation.client_uuid == client_uuid))
        if existing is not None:
            return existing
    if outcome not in ("agreed", "no_agreement", "adult_took_over"):
        raise MediationError("Unknown outcome.")
    if len(parties) != 2:
        raise MediationError("A peer mediation is for two people.")
    mediation = start_mediation(school_id, mediators, place)
    mediation.client_uuid = client_uuid
    mediation.started_at = started_at or mediation.started_at
    db.session.add(mediation)
    for pupil in parties:
        add_party(mediation, pupil)
    db.session.flush()
    stories, feelings = stories or {}, feelings or {}
    agreed = {p.id for p in parties} if agreed is None else set(agreed)
    for party in mediation.parties:
        party.rules_agreed_at = mediation.started_at
        party.story_words = _clean(stories.get(party.pupil_id), MAX_WORDS, "the key words")
        feeling = feelings.get(party.pupil_id)
        if feeling and feeling not in FEELING_LABELS:
            raise MediationError("Pick one of the feelings shown.")
        party.feeling = feeling or None
    mediation.ideas = _clean(ideas, MAX_IDEAS, "the ideas")
    if outcome == "agreed":
        mediation.step = "agreement"
        write_agreements(mediation, {p.id: agreements.get(p.pupil_id, "") for p in mediation.parties},
                         review_weeks=review_weeks)
        for party in mediation.parties:
            if party.pupil_id in agreed:
                agree(party.agreement, pupil_id=party.pupil_id)
    _finish(mediation, outcome)
    mediation.completed_at = completed_at or mediation.completed_at
    return mediation


def mediations_run_by(school_id: int, pupil_ids: list[int]) -> Select[tuple[Mediation]]:
    """The unfinished mediations these signed-in mediators may carry on with, newest first: each of
    them was a mediator of it, so a new partner never reads a mediation they were not in. A finished
    mediation is for the mediation lead only (its mediators hand the tablet back when it ends)."""
    ids = set(pupil_ids)
    led_by_all = (select(MediationMediator.mediation_id).where(MediationMediator.pupil_id.in_(ids))
                  .group_by(MediationMediator.mediation_id)
                  .having(func.count(func.distinct(MediationMediator.pupil_id)) == len(ids)))
    return (select(Mediation)
            .where(Mediation.school_id == school_id, Mediation.id.in_(led_by_all), Mediation.completed_at.is_(None))
            .order_by(Mediation.started_at.desc()))
