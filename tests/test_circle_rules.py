"""The rules of circles, without HTTP: the talking piece, joining, check-ins, agreements,
concerns, closing and the pupil record."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, text

from rrp_pwa.circles import live
from rrp_pwa.circles import talking_piece as piece
from rrp_pwa.circles.activities import (
    add_agreement,
    check_in,
    circle_concern,
    close_circle,
    seat_agrees,
)
from rrp_pwa.checkins.rules import mark_follow_up_done, open_follow_ups
from rrp_pwa.circles.joining import (
    JoinRefused,
    add_seat_here,
    circle_for_code,
    circle_for_token,
    join_circle,
    join_token,
    normalise_code,
    open_circle,
)
from rrp_pwa.circles.question_bank import DEFAULT_PROMPTS, add_prompt, bank
from rrp_pwa.circles.talking_piece import CircleClosed, CircleError, NotYourTurn, StalePieceVersion
from rrp_pwa.circles.timeline import circle_entries
from rrp_pwa.extensions import db
from rrp_pwa.models import Concern
from rrp_pwa.models.circles import Circle, CircleCheckIn, CircleEvent, Seat
from tests.conftest import empty_tables, make_group, make_pupil, make_school, make_staff

NAMES = ("Amira", "Ben", "Cara")


@pytest.fixture
def ring(app):
    """A one-device circle: the keeper (holding the piece) then Amira, Ben and Cara."""
    school = make_school()
    keeper = make_staff(school, name="Ms Keeper")
    pupils = [make_pupil(school, given=name, family="Smith") for name in NAMES]
    group = make_group(school, pupils=pupils, staff=[keeper])
    circle = open_circle(keeper, "checkin", group, one_device=True)
    db.session.commit()
    return circle


def seat(circle: Circle, name: str) -> Seat:
    if name == "keeper":
        return piece.keeper_seat(circle)
    return db.session.scalar(select(Seat).where(Seat.circle_id == circle.id, Seat.name.startswith(name)))


def holder(circle: Circle) -> str:
    found = db.session.get(Seat, circle.holder_seat_id)
    return "keeper" if found.is_keeper else found.name.split()[0]


def turn(circle: Circle, kind: str = "pass") -> None:
    piece.take_turn(circle, circle.holder_seat_id, kind, circle.version)
    db.session.commit()


def versions(circle: Circle) -> list[int]:
    return list(db.session.scalars(select(CircleEvent.version).where(CircleEvent.circle_id == circle.id)
                                   .order_by(CircleEvent.version)))


def test_opening_gives_the_keeper_the_piece_at_version_one(ring):
    assert holder(ring) == "keeper"
    assert ring.version == 1 and versions(ring) == [1]
    assert len(ring.join_code) == 6 and not set(ring.join_code) & set("ILOU")


def test_passing_goes_round_in_order(ring):
    turn(ring)
    assert holder(ring) == "Amira"
    turn(ring)
    assert holder(ring) == "Ben"
    assert ring.version == 3 and versions(ring) == [1, 2, 3]


def test_those_who_passed_are_offered_the_piece_again_then_it_returns_to_the_keeper(ring):
    turn(ring, "pass")          # keeper speaks
    turn(ring, "skip")          # Amira passes
    turn(ring, "pass")          # Ben
    turn(ring, "pass")          # Cara
    assert holder(ring) == "Amira", "the piece is offered again to the one who passed"
    turn(ring, "skip")          # Amira passes again: everyone has had their turn
    assert holder(ring) == "keeper"
    assert ring.lap == 1
    turn(ring, "pass")          # a new lap starts with the keeper
    assert holder(ring) == "Amira"


def test_a_seat_that_spoke_on_the_re_offer_is_not_offered_a_third_time(ring):
    for kind in ("pass", "skip", "pass", "pass", "pass"):
        turn(ring, kind)
    assert holder(ring) == "keeper" and ring.lap == 1


def test_keeper_gives_and_takes_back_without_counting_a_turn(ring):
    piece.give(ring, seat(ring, "Ben"), ring.version)
    db.session.commit()
    assert holder(ring) == "Ben"
    piece.take_back(ring, ring.version)
    db.session.commit()
    assert holder(ring) == "keeper"
    assert piece.seats_and_turns(ring).taken == {}


def test_reverse_sends_the_piece_the_other_way(ring):
    piece.reverse(ring, ring.version)
    db.session.commit()
    turn(ring)
    assert holder(ring) == "Cara"
    turn(ring)
    assert holder(ring) == "Ben"


def test_removing_the_holder_moves_the_piece_on(ring):
    piece.give(ring, seat(ring, "Ben"), ring.version)
    piece.remove_seat(ring, seat(ring, "Ben"))
    db.session.commit()
    assert holder(ring) == "Cara"
    assert [s.name.split()[0] for s in piece.ring(ring)] == ["Ms", "Amira", "Cara"]


def test_the_keepers_seat_cannot_be_removed(ring):
    with pytest.raises(CircleError):
        piece.remove_seat(ring, seat(ring, "keeper"))


def test_reordering_changes_who_is_next(ring):
    piece.move_seat(ring, seat(ring, "Cara"), -1)
    db.session.commit()
    turn(ring)
    turn(ring)
    assert holder(ring) == "Cara"
    with pytest.raises(CircleError):
        piece.move_seat(ring, seat(ring, "keeper"), -1)


def test_a_stale_version_is_refused_and_changes_nothing(ring):
    old = ring.version
    turn(ring)
    with pytest.raises(StalePieceVersion):
        piece.take_turn(ring, seat(ring, "Amira").id, "pass", old)
    assert holder(ring) == "Amira" and ring.version == old + 1
    assert versions(ring) == [1, 2]


def test_only_the_holder_can_pass(ring):
    with pytest.raises(NotYourTurn):
        piece.take_turn(ring, seat(ring, "Ben").id, "pass", ring.version)
    assert ring.version == 1


def test_a_new_round_starts_everyones_turns_afresh(ring):
    turn(ring)
    piece.start_round(ring, "What made you smile this week?")
    db.session.commit()
    assert ring.round_no == 1 and piece.seats_and_turns(ring).taken == {}
    with pytest.raises(CircleError):
        piece.start_round(ring, "   ")


def test_closing_kills_the_code_saves_a_summary_and_refuses_changes(ring):
    piece.start_round(ring, "How are you?")
    turn(ring, "pass")
    turn(ring, "skip")
    close_circle(ring)
    db.session.commit()
    assert ring.status == "closed" and ring.join_code is None
    summary = __import__("json").loads(ring.summary)
    assert summary["participants"] == ["Amira S.", "Ben S.", "Cara S."]
    assert summary["rounds"][0]["spoke"] == 1 and summary["rounds"][0]["passed"] == 1
    with pytest.raises(CircleClosed):
        piece.take_turn(ring, seat(ring, "Ben").id, "pass", ring.version)
    assert versions(ring) == list(range(1, ring.version + 1))


def test_next_in_turn_without_a_database():
    seats = [Seat(id=n, position=n) for n in range(4)]
    assert piece.next_in_turn(seats, 1, 1, {1: ["pass"]}).id == 2
    assert piece.next_in_turn(seats, 1, -1, {1: ["pass"]}).id == 0
    everyone = {0: ["pass"], 1: ["skip"], 2: ["pass"], 3: ["skip", "pass"]}
    assert piece.next_in_turn(seats, 3, 1, everyone).id == 1
    assert piece.next_in_turn(seats, 3, 1, {**everyone, 1: ["skip", "skip"]}) is None


# Joining

@pytest.fixture
def group_circle(app):
    school = make_school()
    keeper = make_staff(school, name="Ms Keeper")
    pupils = [make_pupil(school, given=name, family="Smith") for name in NAMES]
    circle = open_circle(keeper, "community", make_group(school, pupils=pupils, staff=[keeper]))
    db.session.commit()
    return circle


def test_typed_codes_forgive_case_spaces_and_look_alikes():
    assert normalise_code(" ab-c o1l ") == "ABC011"
    assert normalise_code("io") == "10"


def test_a_code_finds_its_open_circle_and_a_wrong_code_gets_a_kind_message(group_circle):
    assert circle_for_code(group_circle.join_code.lower()).id == group_circle.id
    with pytest.raises(JoinRefused, match="couldn't find"):
        circle_for_code("ZZZZZZ" if group_circle.join_code != "ZZZZZZ" else "YYYYYY")
    with pytest.raises(JoinRefused, match="6 letters"):
        circle_for_code("ABC")


def test_a_code_past_its_time_limit_is_refused(group_circle):
    group_circle.join_expires_at = datetime.now(timezone.utc) - timedelta(minutes=1)
    db.session.commit()
    with pytest.raises(JoinRefused, match="closed"):
        circle_for_code(group_circle.join_code)


def test_the_qr_token_is_signed_expires_and_dies_with_the_circle(group_circle):
    token = join_token(group_circle, "secret")
    assert circle_for_token(token, "secret", 60).id == group_circle.id
    with pytest.raises(JoinRefused, match="isn't right"):
        circle_for_token(token, "another secret", 60)
    with pytest.raises(JoinRefused, match="expired"):
        circle_for_token(token, "secret", -1)
    close_circle(group_circle)
    db.session.commit()
    with pytest.raises(JoinRefused):
        circle_for_token(token, "secret", 60)


def test_pupils_join_from_the_group_list_and_wait_unless_auto_admit(group_circle):
    amira = group_circle.group.pupils[0]
    seat_row, secret = join_circle(group_circle, pupil=amira)
    db.session.commit()
    assert seat_row.status == "waiting" and seat_row.name == "Amira S." and len(secret) > 30
    assert seat_row.token_hash != secret
    with pytest.raises(JoinRefused, match="already in this circle"):
        join_circle(group_circle, pupil=amira)
    with pytest.raises(JoinRefused, match="list"):
        join_circle(group_circle, name="Zed")
    piece.set_auto_admit(group_circle, True)
    db.session.commit()
    assert seat_row.status == "admitted"
    ben, _ = join_circle(group_circle, pupil=group_circle.group.pupils[1])
    assert ben.status == "admitted"


def test_ad_hoc_circles_take_a_typed_first_name(app):
    school = make_school()
    circle = open_circle(make_staff(school), "problem", None)
    db.session.commit()
    seat_row, _ = join_circle(circle, name="  Jo  ")
    assert seat_row.name == "Jo" and seat_row.pupil_id is None
    with pytest.raises(JoinRefused):
        join_circle(circle, name="Jo")
    with pytest.raises(JoinRefused):
        join_circle(circle, name=" ")


# Check-ins, agreements, concerns, follow-ups, the record

def test_check_ins_go_to_the_keeper_and_low_ones_become_follow_ups(ring):
    amira, ben = seat(ring, "Amira"), seat(ring, "Ben")
    with pytest.raises(CircleError, match="no check-in round"):
        check_in(ring, amira, 4)
    piece.start_round(ring, "How are you feeling?", "checkin")
    check_in(ring, amira, 1, "tired")
    check_in(ring, ben, 5)
    db.session.commit()
    with pytest.raises(CircleError, match="already checked in"):
        check_in(ring, amira, 3)
    [follow_up] = open_follow_ups(ring.keeper)
    assert follow_up.checkin.pupil_id == amira.pupil_id and follow_up.checkin.word == "tired"
    mark_follow_up_done(follow_up, ring.keeper)
    db.session.commit()
    assert open_follow_ups(ring.keeper) == []


def test_an_answer_to_a_round_that_has_been_replaced_is_refused(ring):
    amira = seat(ring, "Amira")
    piece.start_round(ring, "How are you feeling?", "checkin")
    db.session.commit()
    asked = ring.round_no
    piece.start_round(ring, "How was your weekend?", "checkin")
    db.session.commit()
    with pytest.raises(CircleError, match="A new round has started"):
        check_in(ring, amira, 4, round_no=asked)
    assert db.session.scalar(select(func.count(CircleCheckIn.id))) == 0
    check_in(ring, amira, 4, round_no=ring.round_no)
    db.session.commit()
    assert db.session.scalar(select(CircleCheckIn.round_no)) == ring.round_no


def test_a_circle_agreement_is_for_everyone_and_each_can_agree(ring):
    agreement = add_agreement(ring, ring.keeper, "value", "We listen to whoever holds the piece", [])
    db.session.commit()
    assert len(agreement.parties) == 3
    seat_agrees(ring, seat(ring, "Ben"), agreement)
    db.session.commit()
    assert sum(1 for p in agreement.parties if p.agreed_at) == 1


def test_someone_let_in_after_a_circle_agreement_is_asked_to_agree_to_it_too(app):
    """A circle agreement is for everyone in the circle: a late joiner, however they come in (let in,
    auto-admit, auto-admit switched on, added on a shared device), can tap "I agree" and is counted.
    An action agreement names its people and gains nobody; a name already party to it is not added twice."""
    school = make_school()
    keeper = make_staff(school, name="Ms Keeper")
    pupils = [make_pupil(school, given=name, family="Smith") for name in ("Amira", "Ben", "Cara", "Dev")]
    circle = open_circle(keeper, "checkin", make_group(school, pupils=pupils, staff=[keeper]))
    amira, _ = join_circle(circle, pupil=pupils[0])
    piece.admit(circle, amira)
    db.session.commit()
    value = add_agreement(circle, keeper, "value", "We listen to whoever holds the piece", [])
    action = add_agreement(circle, keeper, "action", "Amira tidies the reading corner", [amira],
                           by_when=datetime.now().date())
    db.session.commit()
    ben, _ = join_circle(circle, pupil=pupils[1])
    assert {p.pupil_id for p in value.parties} == {pupils[0].id}, "nobody waiting is party to it"
    piece.admit(circle, ben)
    circle.auto_admit = True
    cara, _ = join_circle(circle, pupil=pupils[2])
    circle.auto_admit = False
    dev, _ = join_circle(circle, pupil=pupils[3])
    piece.set_auto_admit(circle, True)
    db.session.commit()
    assert sorted(p.pupil_id for p in value.parties) == sorted(p.id for p in pupils)
    assert [p.pupil_id for p in action.parties] == [pupils[0].id]
    seat_agrees(circle, cara, value)
    db.session.commit()
    assert [p.pupil_id for p in value.parties if p.agreed_at] == [pupils[2].id]
    piece.remove_seat(circle, dev)
    again, _ = join_circle(circle, pupil=pupils[3])
    db.session.commit()
    assert sorted(p.pupil_id for p in value.parties) == sorted(p.id for p in pupils)

    shared = open_circle(keeper, "checkin", None, one_device=True)
    db.session.commit()
    ours = add_agreement(shared, keeper, "value", "We are kind", [add_seat_here(shared, "Sam")])
    add_seat_here(shared, "Jo")
    db.session.commit()
    assert sorted(p.name for p in ours.parties) == ["Jo", "Sam"]


def test_an_action_agreement_names_who_and_only_they_can_agree(ring):
    agreement = add_agreement(ring, ring.keeper, "action", "Tidy the reading corner", [seat(ring, "Cara")],
                              by_when=datetime.now().date())
    db.session.commit()
    with pytest.raises(CircleError):
        seat_agrees(ring, seat(ring, "Amira"), agreement)
    with pytest.raises(CircleError):
        add_agreement(ring, ring.keeper, "action", "Nobody named", [])


def test_a_concern_goes_to_the_dsl_and_never_into_the_circle(ring):
    before = ring.version
    circle_concern(ring, ring.keeper, seat(ring, "Amira"), "Said she is scared to go home.")
    db.session.commit()
    assert db.session.scalar(select(Concern.context_kind)) == "circle"
    assert ring.version == before and versions(ring) == [1]
    close_circle(ring)
    assert "scared" not in ring.summary
    with pytest.raises(CircleError):
        circle_concern(ring, ring.keeper, seat(ring, "Amira"), " ")


def test_the_pupil_record_lists_circles_own_check_ins_and_agreements_for_staff_who_see_them(ring):
    amira = seat(ring, "Amira")
    piece.start_round(ring, "How are you feeling?", "checkin")
    check_in(ring, amira, 4)
    add_agreement(ring, ring.keeper, "value", "Kind words only", [])
    close_circle(ring)
    db.session.commit()
    entries = circle_entries(amira.pupil, ring.keeper)
    assert {e.kind for e in entries} == {"circle", "checkin", "agreement"}
    assert any("Good" in e.title for e in entries)
    stranger = make_staff(db.session.get(type(ring.keeper.school), ring.school_id), name="Other Teacher")
    assert circle_entries(amira.pupil, stranger) == []


def test_the_question_bank_starts_with_defaults_and_admins_add_to_it(app):
    school = make_school()
    texts = [p.text for p in bank(school.id)]
    assert len(texts) == sum(len(v) for v in DEFAULT_PROMPTS.values())
    add_prompt(school.id, "secondary", "What would make tomorrow better?")
    assert "What would make tomorrow better?" in [p.text for p in bank(school.id)]
    with pytest.raises(CircleError):
        add_prompt(school.id, "nursery", "Hello?")


def test_a_new_circle_that_reuses_an_old_ones_ids_never_shows_the_old_ones_screens(app):
    """The rendered fragments are kept per process: a circle whose id (and agreement and party ids) a
    deleted one had - SQLite reuses the highest ids once those rows are gone - shows its own agreements."""
    def circle_with(what: str) -> Circle:
        school = make_school()
        keeper = make_staff(school, name="Ms Keeper")
        pupil = make_pupil(school, given="Amira", family="Smith")
        circle = open_circle(keeper, "checkin", make_group(school, pupils=[pupil], staff=[keeper]))
        amira, _ = join_circle(circle, pupil=pupil)
        piece.admit(circle, amira)
        add_agreement(circle, keeper, "value", what, [])
        db.session.commit()
        return circle

    def emptied() -> None:
        """Empty every table; SQLite then gives ids from 1 again, and PostgreSQL's sequences are made to."""
        empty_tables()
        if db.session.get_bind().dialect.name == "postgresql":
            for table in (t for t in db.metadata.sorted_tables if "id" in t.c):
                db.session.execute(text("SELECT setval(pg_get_serial_sequence(:name, 'id'), 1, false)"),
                                   {"name": f'"{table.name}"'})
            db.session.commit()

    with app.test_request_context():
        emptied()
        first = circle_with("We listen to whoever holds the piece")
        first_ids = (first.id, first.version)
        assert "We listen" in live.render_state(first)["keeper"]["k-agreements"]
        emptied()
        second = circle_with("We take turns")
        assert (second.id, second.version) == first_ids, "the same ids again (as after the test's tables are emptied)"
        state = live.render_state(second)
        assert "We take turns" in state["keeper"]["k-agreements"]
        assert all("We take turns" in html for html in state["parts"]["p-agreements"].values())


# Who is in the circle: a pupil leaving, who took part, and the late joiner's list

def test_a_pupil_who_leaves_holding_the_piece_passes_it_on_without_a_turn(ring):
    turn(ring)                                   # the keeper speaks: Amira holds it, Ben is next
    piece.leave_circle(ring, seat(ring, "Amira"))
    db.session.commit()
    assert holder(ring) == "Ben"
    assert [s.name.split()[0] for s in piece.ring(ring)] == ["Ms", "Ben", "Cara"]
    assert seat(ring, "Amira").id not in piece.seats_and_turns(ring).taken, "leaving is not a turn"
    assert versions(ring) == list(range(1, ring.version + 1))
    assert piece.left_by_themselves(seat(ring, "Amira"))


def test_when_the_next_pupil_leaves_the_one_after_them_is_next(ring):
    turn(ring)                                   # Amira holds it, Ben is next
    piece.leave_circle(ring, seat(ring, "Ben"))
    db.session.commit()
    assert holder(ring) == "Amira"
    turn(ring)
    assert holder(ring) == "Cara"


def test_the_last_to_have_a_turn_leaving_with_the_piece_ends_the_lap(ring):
    for _ in range(3):
        turn(ring)                               # keeper, Amira, Ben: Cara holds it
    piece.leave_circle(ring, seat(ring, "Cara"))
    db.session.commit()
    assert holder(ring) == "keeper" and ring.lap == 1


def test_the_keeper_cannot_leave_and_nobody_leaves_twice(ring):
    with pytest.raises(CircleError):
        piece.leave_circle(ring, seat(ring, "keeper"))
    ben = seat(ring, "Ben")
    piece.remove_seat(ring, ben)                 # the keeper takes Ben out as he taps Leave
    db.session.commit()
    version = ring.version
    with pytest.raises(CircleError, match="not in the circle any more"):
        piece.leave_circle(ring, ben)
    assert ring.version == version
    assert not piece.left_by_themselves(ben), "the keeper took him out"


def test_who_took_part_lists_those_who_left_but_not_those_turned_away(group_circle):
    amira, ben, cara = group_circle.group.pupils
    piece.set_auto_admit(group_circle, True)
    seats = {p.given_name: join_circle(group_circle, pupil=p)[0] for p in (amira, ben)}
    piece.set_auto_admit(group_circle, False)
    waiting, _ = join_circle(group_circle, pupil=cara)
    db.session.commit()
    piece.leave_circle(group_circle, seats["Amira"])       # left by herself
    piece.remove_seat(group_circle, seats["Ben"])          # taken out by the keeper
    piece.turn_away(group_circle, waiting)                 # Cara was never let in
    close_circle(group_circle)
    db.session.commit()
    summary = __import__("json").loads(group_circle.summary)
    assert summary["participants"] == ["Amira S. (left early)", "Ben S. (left early)"]
    assert waiting.left_at is None


def test_someone_who_left_and_came_back_is_listed_once_where_they_sit(ring):
    amira = seat(ring, "Amira")
    piece.leave_circle(ring, amira)
    piece.set_auto_admit(ring, True)
    again, _ = join_circle(ring, pupil=amira.pupil)
    close_circle(ring)
    db.session.commit()
    summary = __import__("json").loads(ring.summary)
    assert summary["participants"] == ["Ben S.", "Cara S.", "Amira S."]
    assert [e.kind for e in circle_entries(amira.pupil, ring.keeper) if e.kind == "circle"] == ["circle"]


def test_the_pupil_record_keeps_a_circle_the_pupil_left_but_not_one_they_were_turned_away_from(group_circle):
    amira, ben, _ = group_circle.group.pupils
    piece.set_auto_admit(group_circle, True)
    amira_seat, _ = join_circle(group_circle, pupil=amira)
    piece.set_auto_admit(group_circle, False)
    ben_seat, _ = join_circle(group_circle, pupil=ben)
    piece.leave_circle(group_circle, amira_seat)
    piece.turn_away(group_circle, ben_seat)
    db.session.commit()
    keeper = group_circle.keeper
    assert [e.title for e in circle_entries(amira, keeper)] == ["Took part in a community-building circle"]
    assert circle_entries(ben, keeper) == []


def test_the_join_list_leaves_out_those_already_in_the_circle(group_circle):
    amira, ben, cara = group_circle.group.pupils
    from rrp_pwa.circles.joining import names_to_choose
    waiting, _ = join_circle(group_circle, pupil=amira)
    piece.set_auto_admit(group_circle, True)
    join_circle(group_circle, pupil=ben)
    db.session.commit()
    assert names_to_choose(group_circle) == [(cara.id, "Cara S.")], "waiting or let in: not on the list"
    assert names_to_choose(group_circle, waiting) == [(amira.id, "Amira S."), (cara.id, "Cara S.")], \
        "but on the list of the device that holds the seat"
    piece.leave_circle(group_circle, waiting)
    db.session.commit()
    assert names_to_choose(group_circle) == [(amira.id, "Amira S."), (cara.id, "Cara S.")], "back after leaving"


def test_someone_waiting_who_chose_the_wrong_circle_can_leave_and_did_not_take_part(group_circle):
    amira = group_circle.group.pupils[0]
    waiting, _ = join_circle(group_circle, pupil=amira)
    db.session.commit()
    piece.leave_circle(group_circle, waiting)
    db.session.commit()
    assert waiting.status == "removed" and waiting.left_at is None
    assert piece.left_by_themselves(waiting)
    assert holder(group_circle) == "keeper"
    close_circle(group_circle)
    db.session.commit()
    assert __import__("json").loads(group_circle.summary)["participants"] == []
