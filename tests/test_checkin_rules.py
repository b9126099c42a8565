"""Unit tests of the check-in rules: stations, follow-ups, the school's scale, the pupil record."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from rrp_pwa.checkins.rules import (
    CheckInError,
    FollowUpNotYours,
    follow_up_after,
    mark_follow_up_done,
    open_follow_up_count,
    open_follow_ups,
    record_checkin,
    record_staff_checkin,
    set_school_scale,
)
from rrp_pwa.checkins.stations import (
    NotInGroup,
    StationClosed,
    StationRefused,
    end_station,
    may_watch,
    open_station,
    record_station_checkin,
    station_checkins,
    station_pupils,
    watchable_stations,
)
from rrp_pwa.checkins.timeline import checkin_entries
from rrp_pwa.extensions import db
from rrp_pwa.models import CheckIn, CheckInFollowUp
from rrp_pwa.models.roster import utcnow
from tests.conftest import make_group, make_pupil, make_school, make_staff


@pytest.fixture
def cedar(app):
    """A school with a class (two pupils, a teacher and a teaching assistant) and another class."""
    school = make_school()
    teacher = make_staff(school, ("teacher",), name="Ms Rivers")
    assistant = make_staff(school, ("support",), name="Mr Lee")
    amira, ben = make_pupil(school, "Amira", "Khan"), make_pupil(school, "Ben", "Okafor")
    group = make_group(school, "Year 5 Cedar", pupils=[amira, ben], staff=[teacher, assistant])
    other_teacher = make_staff(school, ("teacher",), name="Mr Oak")
    other_pupil = make_pupil(school, "Cara", "Diaz")
    other = make_group(school, "Year 6 Oak", pupils=[other_pupil], staff=[other_teacher])
    db.session.commit()
    return dict(school=school, teacher=teacher, assistant=assistant, amira=amira, ben=ben, group=group,
                other_teacher=other_teacher, other=other, other_pupil=other_pupil)


def test_a_teacher_opens_a_station_for_their_own_group_until_the_time_limit(cedar):
    now = utcnow()
    station = open_station(cedar["teacher"], cedar["group"], 30, now=now)
    db.session.commit()
    assert station.is_open(now + timedelta(minutes=29))
    assert not station.is_open(now + timedelta(minutes=30))
    assert [p.first_name for p in station_pupils(station)] == ["Amira", "Ben"]


@pytest.mark.parametrize("who,why", [
    ("other_teacher", "a teacher of another group"),
    ("assistant", "a support assistant of the group"),
])
def test_only_a_teacher_of_the_group_opens_its_station(cedar, who, why):
    with pytest.raises(StationRefused):
        open_station(cedar[who], cedar["group"], 30)


def test_an_archived_group_or_an_odd_time_limit_is_refused(cedar):
    with pytest.raises(StationRefused):
        open_station(cedar["teacher"], cedar["group"], 7)
    cedar["group"].archived = True
    with pytest.raises(StationRefused):
        open_station(cedar["teacher"], cedar["group"], 30)


def test_opening_a_new_station_ends_the_one_still_open_for_that_group(cedar):
    first = open_station(cedar["teacher"], cedar["group"], 30)
    db.session.commit()
    second = open_station(cedar["teacher"], cedar["group"], 15)
    db.session.commit()
    assert not first.is_open() and second.is_open()


def test_a_check_in_at_the_station_is_recorded_and_a_low_one_goes_on_the_openers_list(cedar):
    station = open_station(cedar["teacher"], cedar["group"], 30)
    db.session.commit()
    good = record_station_checkin(station, cedar["amira"].id, 4, None)
    low = record_station_checkin(station, cedar["ben"].id, 2, "tired")
    db.session.commit()
    assert (good.source, good.source_id, good.low) == ("station", station.id, False)
    assert (low.word, low.low) == ("tired", True)
    follow_ups = open_follow_ups(cedar["teacher"])
    assert [f.checkin_id for f in follow_ups] == [low.id]
    assert [c.id for c in station_checkins(station)] == [low.id, good.id]


def test_the_station_uses_the_schools_scale(cedar):
    set_school_scale(cedar["school"], "zones")
    station = open_station(cedar["teacher"], cedar["group"], 30)
    db.session.commit()
    red = record_station_checkin(station, cedar["amira"].id, 4, None)
    assert (red.scale, red.low) == ("zones", True)
    with pytest.raises(CheckInError):
        record_station_checkin(station, cedar["amira"].id, 5, None)


def test_only_the_groups_pupils_on_roll_check_in_at_its_station(cedar):
    station = open_station(cedar["teacher"], cedar["group"], 30)
    cedar["ben"].archived = True
    db.session.commit()
    for pupil in (cedar["other_pupil"], cedar["ben"]):
        with pytest.raises(NotInGroup):
            record_station_checkin(station, pupil.id, 3, None)


def test_a_closed_or_expired_station_takes_no_check_ins(cedar):
    station = open_station(cedar["teacher"], cedar["group"], 15)
    db.session.commit()
    with pytest.raises(StationClosed):
        record_station_checkin(station, cedar["amira"].id, 3, None, now=utcnow() + timedelta(minutes=16))
    end_station(station, cedar["teacher"])
    with pytest.raises(StationClosed):
        record_station_checkin(station, cedar["amira"].id, 3, None)


def test_bad_answers_are_refused_with_a_message(cedar):
    station = open_station(cedar["teacher"], cedar["group"], 30)
    with pytest.raises(CheckInError, match="check-in buttons"):
        record_station_checkin(station, cedar["amira"].id, 9, None)
    with pytest.raises(CheckInError, match="40 letters"):
        record_station_checkin(station, cedar["amira"].id, 3, "x" * 41)


def test_a_replayed_offline_check_in_is_recorded_once(cedar):
    station = open_station(cedar["teacher"], cedar["group"], 30)
    db.session.commit()
    uuid = "0b7e7c1e-8d1f-4a55-9a8e-3f6f3c1f2d10"
    first = record_station_checkin(station, cedar["amira"].id, 1, None, client_uuid=uuid)
    db.session.commit()
    again = record_station_checkin(station, cedar["amira"].id, 1, None, client_uuid=uuid)
    db.session.commit()
    assert again.id == first.id
    assert db.session.query(CheckInFollowUp).count() == 1


@pytest.mark.parametrize("who,allowed", [
    ("teacher", True), ("assistant", True), ("other_teacher", False),
])
def test_who_ends_a_station(cedar, who, allowed):
    station = open_station(cedar["teacher"], cedar["group"], 30)
    db.session.commit()
    if allowed:
        end_station(station, cedar[who])
        assert not station.is_open()
    else:
        with pytest.raises(StationRefused):
            end_station(station, cedar[who])


def test_an_admin_ends_any_station_of_the_school(cedar):
    station = open_station(cedar["teacher"], cedar["group"], 30)
    end_station(station, make_staff(cedar["school"], ("admin",)))
    assert not station.is_open()


def test_who_watches_a_station(cedar):
    station = open_station(cedar["teacher"], cedar["group"], 30)
    db.session.commit()
    pastoral = make_staff(cedar["school"], ("pastoral",))
    elsewhere = make_staff(make_school("Hill Academy"), ("admin",))
    assert may_watch(cedar["assistant"], station) and may_watch(pastoral, station)
    assert not may_watch(cedar["other_teacher"], station) and not may_watch(elsewhere, station)
    assert watchable_stations(cedar["assistant"]) == [station]
    assert watchable_stations(cedar["other_teacher"]) == []
    assert watchable_stations(cedar["assistant"], now=utcnow() + timedelta(hours=1)) == []



def test_after_its_day_a_station_is_watched_only_by_those_who_read_its_pupils_records(cedar):
    """The group's midday or teaching assistant watches its station on the day; after that day its check-ins
    are records about the pupils, which an assistant who logged none of them does not read (records/access.py)."""
    station = open_station(cedar["teacher"], cedar["group"], 30)
    db.session.commit()
    pastoral = make_staff(cedar["school"], ("pastoral",))
    tomorrow = utcnow() + timedelta(days=1)
    assert may_watch(cedar["assistant"], station) and not may_watch(cedar["assistant"], station, now=tomorrow)
    assert may_watch(cedar["teacher"], station, now=tomorrow) and may_watch(pastoral, station, now=tomorrow)
    assert not may_watch(cedar["other_teacher"], station, now=tomorrow)

def test_follow_ups_stay_on_the_list_until_their_owner_marks_them_done(cedar):
    low = record_staff_checkin(cedar["assistant"], cedar["amira"], 1, None)
    record_staff_checkin(cedar["assistant"], cedar["ben"], 5, None)
    db.session.commit()
    assert low.recorded_by_id == cedar["assistant"].id
    assert open_follow_up_count(cedar["assistant"]) == 1
    follow_up = open_follow_ups(cedar["assistant"])[0]
    with pytest.raises(FollowUpNotYours):
        mark_follow_up_done(follow_up, cedar["teacher"])
    mark_follow_up_done(follow_up, cedar["assistant"])
    mark_follow_up_done(follow_up, cedar["assistant"])
    db.session.commit()
    assert open_follow_ups(cedar["assistant"]) == [] and follow_up.done_at is not None


def test_after_done_the_list_goes_on_to_the_next_follow_up_else_the_one_before(cedar):
    for pupil in (cedar["amira"], cedar["ben"], cedar["other_pupil"]):
        record_staff_checkin(cedar["teacher"], pupil, 1, None)
    db.session.commit()
    first, second, third = open_follow_ups(cedar["teacher"])
    assert follow_up_after(first, [second, third]) is second
    assert follow_up_after(second, [first, third]) is third
    assert follow_up_after(third, [first, second]) is second
    assert follow_up_after(first, []) is None


def test_a_new_scale_leaves_earlier_check_ins_on_theirs(cedar):
    before = record_staff_checkin(cedar["teacher"], cedar["amira"], 5, None)
    set_school_scale(cedar["school"], "numbers")
    after = record_staff_checkin(cedar["teacher"], cedar["amira"], 5, None)
    db.session.commit()
    assert (before.scale, after.scale) == ("faces", "numbers")
    with pytest.raises(CheckInError):
        set_school_scale(cedar["school"], "mood-meter")


def test_the_pupil_record_lists_station_and_staff_check_ins_for_staff_who_may_see_the_pupil(cedar):
    station = open_station(cedar["teacher"], cedar["group"], 30)
    db.session.commit()
    record_station_checkin(station, cedar["amira"].id, 2, "tired")
    record_staff_checkin(cedar["assistant"], cedar["amira"], 4, None)
    record_checkin(cedar["school"].id, "faces", 3, "circle", pupil=cedar["amira"], source_id=99)
    db.session.commit()
    entries = checkin_entries(cedar["amira"], cedar["teacher"])
    assert [e.title for e in entries] == ["Check-in: 🙂 Good", "Check-in: 🙁 Not great"]
    assert "Recorded by Mr Lee" in entries[0].detail
    assert "At the class check-in station" in entries[1].detail and "“tired”" in entries[1].detail
    assert checkin_entries(cedar["amira"], cedar["other_teacher"]) == []
    assert db.session.scalar(select(CheckIn).where(CheckIn.source == "circle")) is not None
