"""What happens inside a circle besides the piece: check-ins, agreements, concerns, closing.

Check-ins and agreements go through the shared rules (checkins.rules, agreements.rules); a
concern goes only to the DSL's queue and leaves no trace in the circle. Closing kills the join
code, ends every seat and saves a summary of who took part and how each round went - counts,
never words.
"""
import json
from collections import Counter
from datetime import date, datetime, timezone

from sqlalchemy import select

from rrp_pwa.agreements.rules import AgreementError, agree, make_agreement
from rrp_pwa.checkins.rules import CheckInError, record_checkin
from rrp_pwa.checkins.scales import DEFAULT_SCALE, SCALES
from rrp_pwa.circles.talking_piece import CircleError, NotYourTurn, begin_change, record
from rrp_pwa.extensions import db
from rrp_pwa.models import Agreement, CheckIn, Concern, School, Staff
from rrp_pwa.models.circles import Circle, CircleCheckIn, CircleEvent, CircleRound, Seat
from rrp_pwa.safeguarding.concerns import ConcernError, raise_concern, send_once


def current_round(circle: Circle) -> CircleRound | None:
    if not circle.round_no:
        return None
    return db.session.scalar(select(CircleRound).where(CircleRound.circle_id == circle.id,
                                                       CircleRound.number == circle.round_no))


def school_scale(circle: Circle):
    school = db.session.get(School, circle.school_id)
    return SCALES.get(school.checkin_scale or DEFAULT_SCALE, SCALES[DEFAULT_SCALE])


def check_in(circle: Circle, seat: Seat, value: int, word: str | None = None,
             round_no: int | None = None, holder_only: bool = False) -> CheckIn:
    """A participant's check-in in the current check-in round: one per seat per round.

    It is recorded on the school's scale; a low or red answer puts "check in with <name>
    later" on the keeper's follow-up list, which outlives the circle. ``round_no`` is the round
    whose question the device showed: an answer to a round that has since been replaced is
    refused, never recorded against the new question. ``holder_only`` (one-device mode, where
    the shared screen shows the holder's buttons): ``seat`` is the one the buttons were for, and
    once the piece has moved on the answer is refused, never saved as the next pupil's.
    Everything is checked under the circle's lock, so a double tap or a change at the same moment
    is refused, not half-recorded.
    """
    begin_change(circle)

    def refuse(message: str) -> CircleError:
        db.session.rollback()
        return CircleError(message)

    this_round = current_round(circle)
    if this_round is None or this_round.kind != "checkin":
        raise refuse("There is no check-in round at the moment.")
    if round_no is not None and round_no != circle.round_no:
        raise refuse("A new round has started. Here is its question.")
    if holder_only and seat.id != circle.holder_seat_id:
        db.session.rollback()
        raise NotYourTurn()
    if seat.is_keeper or seat.status != "admitted" or seat.circle_id != circle.id:
        raise refuse("Only pupils in the circle check in.")
    if db.session.scalar(select(CircleCheckIn.id).where(CircleCheckIn.seat_id == seat.id,
                                                        CircleCheckIn.round_no == circle.round_no)):
        raise refuse("You've already checked in this round. Thank you!")
    try:
        checkin = record_checkin(circle.school_id, school_scale(circle).key, value, "circle",
                                 pupil=seat.pupil, name=None if seat.pupil else seat.name, word=word,
                                 source_id=circle.id, follow_up_staff=circle.keeper)
    except CheckInError as exc:
        db.session.rollback()
        raise CircleError(str(exc)) from None
    db.session.flush()
    db.session.add(CircleCheckIn(circle_id=circle.id, seat_id=seat.id, round_no=circle.round_no,
                                 checkin_id=checkin.id))
    record(circle, "checkin", seat.id)
    return checkin


class CircleAgreementRefused(CircleError):
    """The agreement breaks the agreements' rules; ``problems`` names every one, by field, as
    ``AgreementError`` gives them."""

    def __init__(self, refused: AgreementError) -> None:
        super().__init__(str(refused))
        self.problems = refused.problems


def add_agreement(circle: Circle, keeper: Staff, kind: str, what: str, seats: list[Seat],
                  by_when: date | None = None, review_on: date | None = None) -> Agreement:
    """A circle agreement (a value everyone is asked to agree to) or an action agreement (who does
    what, by when, reviewed when). Everyone it names can tap "I agree" on their device."""
    chosen = [s for s in seats if s.circle_id == circle.id and s.status == "admitted" and not s.is_keeper]
    if kind == "value" and not chosen:
        chosen = [s for s in db.session.scalars(select(Seat).where(
            Seat.circle_id == circle.id, Seat.status == "admitted", Seat.is_keeper.is_(False)))]
    try:
        agreement = make_agreement(circle.school_id, "circle", circle.id, what, kind=kind,
                                   pupils=[s.pupil for s in chosen if s.pupil],
                                   names=[s.name for s in chosen if not s.pupil],
                                   by_when=by_when, review_on=review_on, created_by=keeper)
    except AgreementError as exc:
        raise CircleAgreementRefused(exc) from None
    begin_change(circle)
    db.session.add(agreement)
    db.session.flush()
    record(circle, "agreement")
    return agreement


def circle_agreements(circle: Circle) -> list[Agreement]:
    return list(db.session.scalars(select(Agreement).where(Agreement.source_kind == "circle",
                                                           Agreement.source_id == circle.id,
                                                           Agreement.school_id == circle.school_id)
                                   .order_by(Agreement.id)))


def seat_agrees(circle: Circle, seat: Seat, agreement: Agreement) -> None:
    """The participant taps "I agree" on an agreement that names them. A seat still waiting to be let in
    cannot: anyone with the join link can take one, under any name."""
    if agreement.source_kind != "circle" or agreement.source_id != circle.id:
        raise CircleError("That agreement belongs to another circle.")
    if seat.status != "admitted" or seat.circle_id != circle.id:
        raise CircleError(f"Only people in the circle can agree. Wait until {circle.keeper.name} lets you in.")
    begin_change(circle)
    try:
        agree(agreement, pupil_id=seat.pupil_id, name=None if seat.pupil_id else seat.name)
    except AgreementError as exc:
        db.session.rollback()
        raise CircleError(str(exc)) from None
    record(circle, "agree", seat.id)


def circle_concern(circle: Circle, keeper: Staff, seat: Seat, note: str, client_uuid: str | None = None) -> Concern:
    """The keeper's one-tap concern about a participant. It goes to the DSL only: the circle's
    version, history and summary do not change. It is stored and committed once for its form
    (``client_uuid``): sent again after no answer, it returns the concern already filed."""
    if seat.circle_id != circle.id or seat.is_keeper:
        raise CircleError("Choose who the concern is about.")
    try:
        concern = raise_concern(circle.school_id, note, "circle", circle.id, pupil=seat.pupil,
                                subject_name=None if seat.pupil else seat.name, raised_by_staff=keeper,
                                client_uuid=client_uuid)
    except ConcernError as exc:
        raise CircleError(str(exc)) from None
    return send_once(concern)


def build_summary(circle: Circle) -> dict:
    """Participants (``who_took_part``), rounds with spoke/passed counts, check-in counts and agreements."""
    seats = list(db.session.scalars(select(Seat).where(Seat.circle_id == circle.id)))
    participants = who_took_part(seats)
    rounds = []
    for one in db.session.scalars(select(CircleRound).where(CircleRound.circle_id == circle.id)
                                  .order_by(CircleRound.number)):
        turns: dict[int, set[str]] = {}
        for seat_id, kind in db.session.execute(select(CircleEvent.seat_id, CircleEvent.kind).where(
                CircleEvent.circle_id == circle.id, CircleEvent.round_no == one.number,
                CircleEvent.kind.in_(("pass", "skip")))):
            turns.setdefault(seat_id, set()).add(kind)
        spoke = sum(1 for kinds in turns.values() if "pass" in kinds)
        entry = {"number": one.number, "kind": one.kind, "prompt": one.prompt, "spoke": spoke,
                 "passed": len(turns) - spoke}
        if one.kind == "checkin":
            entry["checkins"] = checkin_counts(circle, one.number)
        rounds.append(entry)
    agreements = [{"kind": a.kind, "what": a.what, "parties": [p.pupil.short_name if p.pupil else p.name
                                                              for p in a.parties],
                   "agreed": sum(1 for p in a.parties if p.agreed_at)} for a in circle_agreements(circle)]
    return {"participants": participants, "rounds": rounds, "agreements": agreements}


def who_took_part(seats: list[Seat]) -> list[str]:
    """The summary's "Who took part", in circle order: everyone let in, including those who left
    part-way (by themselves, or taken out by the keeper), marked "(left early)" - never why. Someone
    turned away before being let in did not take part. Someone who left and came back is listed once,
    where they sat at the end, without the mark."""
    def person(seat: Seat):
        return ("pupil", seat.pupil_id) if seat.pupil_id else ("name", seat.name)

    took_part = [s for s in seats if not s.is_keeper and (s.status == "admitted" or s.left_at is not None)]
    shown: dict[tuple, Seat] = {}  # each person's seat: the one they are still in, else the last they left
    for seat in sorted(took_part, key=lambda s: (s.status == "admitted", s.id)):
        shown[person(seat)] = seat
    return [seat.name if seat.status == "admitted" else f"{seat.name} (left early)"
            for seat in sorted(shown.values(), key=lambda s: (s.position, s.id))]


def checkin_counts(circle: Circle, round_no: int) -> list[dict]:
    """How many chose each option of the school's scale in a round: all a shared screen shows."""
    values = Counter(db.session.scalars(select(CheckIn.value).join(CircleCheckIn, CircleCheckIn.checkin_id == CheckIn.id)
                                        .where(CircleCheckIn.circle_id == circle.id,
                                               CircleCheckIn.round_no == round_no)))
    return [{"label": o.label, "symbol": o.symbol, "css": o.css, "count": values.get(o.value, 0)}
            for o in school_scale(circle).options]


def checkin_answers(circle: Circle) -> list[tuple[CircleRound, list[tuple[str, CheckIn]]]]:
    """Each check-in round with each pupil's answer, in circle order: for the keeper alone.

    A pupil's answer (and their word) is for the adult, never for peers. In a one-device circle the
    keeper's screen goes round the pupils, so it shows none of them while the circle runs: the keeper
    finds them here, on the circle's summary, once it is closed. They go when the school's retention
    period removes the circle's names (its seats and their check-ins in it go then)."""
    rounds = {r.number: r for r in db.session.scalars(select(CircleRound).where(CircleRound.circle_id == circle.id))}
    answers: dict[int, list[tuple[str, CheckIn]]] = {}
    for round_no, name, checkin in db.session.execute(
            select(CircleCheckIn.round_no, Seat.name, CheckIn)
            .join(Seat, Seat.id == CircleCheckIn.seat_id).join(CheckIn, CheckIn.id == CircleCheckIn.checkin_id)
            .where(CircleCheckIn.circle_id == circle.id, CheckIn.school_id == circle.school_id)
            .order_by(CircleCheckIn.round_no, Seat.position, Seat.id)):
        answers.setdefault(round_no, []).append((name, checkin))
    return [(rounds[number], answered) for number, answered in sorted(answers.items()) if number in rounds]


def close_circle(circle: Circle) -> None:
    """Close: the join code dies, every seat loses access, and the summary is saved."""
    begin_change(circle)
    circle.status, circle.join_code = "closed", None
    circle.closed_at = datetime.now(timezone.utc)
    record(circle, "close")
    db.session.flush()
    circle.summary = json.dumps(build_summary(circle))
