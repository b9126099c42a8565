"""Client tests of the check-in station: opening it, the tablet in station mode, the staff's
live list (page, fragment and event stream), ending it, leaving station mode."""
import json
import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from rrp_pwa.checkins.kept import tablet_sends_left
from rrp_pwa.checkins.stations import open_station
from rrp_pwa.extensions import db
from rrp_pwa.models import CheckIn, CheckInFollowUp
from rrp_pwa.models.checkins import CheckInStation, as_utc
from rrp_pwa.realtime import broker
from tests.conftest import PASSWORD, make_group, make_pupil, make_school, make_staff

HTMX = {"HX-Request": "true"}


@pytest.fixture
def cedar(app):
    school = make_school()
    teacher = make_staff(school, ("teacher",), name="Ms Rivers")
    assistant = make_staff(school, ("support",), name="Mr Lee")
    amira, ben = make_pupil(school, "Amira", "Khan"), make_pupil(school, "Ben", "Okafor")
    group = make_group(school, "Year 5 Cedar", pupils=[amira, ben], staff=[teacher, assistant])
    other_teacher = make_staff(school, ("teacher",), name="Mr Oak")
    other_assistant = make_staff(school, ("support",), name="Ms Ash")
    other_pupil = make_pupil(school, "Cara", "Diaz")
    other = make_group(school, "Year 6 Oak", pupils=[other_pupil], staff=[other_teacher, other_assistant])
    db.session.commit()
    return dict(school=school, teacher=teacher, assistant=assistant, amira=amira, ben=ben, group=group,
                other_teacher=other_teacher, other_assistant=other_assistant, other=other, other_pupil=other_pupil)


@pytest.fixture
def station(cedar):
    opened = open_station(cedar["teacher"], cedar["group"], 30)
    db.session.commit()
    return opened


def start_station_on(client, auth, cedar) -> CheckInStation:
    """The teacher signs in on the tablet and opens the station there."""
    auth.login(cedar["teacher"])
    response = client.post(f"/checkins/groups/{cedar['group'].id}/station", data={"minutes": "30"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/station")
    return db.session.scalar(select(CheckInStation))


def elsewhere_station():
    school = make_school("Hill Academy")
    teacher = make_staff(school, ("teacher",))
    group = make_group(school, "Hill 5", pupils=[make_pupil(school, "Dev", "Patel")], staff=[teacher])
    opened = open_station(teacher, group, 30)
    db.session.commit()
    return opened


# Opening a station

def test_the_teacher_sees_their_groups_and_opens_the_station_on_the_tablet(client, auth, cedar):
    auth.login(cedar["teacher"])
    page = client.get("/checkins").get_data(as_text=True)
    assert "Year 5 Cedar" in page and "Year 6 Oak" not in page
    form = client.get(f"/checkins/groups/{cedar['group'].id}/station")
    assert form.status_code == 200 and "Open the station on this device" in form.get_data(as_text=True)
    station = start_station_on(client, auth, cedar)
    assert station.is_open() and station.opened_by_id == cedar["teacher"].id
    tablet = client.get("/station").get_data(as_text=True)
    assert "Tap your name" in tablet and "Amira K." in tablet and "Ben O." in tablet
    assert "Khan" not in tablet and "Cara" not in tablet


@pytest.mark.parametrize("who,group,status", [
    ("teacher", "group", 200),
    ("other_teacher", "group", 404),
    ("assistant", "group", 403),
    ("other_assistant", "group", 403),
])
def test_only_a_teacher_of_the_group_may_open_its_station(client, auth, cedar, who, group, status):
    auth.login(cedar[who])
    assert client.get(f"/checkins/groups/{cedar[group].id}/station").status_code == status
    posted = client.post(f"/checkins/groups/{cedar[group].id}/station", data={"minutes": "30"})
    assert posted.status_code == (302 if status == 200 else status)
    assert (db.session.scalar(select(CheckInStation)) is not None) == (status == 200)


def test_a_pastoral_lead_who_sees_the_group_still_cannot_open_its_station(client, auth, cedar):
    auth.login(roles=("pastoral",), school=cedar["school"])
    assert client.get(f"/checkins/groups/{cedar['group'].id}/station").status_code == 403


def test_another_schools_group_is_not_found(client, auth, cedar):
    elsewhere = elsewhere_station()
    auth.login(cedar["teacher"])
    assert client.get(f"/checkins/groups/{elsewhere.group_id}/station").status_code == 404


def test_an_odd_time_limit_is_refused_beside_the_field(client, auth, cedar):
    auth.login(cedar["teacher"])
    response = client.post(f"/checkins/groups/{cedar['group'].id}/station", data={"minutes": "600"})
    assert response.status_code == 400 and "Not a valid choice" in response.get_data(as_text=True)


# The tablet in station mode

def test_station_mode_lets_a_pupil_reach_nothing_else_in_the_app(client, auth, cedar):
    start_station_on(client, auth, cedar)
    # Back to the page that opened the station, or any page typed in: back to the names, never sign-in
    for url in (f"/checkins/groups/{cedar['group'].id}/station", "/", "/pupils", f"/pupils/{cedar['amira'].id}",
                "/checkins", "/checkins/follow-ups"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].endswith("/station"), url
        assert "Tap your name" in client.get(response.headers["Location"]).get_data(as_text=True)
    page = client.get("/station").get_data(as_text=True)
    assert "Sign out" not in page and 'href="/"' not in page and "Teacher: leave" in page


def test_the_teachers_cookie_from_before_the_station_opened_no_longer_signs_anyone_in(client, auth, cedar):
    """A page the teacher opened just before turning the tablet into a station answers late and
    sets her old cookie again: pupils at the station must not find her signed in."""
    auth.login(cedar["teacher"])
    teachers = client.get_cookie("rrp_session", domain="rrp.test").value
    client.post(f"/checkins/groups/{cedar['group'].id}/station", data={"minutes": "30"})
    client.set_cookie("rrp_session", teachers, domain="rrp.test")
    response = client.get(f"/pupils/{cedar['amira'].id}")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_once_the_teacher_has_left_station_mode_the_stations_cookie_opens_nothing(client, auth, cedar):
    start_station_on(client, auth, cedar)
    stations = client.get_cookie("rrp_session", domain="rrp.test").value
    assert client.post("/station/leave", data={"password": PASSWORD}).status_code == 302
    client.set_cookie("rrp_session", stations, domain="rrp.test")
    response = client.get("/station")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    with client.session_transaction() as session:
        assert "checkin_station" not in session, "the put-back cookie is dropped, not kept for later"


def test_a_station_opened_before_sign_ins_had_ids_carries_on(client, auth, cedar):
    start_station_on(client, auth, cedar)
    with client.session_transaction() as session:
        del session["sid"]  # as a station opened before this release left its session
    assert client.get("/station").status_code == 200
    with client.session_transaction() as session:
        assert session.get("sid"), "it has one now, so leaving station mode ends it"


def test_a_pupil_checks_in_and_the_screen_goes_straight_back_to_the_names(client, auth, cedar):
    station = start_station_on(client, auth, cedar)
    pick = client.get(f"/station/pupils/{cedar['ben'].id}", headers=HTMX)
    assert pick.status_code == 200 and "Ben O." in pick.get_data(as_text=True)
    assert "How are you feeling?" in pick.get_data(as_text=True)
    # drawn faces, the same on every tablet: an emoji font may be missing (boxes instead of faces)
    assert 'class="face-drawing face-awful"' in pick.get_data(as_text=True) and "😢" not in pick.get_data(as_text=True)
    response = client.post("/station/checkins", headers=HTMX,
                           data={"pupil_id": cedar["ben"].id, "value": "2", "word": "tired"})
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "Thank you!" in text and "Tap your name" in text
    assert "tired" not in text and "Not great" not in text and "Ben O." in text  # his name button, nothing more
    checkin = db.session.scalar(select(CheckIn))
    assert (checkin.pupil_id, checkin.value, checkin.word, checkin.source_id) == (cedar["ben"].id, 2, "tired", station.id)
    follow_up = db.session.scalar(select(CheckInFollowUp))
    assert follow_up.staff_id == cedar["teacher"].id and follow_up.checkin_id == checkin.id


def test_the_next_pupil_never_sees_the_previous_answer(client, auth, cedar):
    start_station_on(client, auth, cedar)
    client.post("/station/checkins", data={"pupil_id": cedar["ben"].id, "value": "1", "word": "grumpy"})
    for url in ("/station?thanks=1", f"/station/pupils/{cedar['amira'].id}", "/station"):
        text = client.get(url).get_data(as_text=True)
        assert "grumpy" not in text and "checked" not in text and "selected" not in text, url
        assert "1 of 2" not in text and "checked in" not in text, url


def test_without_htmx_the_check_in_redirects_to_the_names(client, auth, cedar):
    start_station_on(client, auth, cedar)
    response = client.post("/station/checkins", data={"pupil_id": cedar["amira"].id, "value": "5"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/station?thanks=1")
    assert "Thank you!" in client.get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("data,message", [
    ({"value": "9"}, "Choose one of the check-in buttons."),
    ({"value": "happy"}, "Not a valid integer value"),
    ({}, "Choose one of the check-in buttons."),
    ({"value": "3", "word": "x" * 41}, "Keep the word short: 40 letters at most."),
])
def test_bad_input_keeps_the_pupil_on_their_screen_with_a_message(client, auth, cedar, data, message):
    start_station_on(client, auth, cedar)
    response = client.post("/station/checkins", headers=HTMX, data={"pupil_id": cedar["amira"].id, **data})
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and message in text and "Amira K." in text
    if "word" in data:
        assert data["word"] in text
    assert db.session.scalar(select(CheckIn)) is None


@pytest.mark.parametrize("pupil", ["other_pupil", "missing"])
def test_a_pupil_outside_the_group_cannot_check_in_at_its_station(client, auth, cedar, pupil):
    start_station_on(client, auth, cedar)
    pupil_id = cedar[pupil].id if pupil in cedar else 999999
    assert client.get(f"/station/pupils/{pupil_id}").status_code == 404
    response = client.post("/station/checkins", data={"pupil_id": pupil_id, "value": "3"})
    assert response.status_code == 400 and "Tap your name" in response.get_data(as_text=True)
    assert db.session.scalar(select(CheckIn)) is None


def test_a_pupil_of_another_school_cannot_check_in(client, auth, cedar):
    elsewhere = elsewhere_station()
    start_station_on(client, auth, cedar)
    response = client.post("/station/checkins", data={"pupil_id": elsewhere.group.pupils[0].id, "value": "3"})
    assert response.status_code == 400 and db.session.scalar(select(CheckIn)) is None


def test_the_station_closes_at_its_time_limit(client, auth, cedar):
    station = start_station_on(client, auth, cedar)
    assert client.get("/station/status", headers=HTMX).status_code == 204
    station.closes_at = station.opened_at - timedelta(seconds=1)
    db.session.commit()
    status = client.get("/station/status", headers=HTMX)
    assert status.status_code == 200 and status.headers["HX-Redirect"] == "/station"
    closed = client.get("/station")
    assert closed.status_code == 410 and "The check-in station is closed" in closed.get_data(as_text=True)
    assert "Amira" not in closed.get_data(as_text=True)
    # the teacher who signs in there (to send what the tablet kept) lands on Check-ins, which sends it
    assert 'href="/sign-in?next=/checkins"' in closed.get_data(as_text=True)
    posted = client.post("/station/checkins", data={"pupil_id": cedar["amira"].id, "value": "3"})
    assert posted.status_code == 410 and db.session.scalar(select(CheckIn)) is None


def test_leaving_station_mode_takes_the_openers_password(client, auth, cedar):
    station = start_station_on(client, auth, cedar)
    assert client.get("/station/leave").status_code == 200
    wrong = client.post("/station/leave", data={"password": "letmein"})
    assert wrong.status_code == 401 and "That password is wrong. Only Ms Rivers can" in wrong.get_data(as_text=True)
    assert client.get("/pupils").status_code == 302
    right = client.post("/station/leave", data={"password": PASSWORD})
    assert right.status_code == 302 and right.headers["Location"].endswith(f"/checkins/stations/{station.id}")
    assert client.get("/pupils").status_code == 200
    assert client.get("/station").status_code == 302  # no longer a station device


def test_guesses_at_the_station_pause_the_station_and_never_lock_the_teacher_out(app, client, auth, cedar):
    start_station_on(client, auth, cedar)
    for _ in range(app.config["LOGIN_ACCOUNT_LIMIT"]):
        assert client.post("/station/leave", data={"password": "guess"}).status_code == 401
    paused = client.post("/station/leave", data={"password": PASSWORD})
    assert paused.status_code == 429 and "Too many wrong passwords" in paused.get_data(as_text=True)
    # the teacher still signs in on their own phone
    phone = app.test_client()
    signed_in = phone.post("/sign-in", data={"email": cedar["teacher"].email, "password": PASSWORD})
    assert signed_in.status_code == 302 and "/sign-in" not in signed_in.headers["Location"]


def test_a_device_that_was_never_a_station_is_sent_to_sign_in(client):
    response = client.get("/station")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


# The staff's live list

@pytest.mark.parametrize("who,status", [
    ("teacher", 200), ("assistant", 200), ("other_teacher", 404), ("other_assistant", 404),
])
def test_the_groups_staff_watch_its_station_and_nobody_else_does(client, auth, cedar, station, who, status):
    auth.login(cedar[who])
    for url in (f"/checkins/stations/{station.id}", f"/checkins/stations/{station.id}/list"):
        assert client.get(url).status_code == status, url
    listed = "Year 5 Cedar" in client.get("/checkins").get_data(as_text=True)
    assert listed == (status == 200)


def test_another_schools_station_is_not_found(client, auth, cedar):
    elsewhere = elsewhere_station()
    auth.login(roles=("admin",), school=cedar["school"])
    for url in (f"/checkins/stations/{elsewhere.id}", f"/checkins/stations/{elsewhere.id}/list",
                f"/checkins/stations/{elsewhere.id}/stream"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/checkins/stations/{elsewhere.id}/end").status_code == 404
    assert elsewhere.is_open()


def test_the_list_shows_each_check_in_with_low_ones_marked_for_a_quiet_word(client, auth, cedar, station):
    from rrp_pwa.checkins.stations import record_station_checkin

    record_station_checkin(station, cedar["amira"].id, 5, None)
    record_station_checkin(station, cedar["ben"].id, 1, "sad")
    db.session.commit()
    auth.login(cedar["assistant"])
    text = client.get(f"/checkins/stations/{station.id}/list").get_data(as_text=True)
    rows = re.findall(r'<li class="row[^"]*">.*?</li>', text, re.S)
    assert len(rows) == 2
    assert "Ben Okafor" in rows[0] and "Check in later" in rows[0] and "“sad”" in rows[0] and "checkin-low" in rows[0]
    assert "Amira Khan" in rows[1] and "Check in later" not in rows[1]
    assert "2 of 2 checked in" in text


def test_the_stream_sends_the_list_at_once_then_each_new_check_in(client, auth, cedar):
    tablet = cedar_tablet(client.application, cedar)
    station = db.session.scalar(select(CheckInStation))
    auth.login(cedar["teacher"])
    response = client.get(f"/checkins/stations/{station.id}/stream", headers={"Accept": "text/event-stream"},
                          buffered=False)
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    chunks = (chunk.decode() for chunk in response.response)
    assert next(chunks).startswith(": open")
    first = next(chunks)
    assert first.startswith("event: checkins") and "No check-ins yet." in first
    tablet.post("/station/checkins", data={"pupil_id": cedar["ben"].id, "value": "2"})
    update = next(chunks)
    assert update.startswith("event: checkins") and "Ben Okafor" in update and "Check in later" in update
    response.close()
    assert broker().subscriber_count(f"station:{station.id}") == 0


def test_the_list_the_tablet_sends_out_keeps_the_schools_clock(client, auth, cedar):
    """The tablet has nobody signed in, yet the list it broadcasts shows the school's times."""
    cedar["school"].timezone = "Asia/Dubai"
    db.session.commit()
    tablet = cedar_tablet(client.application, cedar)
    station = db.session.scalar(select(CheckInStation))
    watching = broker().subscribe(f"station:{station.id}")
    tablet.post("/station/checkins", data={"pupil_id": cedar["ben"].id, "value": "2"})
    sent = watching.get(timeout=1).data
    watching.close()
    dubai = cedar["school"].zone
    closes = as_utc(station.closes_at).astimezone(dubai).strftime("%H:%M")
    checked_in = as_utc(db.session.scalar(select(CheckIn)).created_at).astimezone(dubai).strftime("%H:%M")
    assert f"Open until {closes}" in sent and f"<time>{checked_in}</time>" in sent


def cedar_tablet(app, cedar):
    """A second device: the tablet, put into station mode by the teacher."""
    tablet = app.test_client()
    tablet.post("/sign-in", data={"email": cedar["teacher"].email, "password": PASSWORD})
    tablet.post(f"/checkins/groups/{cedar['group'].id}/station", data={"minutes": "30"})
    return tablet


def test_ending_the_station_closes_the_tablet_and_tells_the_watchers(client, auth, cedar):
    tablet = cedar_tablet(client.application, cedar)
    station = db.session.scalar(select(CheckInStation))
    watching = broker().subscribe(f"station:{station.id}")
    auth.login(cedar["assistant"])
    response = client.post(f"/checkins/stations/{station.id}/end", data={"asked": "yes"})  # said yes on the page
    assert response.status_code == 302
    assert "Station closed" in watching.get(timeout=1).data
    watching.close()
    assert tablet.get("/station").status_code == 410


def test_a_teacher_of_another_group_cannot_end_the_station(client, auth, cedar, station):
    auth.login(cedar["other_teacher"])
    assert client.post(f"/checkins/stations/{station.id}/end").status_code == 404
    assert station.is_open()


@pytest.mark.parametrize("who,status", [("teacher", 302), ("assistant", 403)])
def test_only_the_opener_makes_their_device_the_station_again(client, auth, cedar, station, who, status):
    auth.login(cedar[who])
    response = client.post(f"/checkins/stations/{station.id}/device", data={"asked": "yes"})
    assert response.status_code == status
    assert (client.get("/station").status_code == 200) == (status == 302)


def station_opened_with_csrf_on(app, cedar):
    """A tablet on which Cedar's teacher signed in and opened the station, every form with its token."""
    app.config["WTF_CSRF_ENABLED"] = True
    tablet = app.test_client()
    sign_in = tablet.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', sign_in).group(1)
    tablet.post("/sign-in", data={"email": cedar["teacher"].email, "password": PASSWORD, "csrf_token": token})
    page = tablet.get(f"/checkins/groups/{cedar['group'].id}/station").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    opened = tablet.post(f"/checkins/groups/{cedar['group'].id}/station", data={"minutes": "30", "csrf_token": token})
    assert opened.status_code == 302
    return tablet


def test_with_csrf_on_the_station_needs_the_token_from_its_page(app, cedar):
    tablet = station_opened_with_csrf_on(app, cedar)
    pick = tablet.get(f"/station/pupils/{cedar['amira'].id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', pick).group(1)
    assert tablet.post("/station/checkins", data={"pupil_id": cedar["amira"].id, "value": "4"}).status_code == 400
    assert tablet.post("/station/checkins", headers={"X-CSRFToken": token, **HTMX},
                       data={"pupil_id": cedar["amira"].id, "value": "4"}).status_code == 200
    assert db.session.scalar(select(CheckIn)).value == 4


def test_two_pupils_with_the_same_short_name_are_told_apart_at_the_station(client, auth, cedar):
    chen, clarke = make_pupil(cedar["school"], "Maya", "Chen"), make_pupil(cedar["school"], "Maya", "Clarke")
    cedar["group"].pupils += [chen, clarke]
    db.session.commit()
    start_station_on(client, auth, cedar)
    names = client.get("/station").get_data(as_text=True)
    assert "Maya Ch." in names and "Maya Cl." in names and "Maya C.<" not in names
    picked = client.get(f"/station/pupils/{clarke.id}").get_data(as_text=True)
    assert "Maya Cl." in picked


def test_a_tap_sent_again_after_a_lost_answer_is_one_check_in(client, auth, cedar):
    """Poor Wi-Fi: the answer to Ben's tap is lost, htmx says "try again", Ben taps again."""
    start_station_on(client, auth, cedar)
    pick = client.get(f"/station/pupils/{cedar['ben'].id}", headers=HTMX).get_data(as_text=True)
    tap_id = re.search(r'name="client_uuid" value="([0-9a-f-]{36})"', pick).group(1)
    again = client.get(f"/station/pupils/{cedar['ben'].id}", headers=HTMX).get_data(as_text=True)
    assert tap_id not in again  # each time a pupil's screen opens, a new check-in
    tap = {"pupil_id": cedar["ben"].id, "value": "2", "client_uuid": tap_id}
    assert client.post("/station/checkins", headers=HTMX, data=tap).status_code == 200
    assert client.post("/station/checkins", headers=HTMX, data=tap).status_code == 200
    assert len(db.session.scalars(select(CheckIn)).all()) == 1


# Check-ins the tablet kept with no signal, sent once it has signal again

def kept(pupil, value=2, word=None, made_at=None, station=None, **extra):
    """One check-in as the tablet's outbox sends it (made now, unless ``made_at``)."""
    made_at = made_at or datetime.now(timezone.utc)
    return {"uuid": str(uuid.uuid4()), "station_id": station.id if station else None, "pupil_id": pupil.id,
            "value": value, "word": word, "made_at": made_at.isoformat(), **extra}


def send_kept(client, checkins, sent_at=None):
    return client.post("/station/kept-checkins", headers={"Accept": "application/json"}, json={
        "sent_at": (sent_at or datetime.now(timezone.utc)).isoformat(), "checkins": checkins})


def test_a_check_in_kept_offline_is_recorded_once_at_the_time_the_pupil_made_it(client, auth, cedar):
    station = start_station_on(client, auth, cedar)
    station.opened_at = as_utc(station.opened_at) - timedelta(minutes=20)
    db.session.commit()
    watching = broker().subscribe(f"station:{station.id}")
    made_at = datetime.now(timezone.utc) - timedelta(minutes=7)
    ben = kept(cedar["ben"], 1, "tired", made_at, station)
    first = send_kept(client, [ben])
    assert first.status_code == 200 and first.json["results"][0]["status"] == "created"
    assert "Ben Okafor" in watching.get(timeout=1).data
    watching.close()
    again = send_kept(client, [ben])  # the first answer was lost: the tablet sends it again
    assert again.status_code == 200 and again.json["results"][0]["status"] == "duplicate"
    checkin = db.session.scalar(select(CheckIn))
    assert len(db.session.scalars(select(CheckIn)).all()) == 1
    assert (checkin.pupil_id, checkin.value, checkin.word, checkin.source, checkin.source_id) == \
        (cedar["ben"].id, 1, "tired", "station", station.id)
    assert abs(as_utc(checkin.created_at) - made_at) < timedelta(seconds=1)
    follow_up = db.session.scalar(select(CheckInFollowUp))  # low: on the opener's list, as online
    assert follow_up.staff_id == cedar["teacher"].id and follow_up.checkin_id == checkin.id


def test_a_tap_that_reached_the_server_before_its_answer_was_lost_is_not_recorded_twice(client, auth, cedar):
    station = start_station_on(client, auth, cedar)
    tap = kept(cedar["amira"], 4, station=station)
    client.post("/station/checkins", headers=HTMX, data={"pupil_id": cedar["amira"].id, "value": "4",
                                                         "client_uuid": tap["uuid"]})
    assert send_kept(client, [tap]).json["results"][0]["status"] == "duplicate"
    assert len(db.session.scalars(select(CheckIn)).all()) == 1


@pytest.mark.parametrize("device_clock,made_ago,filed_ago", [
    (timedelta(0), timedelta(minutes=-30), timedelta(0)),           # "in the future": now
    (timedelta(0), timedelta(minutes=21), None),                    # a minute before it opened (a clock a little out): its opening
    (timedelta(hours=1), timedelta(minutes=-55), timedelta(minutes=5)),  # the tablet's clock an hour fast
    (timedelta(hours=-2), timedelta(hours=2, minutes=10), timedelta(minutes=10)),  # two hours slow
])
def test_the_time_made_is_corrected_for_the_tablets_clock_and_kept_within_the_station(
        client, auth, cedar, device_clock, made_ago, filed_ago):
    station = start_station_on(client, auth, cedar)
    station.opened_at = as_utc(station.opened_at) - timedelta(minutes=20)
    db.session.commit()
    now = datetime.now(timezone.utc)
    answer = send_kept(client, [kept(cedar["ben"], 3, made_at=now - made_ago, station=station)], now + device_clock)
    assert answer.json["results"][0]["status"] == "created"
    filed = as_utc(db.session.scalar(select(CheckIn)).created_at)
    expected = as_utc(station.opened_at) if filed_ago is None else now - filed_ago
    assert abs(filed - expected) < timedelta(seconds=5)


@pytest.mark.parametrize("made_at", [datetime.now(timezone.utc) - timedelta(hours=3),
                                     datetime(1970, 1, 1, tzinfo=timezone.utc)])
def test_a_check_in_the_tablet_says_was_made_before_the_station_opened_is_refused_not_back_dated(
        client, auth, cedar, made_at):
    """A tablet clock far out (or a forged time) is not moved into the station's time: the teacher reads why."""
    station = start_station_on(client, auth, cedar)
    station.opened_at = as_utc(station.opened_at) - timedelta(minutes=20)
    db.session.commit()
    answer = send_kept(client, [kept(cedar["ben"], 1, made_at=made_at, station=station),
                                kept(cedar["amira"], 4, station=station)])
    assert [r["status"] for r in answer.json["results"]] == ["rejected", "created"]
    assert answer.json["results"][0]["reason"] == ("The tablet says it was made before the station opened, so it "
                                                   "cannot be filed. Check the tablet's date and time.")
    assert [c.pupil_id for c in db.session.scalars(select(CheckIn))] == [cedar["amira"].id]


def test_a_check_in_made_just_before_the_time_limit_counts_with_a_clock_a_little_fast(client, auth, cedar):
    """Within CLOCK_TOLERANCE the tablet's clock is not corrected, so its last minute before the time limit
    may read up to two minutes later: it still counts, filed inside the station's time."""
    station = start_station_on(client, auth, cedar)
    now = datetime.now(timezone.utc)
    station.opened_at, station.closes_at = now - timedelta(minutes=40), now - timedelta(minutes=10)
    db.session.commit()
    fast = timedelta(seconds=90)
    answer = send_kept(client, [kept(cedar["ben"], 2, made_at=now - timedelta(minutes=10, seconds=30) + fast,
                                     station=station)], sent_at=now + fast)
    assert answer.json["results"][0]["status"] == "created"
    assert as_utc(db.session.scalar(select(CheckIn)).created_at) < as_utc(station.closes_at)


@pytest.mark.parametrize("how", ["ended", "timed out"])
def test_a_check_in_made_while_the_station_was_open_counts_after_it_closed(client, auth, cedar, how):
    station = start_station_on(client, auth, cedar)
    station.opened_at = as_utc(station.opened_at) - timedelta(minutes=40)
    now = datetime.now(timezone.utc)
    if how == "ended":
        station.closed_at = now - timedelta(minutes=10)
    else:
        station.closes_at = now - timedelta(minutes=10)
    db.session.commit()
    before, after = (kept(cedar["ben"], 4, made_at=now - timedelta(minutes=15), station=station),
                     kept(cedar["amira"], 1, made_at=now - timedelta(minutes=5), station=station))
    answer = send_kept(client, [before, after])
    assert answer.status_code == 200
    assert [r["status"] for r in answer.json["results"]] == ["created", "rejected"]
    assert answer.json["results"][1]["reason"] == "It was made after the station had closed."
    assert [c.pupil_id for c in db.session.scalars(select(CheckIn))] == [cedar["ben"].id]
    assert client.get("/station").status_code == 410  # the tablet itself shows "closed"


def test_a_pupil_no_longer_in_the_group_is_refused_with_the_reason_and_the_rest_still_go(client, auth, cedar):
    station = start_station_on(client, auth, cedar)
    cedar["group"].pupils.remove(cedar["ben"])
    db.session.commit()
    answer = send_kept(client, [kept(cedar["ben"], 1, station=station), kept(cedar["other_pupil"], 3, station=station),
                                kept(cedar["amira"], 9, station=station), kept(cedar["amira"], 5, station=station)])
    results = answer.json["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected", "rejected", "created"]
    assert results[0]["reason"] == "This pupil is no longer in Year 5 Cedar."
    assert results[2]["reason"] == "Choose one of the check-in buttons."
    assert [(c.pupil_id, c.value) for c in db.session.scalars(select(CheckIn))] == [(cedar["amira"].id, 5)]


def test_the_tablet_sends_only_its_own_stations_check_ins(client, auth, cedar):
    start_station_on(client, auth, cedar)
    elsewhere = elsewhere_station()
    other = open_station(cedar["other_teacher"], cedar["other"], 30)
    db.session.commit()
    answer = send_kept(client, [kept(cedar["other_pupil"], station=other),
                                kept(elsewhere.group.pupils[0], station=elsewhere), kept(cedar["ben"])])
    assert [r["status"] for r in answer.json["results"]] == ["deferred", "deferred", "deferred"]
    assert db.session.scalar(select(CheckIn)) is None


def test_a_station_ended_a_week_ago_takes_no_more_check_ins_from_its_tablet(client, auth, cedar):
    """The tablet's station cookie outlives the station: a week after the teacher ended it, the tablet (or
    anyone holding its cookie) files nothing, even back-dated into the station's time; they wait for the
    teacher instead."""
    station = start_station_on(client, auth, cedar)
    week_ago = datetime.now(timezone.utc) - timedelta(days=7)
    station.opened_at, station.closes_at, station.closed_at = week_ago, week_ago + timedelta(minutes=30), \
        week_ago + timedelta(minutes=20)
    db.session.commit()
    assert client.get("/station").status_code == 410  # the tablet shows "closed"
    forged = [kept(cedar["ben"], 1, "sad", made_at=when, station=station)
              for when in (week_ago - timedelta(days=30), week_ago + timedelta(minutes=5))]
    answer = send_kept(client, forged)
    assert [r["status"] for r in answer.json["results"]] == ["deferred", "deferred"]
    assert db.session.scalar(select(CheckIn)) is None


@pytest.mark.parametrize("closed_ago,status", [(timedelta(hours=23), "created"), (timedelta(hours=25), "deferred")])
def test_a_closed_stations_tablet_sends_what_it_kept_for_a_day_then_its_teacher_does(
        client, auth, cedar, closed_ago, status):
    """A tablet left off overnight still sends the morning's check-ins when it next has signal; after
    TABLET_SENDS_FOR they wait for the teacher, who sends them once signed in."""
    station = start_station_on(client, auth, cedar)
    closed = datetime.now(timezone.utc) - closed_ago
    station.opened_at, station.closes_at = closed - timedelta(minutes=30), closed
    db.session.commit()
    ben = kept(cedar["ben"], 4, made_at=closed - timedelta(minutes=10), station=station)
    assert send_kept(client, [ben]).json["results"][0]["status"] == status
    auth.login(cedar["teacher"])  # signing in on the tablet ends station mode there
    assert send_kept(client, [ben]).json["results"][0]["status"] in {"created", "duplicate"}
    assert len(db.session.scalars(select(CheckIn)).all()) == 1


def test_a_closed_stations_tablet_past_its_day_is_told_its_check_ins_wait_for_a_teacher_to_sign_in_on_it(
        client, auth, cedar):
    """The tablet can tell "past its day for sending" (say: a teacher must sign in on it, stop sending) from
    any other wait; its closed screen carries how long it may still send, for it to count down with no signal."""
    station = start_station_on(client, auth, cedar)
    other = open_station(cedar["other_teacher"], cedar["other"], 30)
    db.session.commit()
    page = client.get("/station").get_data(as_text=True)
    seconds = int(re.search(r'data-sends-left="(\d+)"', page).group(1))
    assert (24 * 60 + 29) * 60 < seconds <= (24 * 60 + 30) * 60
    closed = datetime.now(timezone.utc) - timedelta(hours=25)
    station.opened_at, station.closes_at = closed - timedelta(minutes=30), closed
    db.session.commit()
    closed_screen = client.get("/station")
    assert closed_screen.status_code == 410
    assert 'data-sends-left="0"' in closed_screen.get_data(as_text=True)
    answer = send_kept(client, [kept(cedar["ben"], 4, made_at=closed - timedelta(minutes=10), station=station),
                                kept(cedar["other_pupil"], station=other)])
    own, others = answer.json["results"]
    assert own["status"] == "deferred" and own["code"] == "tablet_time_over"
    assert own["reason"] == "It waits for a teacher of Year 5 Cedar to sign in on this tablet."
    assert others["status"] == "deferred" and "code" not in others
    assert db.session.scalar(select(CheckIn)) is None


def test_the_tablet_may_send_until_a_day_after_its_station_closed_or_was_ended(cedar, station):
    opened = as_utc(station.opened_at)
    assert tablet_sends_left(station, opened) == (24 * 60 + 30) * 60
    assert tablet_sends_left(station, opened + timedelta(hours=24, minutes=29)) == 60
    assert tablet_sends_left(station, opened + timedelta(hours=25)) == 0
    station.closed_at = opened + timedelta(minutes=10)  # ended early by the teacher
    assert tablet_sends_left(station, opened + timedelta(hours=24)) == 10 * 60


def test_staff_on_the_tablet_may_read_refused_check_ins_only_of_stations_they_may_end(client, auth, cedar):
    station = open_station(cedar["teacher"], cedar["group"], 30)
    other = open_station(cedar["other_teacher"], cedar["other"], 30)
    elsewhere = elsewhere_station()
    db.session.commit()
    asked = f"/checkins/kept-stations?station={station.id}&station={other.id}&station={elsewhere.id}&station=x"
    for who, readable in [("other_teacher", [other.id]), ("assistant", [station.id]), ("teacher", [station.id])]:
        auth.login(cedar[who])
        answer = client.get(asked)
        assert answer.status_code == 200 and answer.json == {"stations": readable}, who
        assert answer.headers["Cache-Control"] == "no-store"
        auth.logout()
    admin = make_staff(cedar["school"], ("admin",))
    db.session.commit()
    auth.login(admin)
    assert client.get(asked).json == {"stations": sorted([station.id, other.id])}
    auth.logout()
    assert client.get(asked).status_code in {302, 401}


def test_after_leaving_station_mode_the_teacher_sends_what_the_tablet_still_kept(client, auth, cedar):
    station = start_station_on(client, auth, cedar)
    assert client.post("/station/leave", data={"password": PASSWORD}).status_code == 302
    answer = send_kept(client, [kept(cedar["ben"], 4, station=station)])
    assert answer.json["results"][0]["status"] == "created"
    auth.logout()
    auth.login(cedar["other_teacher"])  # not one of the group's staff: it waits for them
    answer = send_kept(client, [kept(cedar["amira"], 4, station=station)])
    assert answer.json["results"][0]["status"] == "deferred"
    assert len(db.session.scalars(select(CheckIn)).all()) == 1


@pytest.mark.parametrize("body", [{"checkins": "lots"}, {"checkins": [{}] * 101}, None])
def test_a_batch_that_is_not_a_list_of_check_ins_is_refused(client, auth, cedar, body):
    start_station_on(client, auth, cedar)
    answer = client.post("/station/kept-checkins", json=body)
    assert answer.status_code == 400 and db.session.scalar(select(CheckIn)) is None


def test_nobody_else_sends_kept_check_ins(client, cedar, station):
    answer = send_kept(client, [kept(cedar["ben"], station=station)])
    assert answer.status_code == 401 and db.session.scalar(select(CheckIn)) is None


def test_with_csrf_on_kept_check_ins_need_the_token_from_the_stations_page(app, cedar):
    tablet = station_opened_with_csrf_on(app, cedar)
    station = db.session.scalar(select(CheckInStation))
    names = tablet.get("/station").get_data(as_text=True)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', names).group(1)
    ben = kept(cedar["ben"], 3, station=station)
    assert send_kept(tablet, [ben]).status_code == 400
    answer = tablet.post("/station/kept-checkins", headers={"X-CSRFToken": token},
                         json={"sent_at": datetime.now(timezone.utc).isoformat(), "checkins": [ben]})
    assert answer.status_code == 200 and answer.json["results"][0]["status"] == "created"


def test_the_stations_page_carries_a_blank_check_in_screen_and_no_ones_answers(client, auth, cedar):
    start_station_on(client, auth, cedar)
    client.post("/station/checkins", data={"pupil_id": cedar["ben"].id, "value": "1", "word": "grumpy"})
    page = client.get("/station").get_data(as_text=True)
    blank = re.search(r'<template id="station-pick">(.*?)</template>', page, re.S).group(1)
    assert 'name="pupil_id" value=""' in blank and 'name="client_uuid" value=""' in blank
    assert "How are you feeling?" in blank and "Not great" in blank
    assert "grumpy" not in page and "Ben O.<" not in blank
    for name in ("Ben", "Amira"):
        assert f'data-first-name="{name}"' in page


def test_the_tablet_counts_down_to_its_time_limit_and_staff_pages_send_what_it_kept(client, auth, cedar):
    station = start_station_on(client, auth, cedar)
    seconds = int(re.search(r'data-seconds-left="(\d+)"', client.get("/station").get_data(as_text=True)).group(1))
    assert 29 * 60 < seconds <= 30 * 60
    assert client.post("/station/leave", data={"password": PASSWORD}).status_code == 302
    for url in ("/checkins", f"/checkins/stations/{station.id}"):
        page = client.get(url).get_data(as_text=True)
        assert 'data-send-url="/station/kept-checkins" data-for-staff' in page, url



def test_the_service_worker_has_what_the_stations_page_needs_to_open_with_no_signal(client, auth, cedar):
    """The tablet keeps the station's page for no signal (static/js/sw-sync.js); its script and styles, by the very
    URLs the page asks for, are in the service worker's precache, so the page kept works with no signal too."""
    start_station_on(client, auth, cedar)
    shell = json.loads(client.get("/sw.js").get_data(as_text=True).split("const SHELL = ")[1].split(";")[0])
    page = client.get("/station").get_data(as_text=True)
    for name in ("js/checkins.js", "css/checkins.css"):
        assert re.search(rf'"(/static/{name}\?v=[^"]+)"', page).group(1) in shell, name


def signs_out_staff(page: str) -> bool:
    """The page carries the mark that forgets the last staff member's pupil list on the device, and the script
    that reads it (static/js/outbox.js)."""
    body = re.search(r"<body[^>]*>", page).group(0)
    return " data-signed-out" in body and "data-staff-id" not in body and '/static/js/outbox.js?v=' in page


def test_the_tablet_in_station_mode_forgets_the_teachers_pupil_list(client, auth, cedar):
    """The teacher's session ended on the tablet when the station opened: the station's screens (open, a pupil's,
    leaving, closed) forget her pupil list, as the sign-in page does. Her own pages, before and after, are hers."""
    auth.login(cedar["teacher"])
    assert not signs_out_staff(client.get("/checkins").get_data(as_text=True))
    station = start_station_on(client, auth, cedar)
    for url in ("/station", f"/station/pupils/{cedar['ben'].id}", "/station/leave"):
        assert signs_out_staff(client.get(url).get_data(as_text=True)), url
    assert client.post("/station/leave", data={"password": PASSWORD}).status_code == 302
    assert not signs_out_staff(client.get(f"/checkins/stations/{station.id}").get_data(as_text=True))
    client.post(f"/checkins/stations/{station.id}/device", data={"asked": "yes"})
    station.closed_at = datetime.now(timezone.utc)
    db.session.commit()
    closed = client.get("/station")
    assert closed.status_code == 410 and signs_out_staff(closed.get_data(as_text=True))
