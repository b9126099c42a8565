"""The talking piece: who holds it, where it goes next, and how every change is versioned.

Rules (DOMAIN.md, "A circle, step by step"):
- Exactly one admitted seat holds the piece while the circle is open; only its holder speaks.
- The holder either passes it on having spoken ("I've finished - pass the piece on") or passes their
  turn ("Pass - I don't want to talk this time").
- The piece goes round in the circle's direction to the next seat that has not had a turn in
  this lap of the round; once everyone has had one, it is offered again to each seat that
  passed (once); then the lap is complete and the piece goes back to the keeper.
- The keeper may give the piece to anyone, take it back, reverse the direction, reorder and
  remove seats; a pupil may leave by themselves (a removed or departed holder's piece moves on to
  the next seat).

Every change is one transaction that first bumps ``circle.version`` with a conditional
UPDATE (``WHERE version = :expected`` when the device said which version it saw), so two
concurrent passes can never both win, and then writes a ``CircleEvent`` for the new version:
a gap-free history in which "pass" means the seat spoke and "skip" means it passed.
"""
from datetime import datetime, timezone
from typing import NamedTuple

from sqlalchemy import String, cast, func, literal, select, update
from sqlalchemy.orm import aliased

from rrp_pwa.extensions import db
from rrp_pwa.models.agreements import Agreement, AgreementParty
from rrp_pwa.models.circles import Circle, CircleEvent, CircleRound, Seat
from rrp_pwa.models.roster import School, Staff, StaffRole

# Who is signed in, with their roles and school: no circle change alters them, so a change keeps them
# loaded (re-reading them would be a round trip on PostgreSQL for nothing).
OUTSIDE_THE_CIRCLE = (School, Staff, StaffRole)

TURN_KINDS = ("pass", "skip")
# The keeper's own changes to who is in the circle and to its rounds: after one of them, the keeper has
# the circle as it is now in front of them, and "<name> left the circle" is old news.
KEEPER_RING_CHANGES = ("open", "admit", "remove", "reorder", "settings", "round")


class CircleError(Exception):
    """A change the circle's rules do not allow; the message is shown to the person who tried."""


class StalePieceVersion(CircleError):
    """The device acted on an older version of the circle; it gets the fresh state instead."""

    def __init__(self) -> None:
        super().__init__("Someone else changed the circle a moment ago. Here is the latest.")


class CircleClosed(CircleError):
    def __init__(self) -> None:
        super().__init__("This circle has closed.")


class NotYourTurn(CircleError):
    def __init__(self) -> None:
        super().__init__("The talking piece has moved on - it's someone else's turn now.")


def _bump(*conditions, piece_move: bool = False) -> Circle | None:
    """Add one to the version of the open circle matching ``conditions``, locking its row until the
    commit; RETURNING loads it in the same round trip (populate_existing overwrites a loaded copy).
    None if no open circle matches.

    A ``piece_move`` (the piece passed, given, taken back or turned round) is live state, not a record:
    on PostgreSQL its commit does not wait for the write-ahead log to reach the disk
    (``synchronous_commit`` off for this transaction only, set in the same statement). A database
    server crash can lose the last fraction of a second of such moves - never corrupt anything - and
    devices then show where the piece was before; the embedded SQLite profile (WAL, synchronous=NORMAL)
    gives every commit that same guarantee. Records (check-ins, agreements, joins) keep the full one."""
    quick_commit = ([func.set_config("synchronous_commit", "off", True)]
                    if piece_move and db.session.get_bind().dialect.name == "postgresql" else [])
    bump = (update(Circle).where(Circle.status == "open", *conditions)
            .values(version=Circle.version + 1).returning(Circle, *quick_commit)
            .execution_options(synchronize_session=False, populate_existing=True))
    return db.session.scalars(bump).one_or_none()


def begin_change(circle: Circle, expected_version: int | None = None, piece_move: bool = False) -> None:
    """Bump the version atomically (only from ``expected_version`` if given) and reload the circle.

    Raises ``StalePieceVersion`` or ``CircleClosed`` (after rolling back) when the UPDATE
    matches no row: another change won the race, or the circle has closed.

    The bump locks the circle's row until the commit, and the new version is rendered before the
    commit. Anything of the circle this session read before the lock may predate a change that
    committed in between (another pupil's "I agree"), so it is forgotten here and read again when
    next used.
    """
    bumped_from = circle.__dict__.pop("_bumped_from", None)
    if bumped_from is not None:  # lock_for_keeper took the lock first: nothing was read before it
        if expected_version is not None and expected_version != bumped_from:
            db.session.rollback()
            raise StalePieceVersion()
        return
    circle_id = circle.id
    db.session.flush()
    for loaded in list(db.session.identity_map.values()):
        if not isinstance(loaded, OUTSIDE_THE_CIRCLE):
            db.session.expire(loaded)
    only_from = () if expected_version is None else (Circle.version == expected_version,)
    if _bump(Circle.id == circle_id, *only_from, piece_move=piece_move) is None:
        db.session.rollback()
        db.session.refresh(circle)
        raise CircleClosed() if circle.status != "open" else StalePieceVersion()


def lock_for_keeper(circle_id: int, school_id: int, keeper_id: int, piece_move: bool = False) -> Circle | None:
    """Bump the version of the open circle ``keeper_id`` keeps in ``school_id``, taking its lock,
    and load it in the same round trip; None if there is no such open circle (the caller then
    loads it the ordinary way to say why). The change that follows calls ``begin_change`` as
    usual, which then only checks the version the device saw against the one this bump replaced."""
    circle = _bump(Circle.id == circle_id, Circle.school_id == school_id, Circle.keeper_id == keeper_id,
                   piece_move=piece_move)
    if circle is not None:
        circle._bumped_from = circle.version - 1
    return circle


def record(circle: Circle, kind: str, seat_id: int | None = None) -> CircleEvent:
    """Write the history row for the version ``begin_change`` just took."""
    event = CircleEvent(circle_id=circle.id, version=circle.version, kind=kind, seat_id=seat_id,
                        round_no=circle.round_no, lap=circle.lap)
    db.session.add(event)
    return event


def ring(circle: Circle) -> list[Seat]:
    """The admitted seats in circle order."""
    return list(db.session.scalars(select(Seat).where(Seat.circle_id == circle.id, Seat.status == "admitted")
                                   .order_by(Seat.position, Seat.id)))


class SeatsAndTurns(NamedTuple):
    seats: list[Seat]                 # every seat still in the circle (admitted or waiting), in circle order
    taken: dict[int, list[str]]       # seat id -> the turns ("pass"/"skip") it took in this lap of this round
    has_agreements: bool              # whether the circle has any agreement (if not, none need reading)
    left: list[Seat]                  # the seats taken out of the circle (a concern may still be about them)
    left_lately: frozenset[int]       # the seats that left by themselves since the keeper last changed the ring
    let_in_this_lap: bool = False     # someone in the circle now was let in during this lap (after the last was complete)


def seats_and_turns(circle: Circle) -> SeatsAndTurns:
    """The circle's seats, this lap's turns, and whether it has agreements - in one query: each is
    needed whenever the others are, and on PostgreSQL every query is a round trip. A removed seat's
    turns still count. The rules never depend on the order of one seat's turns: only on whether it
    spoke ("pass" among them) and whether it has passed exactly once (``["skip"]``).

    Run after a change's version bump, this query sees everything committed before the bump took
    the circle's lock (a statement's snapshot is taken when it starts), agreements included."""
    lap_turns = (select(CircleEvent.seat_id, func.aggregate_strings(CircleEvent.kind, ",").label("kinds"))
                 .where(CircleEvent.circle_id == circle.id, CircleEvent.round_no == circle.round_no,
                        CircleEvent.lap == circle.lap, CircleEvent.kind.in_(TURN_KINDS))
                 .group_by(CircleEvent.seat_id).subquery())
    has_agreements = (select(Agreement.id).where(Agreement.source_kind == "circle", Agreement.source_id == circle.id,
                                                 Agreement.school_id == circle.school_id).exists())
    rows = db.session.execute(select(Seat, lap_turns.c.kinds, has_agreements, _left_lately(circle), _let_in_this_lap(circle))
                              .outerjoin(lap_turns, lap_turns.c.seat_id == Seat.id)
                              .where(Seat.circle_id == circle.id).order_by(Seat.position, Seat.id))
    seats, taken, any_agreements, left, lately, let_in = [], {}, True, [], None, False  # (no rows: there may be agreements)
    for seat, kinds, any_agreements, lately, let_in in rows:
        if kinds:
            taken[seat.id] = kinds.split(",")
        (left if seat.status == "removed" else seats).append(seat)
    left_lately = frozenset(int(seat_id) for seat_id in lately.split(",")) if lately else frozenset()
    return SeatsAndTurns(seats, taken, bool(any_agreements), left, left_lately, bool(let_in))


def _let_in_this_lap(circle: Circle):
    """Whether a seat in the circle now was let in after the last lap was complete: once a lap is complete
    the keeper's screen says everyone has had a turn, which someone let in after it has not (a latecomer at
    the door). A lap is complete only when every seat in the ring has had a turn in it, so a seat in the
    circle now with no turn in the lap just completed came in since - however it was let in (Let in, joining
    with auto-admit on, switching auto-admit on, added on a one-device circle). Someone let in while a lap
    goes round gets their turn in it."""
    if circle.lap == 0:  # no lap of this round is complete yet
        return literal(False)
    seat = aliased(Seat)  # not the statement's own seat row
    turn_last_lap = (select(CircleEvent.id)
                     .where(CircleEvent.circle_id == circle.id, CircleEvent.round_no == circle.round_no,
                            CircleEvent.lap == circle.lap - 1, CircleEvent.kind.in_(TURN_KINDS),
                            CircleEvent.seat_id == seat.id))
    return (select(seat.id).where(seat.circle_id == circle.id, seat.status == "admitted", ~turn_last_lap.exists())
            .exists())


def _left_lately(circle: Circle):
    """The seats (ids, comma-separated) that left by themselves after the keeper's last change to who is
    in the circle or to its rounds (``KEEPER_RING_CHANGES``): the keeper's screen says they left."""
    keeper_changed = (select(func.max(CircleEvent.version))
                      .where(CircleEvent.circle_id == circle.id, CircleEvent.kind.in_(KEEPER_RING_CHANGES))
                      .scalar_subquery())
    return (select(func.aggregate_strings(cast(CircleEvent.seat_id, String), ","))
            .where(CircleEvent.circle_id == circle.id, CircleEvent.kind == "leave",
                   CircleEvent.version > func.coalesce(keeper_changed, 0))
            .scalar_subquery())


def known_at_version(circle: Circle) -> SeatsAndTurns | None:
    """The seats, this lap's turns and whether there are agreements, if the change that made the
    circle's current version has already read them (so rendering that version reads nothing twice);
    otherwise None."""
    known = getattr(circle, "_known_at_version", None)
    return known[1] if known is not None and known[0] == circle.version else None


def keeper_seat(circle: Circle) -> Seat:
    return db.session.scalar(select(Seat).where(Seat.circle_id == circle.id, Seat.is_keeper.is_(True)))


def ring_after(seats: list[Seat], position: int, direction: int) -> list[Seat]:
    """Seats in the order the piece visits them after ``position`` (that position's own seat last)."""
    ordered = sorted(seats, key=lambda s: (s.position, s.id), reverse=direction < 0)
    if direction >= 0:
        return [s for s in ordered if s.position > position] + [s for s in ordered if s.position <= position]
    return [s for s in ordered if s.position < position] + [s for s in ordered if s.position >= position]


def next_in_turn(seats: list[Seat], position: int, direction: int, taken: dict[int, list[str]]) -> Seat | None:
    """Who the piece goes to next: the first seat without a turn this lap, else the first that
    passed once and has not been offered it again, else nobody (the lap is complete)."""
    order = ring_after(seats, position, direction)
    for seat in order:
        if seat.id not in taken:
            return seat
    for seat in order:
        if taken.get(seat.id) == ["skip"]:
            return seat
    return None


def _move_on(circle: Circle, from_position: int,
             known: tuple[list[Seat], dict[int, list[str]]] | None = None) -> dict[int, list[str]]:
    """Give the piece to the next seat in turn; if the lap is complete, back to the keeper for a new lap.

    ``known`` is the ring and this lap's turns if the caller has just read them.
    Returns the turns taken so far in the lap now running (none, if a new lap began)."""
    if known is None:
        everyone, taken = seats_and_turns(circle)[:2]
        seats = [s for s in everyone if s.status == "admitted"]
    else:
        seats, taken = known
    following = next_in_turn(seats, from_position, circle.direction, taken)
    if following is None:
        circle.lap += 1
        following, taken = keeper_seat(circle), {}
    circle.holder_seat_id = following.id
    return taken


def take_turn(circle: Circle, seat_id: int | None, kind: str, expected_version: int | None) -> None:
    """The holder (seat ``seat_id``) passes the piece on having spoken (``pass``) or passes their turn (``skip``).

    Only the seat holding the piece, in the version the device saw, may do this.
    """
    if kind not in TURN_KINDS:
        raise CircleError("Choose 'I've finished' or 'Pass'.")
    begin_change(circle, expected_version, piece_move=True)
    if seat_id is None or circle.holder_seat_id != seat_id:
        db.session.rollback()
        raise NotYourTurn()
    record(circle, kind, seat_id)
    db.session.flush()
    known = seats_and_turns(circle)
    in_ring = [s for s in known.seats if s.status == "admitted"]
    holder = next((s for s in in_ring if s.id == seat_id), None) or db.session.get(Seat, seat_id)
    lap = circle.lap
    taken = _move_on(circle, holder.position, (in_ring, known.taken))
    # Nothing else changes the seats or the agreements before the commit; a new lap has let nobody in yet.
    circle._known_at_version = (circle.version, known._replace(
        taken=taken, let_in_this_lap=known.let_in_this_lap and circle.lap == lap))


def give(circle: Circle, seat: Seat, expected_version: int | None) -> None:
    """The keeper hands the piece to any admitted seat (it does not count as a turn)."""
    if seat.circle_id != circle.id or seat.status != "admitted":
        raise CircleError("Only someone in the circle can be given the talking piece.")
    begin_change(circle, expected_version, piece_move=True)
    circle.holder_seat_id = seat.id
    record(circle, "give", seat.id)


def take_back(circle: Circle, expected_version: int | None) -> None:
    """The keeper takes the piece back to their own seat."""
    begin_change(circle, expected_version, piece_move=True)
    seat = keeper_seat(circle)
    circle.holder_seat_id = seat.id
    record(circle, "take_back", seat.id)


def reverse(circle: Circle, expected_version: int | None) -> None:
    """The piece now goes the other way round the circle."""
    begin_change(circle, expected_version, piece_move=True)
    circle.direction = -1 if circle.direction >= 0 else 1
    record(circle, "reverse")


def move_seat(circle: Circle, seat: Seat, step: int, expected_version: int | None = None) -> None:
    """Swap a seat with its neighbour (``step`` -1 earlier, +1 later) in the circle order, as it was in
    the version the keeper's device saw: a tap repeated (or sent again) moves it once, not twice."""
    begin_change(circle, expected_version)
    seats = ring(circle)
    index = next((i for i, s in enumerate(seats) if s.id == seat.id), None)
    if index is None or not 0 <= index + step < len(seats):
        db.session.rollback()
        raise CircleError("That seat can't move any further.")
    other = seats[index + step]
    seat.position, other.position = other.position, seat.position
    record(circle, "reorder", seat.id)


def remove_seat(circle: Circle, seat: Seat) -> None:
    """The keeper takes a seat out of the circle (see ``_take_out``)."""
    if seat.circle_id != circle.id or seat.is_keeper:
        raise CircleError("The keeper's seat stays in the circle.")
    _take_out(circle, seat, "remove")


def leave_circle(circle: Circle, seat: Seat) -> None:
    """A pupil leaves the circle by themselves (called to the office, feeling unwell, the wrong
    circle): the same rules as the keeper's Remove (``_take_out``). Their name is free again, so
    they can join again with the code."""
    if seat.circle_id != circle.id or seat.is_keeper:
        raise CircleError("The keeper's seat stays in the circle.")
    _take_out(circle, seat, "leave")


def _take_out(circle: Circle, seat: Seat, kind: str) -> None:
    """A seat leaves the circle (``kind`` "remove": the keeper took it out; "leave": the pupil left).

    If it held the piece, the piece moves on to the next seat in turn (no turn is counted for it);
    if it was next, whoever follows it is next now (the ring no longer has it). Someone who had been
    let in took part, so the time they left is kept for the summary; someone still waiting did not,
    nor did someone the keeper takes out of a one-device circle before anything happened to their seat
    (the whole class is seated at the start: a child who is absent is taken out, and must not be
    recorded as having been in the circle). Checked under the circle's lock: a seat already out (the
    keeper's Remove and the pupil's Leave at the same moment) is refused, not taken out twice."""
    begin_change(circle)
    if seat.status == "removed":
        db.session.rollback()
        raise CircleError(f"{seat.name} is not in the circle any more.")
    if seat.status == "admitted" and not (circle.one_device and kind == "remove" and _untouched(circle, seat)):
        seat.left_at = datetime.now(timezone.utc)
    seat.status = "removed"
    db.session.flush()
    if circle.holder_seat_id == seat.id:
        _move_on(circle, seat.position)
    record(circle, kind, seat.id)


def _untouched(circle: Circle, seat: Seat) -> bool:
    """Nothing has happened to the seat yet: no round has started and no change of the circle names it
    (it never held the piece, checked in, agreed or moved)."""
    return circle.round_no == 0 and db.session.scalar(select(CircleEvent.id).where(
        CircleEvent.circle_id == circle.id, CircleEvent.seat_id == seat.id).limit(1)) is None


def left_by_themselves(seat: Seat) -> bool:
    """Whether a seat out of the circle left by itself (its last way out was "leave", not the keeper's
    Remove or Not now): its device then says so and offers to join again."""
    last = db.session.scalar(select(CircleEvent.kind).where(
        CircleEvent.circle_id == seat.circle_id, CircleEvent.seat_id == seat.id,
        CircleEvent.kind.in_(("leave", "remove"))).order_by(CircleEvent.version.desc()).limit(1))
    return last == "leave"


def turn_away(circle: Circle, seat: Seat) -> None:
    """The keeper does not let a waiting seat in (someone tapped a name that is not theirs, or is not in
    this circle): it leaves the circle, and the name can be chosen again by the right person. Only a
    seat still waiting: one let in meanwhile (auto-admit, another device) is taken out with Remove."""
    if seat.circle_id != circle.id or seat.status != "waiting":
        raise CircleError("That person is not waiting to join.")
    begin_change(circle)
    seat.status = "removed"
    record(circle, "remove", seat.id)


def next_position(circle: Circle) -> int:
    return (db.session.scalar(select(func.max(Seat.position)).where(Seat.circle_id == circle.id)) or 0) + 1


def join_circle_agreements(circle: Circle, seat: Seat) -> None:
    """Someone let into the circle after a circle agreement (how we will be together) was made is
    asked to agree to it too: it is for everyone in the circle, so their device shows "I agree" and
    the count includes them. Action agreements name their people and gain nobody; someone already
    party to an agreement (let in again after being taken out) is not added twice."""
    if seat.is_keeper or seat.status != "admitted":
        return
    values = db.session.scalars(select(Agreement).where(
        Agreement.source_kind == "circle", Agreement.source_id == circle.id,
        Agreement.school_id == circle.school_id, Agreement.kind == "value"))
    for agreement in values:
        if not any((seat.pupil_id and party.pupil_id == seat.pupil_id)
                   or (not seat.pupil_id and not party.pupil_id and party.name == seat.name)
                   for party in agreement.parties):
            agreement.parties.append(AgreementParty(pupil_id=seat.pupil_id,
                                                    name=None if seat.pupil_id else seat.name, owner=True))


def admit(circle: Circle, seat: Seat) -> None:
    """Let a waiting seat into the circle, at the end of the circle order."""
    if seat.circle_id != circle.id or seat.status != "waiting":
        raise CircleError("That person is not waiting to join.")
    begin_change(circle)
    seat.status, seat.position = "admitted", next_position(circle)
    join_circle_agreements(circle, seat)
    record(circle, "admit", seat.id)


def set_auto_admit(circle: Circle, on: bool) -> None:
    """With auto-admit on, people join straight away; switching it on admits everyone waiting."""
    begin_change(circle)
    circle.auto_admit = on
    if on:
        waiting = db.session.scalars(select(Seat).where(Seat.circle_id == circle.id, Seat.status == "waiting")
                                     .order_by(Seat.joined_at, Seat.id))
        for seat in waiting:
            seat.status, seat.position = "admitted", next_position(circle)
            join_circle_agreements(circle, seat)
            db.session.flush()
    record(circle, "settings")


def start_round(circle: Circle, prompt: str, kind: str = "talk", checkin_question: str = "") -> CircleRound:
    """A new round with the keeper's prompt; everyone's turns start afresh. The piece stays where it is.
    A check-in round started with no question asks ``checkin_question``, the school's scale's own."""
    prompt = (prompt or "").strip() or (checkin_question if kind == "checkin" else "")
    if not prompt:
        raise CircleError("Choose a question from the bank or type one.")
    if len(prompt) > 300:
        raise CircleError("Keep the question to 300 characters.")
    if kind not in ("talk", "checkin"):
        raise CircleError("Choose a talking round or a check-in round.")
    begin_change(circle)
    circle.round_no, circle.lap = circle.round_no + 1, 0
    new_round = CircleRound(circle_id=circle.id, number=circle.round_no, kind=kind, prompt=prompt)
    db.session.add(new_round)
    record(circle, "round")
    return new_round
