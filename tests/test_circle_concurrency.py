"""Many devices pass at the same moment, from fresh and stale versions, each in its own
database session: exactly one holder remains and the version history has no gaps.
Runs on SQLite by default and on PostgreSQL with TEST_DATABASE_URL."""
import threading

from sqlalchemy import func, select

from rrp_pwa.circles import talking_piece as piece
from rrp_pwa.circles.joining import open_circle
from rrp_pwa.circles.talking_piece import CircleError
from rrp_pwa.extensions import db
from rrp_pwa.models.circles import Circle, CircleEvent, Seat
from tests.conftest import make_group, make_pupil, make_school, make_staff

DEVICES = 12
WAVES = 6


def test_simultaneous_passes_leave_one_holder_and_a_gap_free_history(app):
    school = make_school()
    keeper = make_staff(school)
    pupils = [make_pupil(school, given=f"Pupil{n}", family="Test") for n in range(8)]
    circle_id = open_circle(keeper, "checkin", make_group(school, pupils=pupils), one_device=True).id
    db.session.commit()
    db.session.remove()
    wins, refusals, errors = [], [], []
    lock = threading.Lock()

    def device(index: int, barrier: threading.Barrier) -> None:
        with app.app_context():
            circle = db.session.get(Circle, circle_id)
            seen = circle.version - (1 if index % 3 == 0 else 0)  # a third act on an older version
            holder = db.session.get(Seat, circle.holder_seat_id)
            db.session.rollback()
            barrier.wait()
            try:
                piece.take_turn(circle, holder.id, "pass" if index % 2 else "skip", seen)
                db.session.commit()
                with lock:
                    wins.append(index)
            except CircleError:
                with lock:
                    refusals.append(index)
            except Exception as exc:  # anything else is a failure of the rule
                with lock:
                    errors.append(repr(exc))
            finally:
                db.session.remove()

    for _ in range(WAVES):
        barrier = threading.Barrier(DEVICES)
        threads = [threading.Thread(target=device, args=(i, barrier)) for i in range(DEVICES)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert errors == []
    circle = db.session.get(Circle, circle_id)
    db.session.refresh(circle)
    assert len(wins) == WAVES, "exactly one pass wins each wave"
    assert len(refusals) == WAVES * (DEVICES - 1)
    assert circle.version == 1 + WAVES
    history = list(db.session.scalars(select(CircleEvent.version).where(CircleEvent.circle_id == circle_id)
                                      .order_by(CircleEvent.version)))
    assert history == list(range(1, circle.version + 1))
    holder = db.session.get(Seat, circle.holder_seat_id)
    assert holder is not None and holder.status == "admitted" and holder.circle_id == circle_id


def test_a_change_committed_while_another_waited_is_in_the_state_the_second_publishes(app):
    """Ben's device read the agreement before Amira's "I agree" committed, then agrees himself: the
    state his change renders (before its commit, under the circle's lock) says 2 of 2 agreed."""
    from rrp_pwa.circles import live
    from rrp_pwa.circles.activities import add_agreement, seat_agrees
    from rrp_pwa.circles.joining import join_circle
    from rrp_pwa.models import Agreement

    school = make_school()
    keeper = make_staff(school)
    amira, ben = make_pupil(school, given="Amira", family="Test"), make_pupil(school, given="Ben", family="Test")
    circle = open_circle(keeper, "checkin", make_group(school, pupils=[amira, ben]), auto_admit=True)
    seats = [join_circle(circle, pupil=pupil)[0] for pupil in (amira, ben)]
    agreement = add_agreement(circle, keeper, "value", "We listen to whoever holds the piece", [])
    db.session.commit()
    circle_id, agreement_id, amira_seat, ben_seat = circle.id, agreement.id, seats[0].id, seats[1].id

    circle = db.session.get(Circle, circle_id)  # Ben's request: everything read before Amira commits
    agreement = db.session.get(Agreement, agreement_id)
    assert [p.agreed_at for p in agreement.parties] == [None, None]
    seat = db.session.get(Seat, ben_seat)

    def amira_agrees():  # her request, in its own app context (its own session and connection)
        with app.app_context():
            seat_agrees(db.session.get(Circle, circle_id), db.session.get(Seat, amira_seat),
                        db.session.get(Agreement, agreement_id))
            db.session.commit()
            db.session.remove()

    other = threading.Thread(target=amira_agrees)
    other.start()
    other.join(timeout=30)

    seat_agrees(circle, seat, agreement)
    with app.test_request_context():
        db.session.flush()
        html = live._render_state(circle)["keeper"]["k-agreements"]
    db.session.commit()
    assert "2 of 2 agreed" in html


def at_once(app, taps: int, tap, refused: type[Exception]) -> list[str]:
    """Run ``tap()`` in ``taps`` threads released together, each in its own app context and session,
    committing what it did: "done", the message of the ``refused`` it raised, or anything else it raised
    (a failure of the rule)."""
    results, lock = [], threading.Lock()
    barrier = threading.Barrier(taps)

    def run() -> None:
        with app.app_context():
            try:
                barrier.wait()
                tap()
                db.session.commit()
                outcome = "done"
            except refused as exc:
                outcome = str(exc)
            except Exception as exc:  # anything else is a failure of the rule
                outcome = repr(exc)
            finally:
                db.session.remove()
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(taps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(results)


def test_a_check_in_tapped_several_times_at_once_is_recorded_once(app):
    """A pupil's double (or sextuple) tap: every request checks, under the circle's lock, whether the
    seat has already checked in this round - one is recorded, the others are refused, none fails."""
    from rrp_pwa.circles.activities import check_in
    from rrp_pwa.circles.joining import join_circle
    from rrp_pwa.models.circles import CircleCheckIn

    school = make_school()
    keeper = make_staff(school)
    amira = make_pupil(school, given="Amira", family="Test")
    circle = open_circle(keeper, "checkin", make_group(school, pupils=[amira]), auto_admit=True)
    seat_id = join_circle(circle, pupil=amira)[0].id
    piece.start_round(circle, "How are you feeling?", "checkin")
    db.session.commit()
    circle_id, round_no = circle.id, circle.round_no
    db.session.remove()

    def tap() -> None:
        check_in(db.session.get(Circle, circle_id), db.session.get(Seat, seat_id), 3, round_no=round_no)

    assert at_once(app, 6, tap, CircleError) == ["You've already checked in this round. Thank you!"] * 5 + ["done"]
    assert db.session.scalar(select(func.count(CircleCheckIn.id))) == 1


def test_two_devices_choosing_one_name_at_once_give_one_seat(app):
    """Late joiners on several tablets tap the same name at the same moment (the list each shows still
    has it): the name is checked under the circle's lock, so one device gets the seat and every other
    is told, by name, that it is taken - none fails, and the circle has that pupil once."""
    from rrp_pwa.circles.joining import JoinRefused, join_circle

    school = make_school()
    keeper = make_staff(school)
    cara = make_pupil(school, given="Cara", family="Test")
    circle_id = open_circle(keeper, "checkin", make_group(school, pupils=[cara]), auto_admit=True).id
    db.session.commit()
    cara_id = cara.id
    db.session.remove()

    def tap() -> None:
        join_circle(db.session.get(Circle, circle_id), pupil=db.session.get(type(cara), cara_id))

    taken = "Cara T. is already in this circle. If that's you on another device, ask Sam Teacher."
    assert at_once(app, 6, tap, JoinRefused) == [taken] * 5 + ["done"]
    assert db.session.scalar(select(func.count(Seat.id)).where(Seat.pupil_id == cara_id)) == 1
