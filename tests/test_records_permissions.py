"""Who reads which restorative record: every role against every record page and the pupil timeline.

Admin, pastoral and DSL read everything of their school; a teacher reads records about pupils in
their groups; support staff read what they logged; only the DSL reads concerns.
"""
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from rrp_pwa.agreements.rules import make_agreement, record_follow_up, review_agreement
from rrp_pwa.checkins.rules import record_staff_checkin
from rrp_pwa.checkins.stations import open_station, record_station_checkin
from rrp_pwa.checkins.timeline import checkin_entries
from rrp_pwa.circles import talking_piece as piece
from rrp_pwa.circles.activities import add_agreement, check_in, close_circle
from rrp_pwa.circles.joining import open_circle
from rrp_pwa.circles.timeline import circle_entries
from rrp_pwa.conversations.chats import record_quick_chat
from rrp_pwa.conversations.restorative import finish, start_conversation
from rrp_pwa.extensions import db
from rrp_pwa.models.circles import Seat
from rrp_pwa.models.roster import Pupil, Staff
from rrp_pwa.records.timeline import timeline_for
from rrp_pwa.safeguarding.concerns import raise_concern
from tests.conftest import PASSWORD, make_group, make_pupil, make_school

_HASHED = {}


def make_staff(school, roles, name="Sam Staff") -> Staff:
    """A member of staff with a password hashed once per run: this matrix signs in hundreds of times."""
    if "hash" not in _HASHED:
        probe = Staff()
        probe.set_password(PASSWORD)
        _HASHED["hash"] = probe.password_hash
    email = f"{'-'.join(roles)}.{db.session.query(Staff).count() + 1}@{school.slug}.example"
    staff = Staff(school_id=school.id, email=email, name=name, password_hash=_HASHED["hash"], active=True,
                  session_epoch=0)
    staff.set_roles(roles)
    db.session.add(staff)
    db.session.flush()
    return staff

VIEWERS = ("admin", "pastoral", "dsl", "teacher_of_group", "teacher_other", "support_author",
           "support_in_group", "support_other")
READS_ALL = {"admin", "pastoral", "dsl", "teacher_of_group"}
OPENS_PUPIL_PAGE = READS_ALL | {"support_in_group"}


@pytest.fixture
def world(app):
    """One pupil with a chat, a conversation, a conference, agreements, a review and a concern."""
    school = make_school()
    people = {"admin": make_staff(school, ("admin",)), "pastoral": make_staff(school, ("pastoral",), name="Pat Lead"),
              "dsl": make_staff(school, ("dsl",)), "teacher_of_group": make_staff(school, ("teacher",)),
              "teacher_other": make_staff(school, ("teacher",)), "support_author": make_staff(school, ("support",)),
              "support_in_group": make_staff(school, ("support",)), "support_other": make_staff(school, ("support",))}
    amira = make_pupil(school)
    make_group(school, pupils=[amira], staff=[people["teacher_of_group"], people["support_in_group"]])
    chat = record_quick_chat(school.id, people["support_author"], [amira], "Left out", "Field")
    talk = start_conversation(school.id, people["pastoral"], "conversation", [(amira, "harmed")])
    conference = start_conversation(school.id, people["pastoral"], "conference", [(amira, "harmed")],
                                    adults=[("Mr Khan", "parent_carer")])
    db.session.flush()
    agreement = finish(talk, people["pastoral"], "Amira will tell an adult", [talk.participants[0].id],
                       review_on=date.today() + timedelta(days=3))
    finish(conference, people["pastoral"], "Weekly check-in with Mr Khan", [conference.participants[1].id],
           review_meeting_on=date.today() + timedelta(days=3))
    db.session.flush()
    review_agreement(agreement, "partly_kept", "Mostly", people["pastoral"], review_again_on=date.today() + timedelta(days=14))
    concern = raise_concern(school.id, "Bruise on arm", "chat", pupil=amira, raised_by_staff=people["support_author"])
    db.session.add(concern)
    db.session.commit()
    urls = {"chat": f"/chats/{chat.id}", "conversation": f"/conversations/{talk.id}",
            "conference": f"/conversations/{conference.id}", "agreement": f"/agreements/{agreement.id}",
            "concern": f"/safeguarding/concerns/{concern.id}", "pupil": f"/pupils/{amira.id}"}
    return people, urls


def expected(viewer: str, record: str) -> int:
    if record == "concern":
        return 200 if viewer == "dsl" else 403
    if record == "pupil":
        return 200 if viewer in OPENS_PUPIL_PAGE else 404
    if record == "chat" and viewer == "support_author":
        return 200
    return 200 if viewer in READS_ALL else 404


@pytest.mark.parametrize("record", ["chat", "conversation", "conference", "agreement", "concern", "pupil"])
@pytest.mark.parametrize("viewer", VIEWERS)
def test_every_role_against_every_record_page(client, auth, world, viewer, record):
    people, urls = world
    auth.login(staff=people[viewer])
    response = client.get(urls[record])
    assert response.status_code == expected(viewer, record)
    if response.status_code != 200:
        page = response.get_data(as_text=True)
        assert "Bruise on arm" not in page and "Amira will tell an adult" not in page


@pytest.mark.parametrize("viewer", sorted(OPENS_PUPIL_PAGE))
def test_every_role_against_the_pupil_timeline(client, auth, world, viewer):
    people, urls = world
    auth.login(staff=people[viewer])
    timeline = client.get(urls["pupil"]).get_data(as_text=True)
    reads_all = viewer in READS_ALL
    assert ("Quick chat: Left out, Field" in timeline) is reads_all
    assert ("Restorative conversation" in timeline) is reads_all
    assert ("Conference" in timeline) is reads_all
    assert ("Agreement: Amira will tell an adult" in timeline) is reads_all
    assert ("Agreement review: Partly kept" in timeline) is reads_all
    assert ("Safeguarding concern raised" in timeline) is (viewer == "dsl")
    assert "Bruise on arm" not in timeline


def test_support_staff_see_what_they_logged_on_the_timeline(client, auth, world):
    people, urls = world
    assistant = people["support_in_group"]
    amira_id = int(urls["pupil"].rsplit("/", 1)[1])
    record_quick_chat(assistant.school_id, assistant, [db.session.get(Pupil, amira_id)], "Physical", "Dining hall")
    db.session.commit()
    auth.login(staff=assistant)
    timeline = client.get(urls["pupil"]).get_data(as_text=True)
    assert "Quick chat: Physical, Dining hall" in timeline and "Left out, Field" not in timeline


@pytest.mark.parametrize("viewer", VIEWERS)
def test_pupil_page_buttons(client, auth, world, viewer):
    people, urls = world
    if viewer not in OPENS_PUPIL_PAGE:
        return
    auth.login(staff=people[viewer])
    page = client.get(urls["pupil"]).get_data(as_text=True)
    assert "Log a chat" in page and "Raise a concern" in page
    assert ("Start a conversation" in page) is (not viewer.startswith("support"))


def test_another_school_reads_nothing(client, auth, world):
    _, urls = world
    other = make_school("Hill High")
    for roles in (("admin",), ("dsl",), ("pastoral",)):
        auth.login(staff=make_staff(other, roles))
        for record in ("chat", "conversation", "conference", "agreement", "concern", "pupil"):
            refused = 403 if record == "concern" and roles != ("dsl",) else 404
            assert client.get(urls[record]).status_code == refused, (roles, record)
        auth.logout()


@pytest.mark.parametrize("headers", [{"HX-Request": "true"}, {"Accept": "application/json"}])
def test_anonymous_machine_requests_get_a_status_not_a_page(client, world, headers):
    _, urls = world
    for record in ("chat", "conversation", "agreement", "concern"):
        assert client.get(urls[record], headers=headers).status_code == 401
    assert client.get("/pick-pupils?q=am", headers=headers).status_code == 401
    assert client.get(urls["chat"]).status_code == 302


def test_circle_agreements_are_listed_once_and_their_reviews_here(client, auth, world):
    people, urls = world
    amira = db.session.get(Pupil, int(urls["pupil"].rsplit("/", 1)[1]))
    circle_agreement = make_agreement(amira.school_id, "circle", 99, "Take turns with the ball", pupils=[amira],
                                      created_by=people["teacher_of_group"], review_on=date.today())
    db.session.add(circle_agreement)
    db.session.flush()
    review_agreement(circle_agreement, "kept", None, people["teacher_of_group"])
    db.session.commit()
    auth.login(staff=people["pastoral"])
    timeline = client.get(urls["pupil"]).get_data(as_text=True)
    assert "Agreement: Take turns with the ball" not in timeline
    assert timeline.count("Agreement review: Kept") == 1


def test_timeline_times_are_on_the_schools_clock(client, auth, world):
    """A lunchtime chat on a summer day (British Summer Time, stored in UTC) reads 12:20 on the record,
    as it did on the chat itself - not 11:20, an hour before lunch."""
    people, urls = world
    amira = db.session.get(Pupil, int(urls["pupil"].rsplit("/", 1)[1]))
    chat = record_quick_chat(amira.school_id, people["support_author"], [amira], "Physical", "Dining hall",
                             happened_at=datetime(2026, 6, 15, 11, 20, tzinfo=timezone.utc))
    db.session.commit()
    auth.login(staff=people["pastoral"])
    timeline = client.get(urls["pupil"]).get_data(as_text=True)
    assert "15 Jun 2026, 12:20" in timeline and "2026, 11:20" not in timeline
    assert "15 Jun 2026, 12:20" in client.get(f"/chats/{chat.id}").get_data(as_text=True)


def test_a_reviewed_agreement_on_the_timeline_is_no_longer_waiting_for_its_review(client, auth, world):
    """Once kept or not kept, the record does not still say 'Review on' the day that has come and gone:
    it says how it ended. One partly kept says when it is reviewed again."""
    people, urls = world
    amira = db.session.get(Pupil, int(urls["pupil"].rsplit("/", 1)[1]))
    first_review = date.today() + timedelta(days=5)
    agreement = make_agreement(amira.school_id, "chat", None, "Amira will play fairly", pupils=[amira],
                               created_by=people["pastoral"], review_on=first_review)
    db.session.add(agreement)
    db.session.flush()
    review_agreement(agreement, "not_kept", None, people["pastoral"])
    db.session.commit()
    auth.login(staff=people["pastoral"])
    timeline = client.get(urls["pupil"]).get_data(as_text=True)
    entry = timeline.split("Agreement: Amira will play fairly", 1)[1].split("</li>", 1)[0]
    assert f"Review on {first_review:%-d %b %Y}" not in entry and "Not kept" in entry
    again = date.today() + timedelta(days=14)
    entry = timeline.split("Agreement: Amira will tell an adult", 1)[1].split("</li>", 1)[0]
    assert f"Partly kept · review again on {again:%-d %b %Y}" in entry


def test_an_agreement_not_kept_on_the_timeline_says_whether_it_has_been_followed_up(client, auth, world):
    """QA: the record said only "Not kept", before and after the pastoral lead recorded the follow-up (a call
    home), so the pupil's record could not answer the follow-up list's question; the agreement's page could."""
    people, urls = world
    amira = db.session.get(Pupil, int(urls["pupil"].rsplit("/", 1)[1]))
    agreement = make_agreement(amira.school_id, "chat", None, "Amira will play fairly", pupils=[amira],
                               created_by=people["pastoral"], review_on=date.today() + timedelta(days=5))
    db.session.add(agreement)
    db.session.flush()
    review_agreement(agreement, "not_kept", None, people["pastoral"])
    db.session.commit()
    auth.login(staff=people["pastoral"])

    def entry() -> str:
        timeline = client.get(urls["pupil"]).get_data(as_text=True)
        return timeline.split("Agreement: Amira will play fairly", 1)[1].split("</li>", 1)[0]

    assert "Not kept · follow-up needed" in entry()
    record_follow_up(agreement, people["pastoral"])
    db.session.commit()
    today = people["pastoral"].school.today()
    assert f"Not kept · followed up on {today:%-d %b %Y}" in entry() and "follow-up needed" not in entry()


# Circles and check-ins on the record follow the same rule (support staff read what they logged)

KEEPS_RECORDS = ("admin", "pastoral", "dsl", "teacher_of_group", "teacher_other", "support_keeper",
                 "support_in_group", "other_school_admin")
TEACHERS_RECORDS = ("kept by Ms Adebayo", "Check-in in a circle: 😢 Awful",
                    "Circle agreement: We listen to whoever holds the piece", "At the class check-in station",
                    "Recorded by Ms Adebayo")
SUPPORT_KEEPERS_RECORDS = ("kept by Mr Okoro", "Check-in in a circle: 🙂 Good",
                           "Circle agreement: We pass the piece gently", "Recorded by Mr Okoro")


def circle_with_checkin(keeper: Staff, group, pupil: Pupil, value: int, agreed: str) -> None:
    """A closed one-device check-in circle kept by ``keeper`` in which ``pupil`` checked in (with a word,
    which stays in the circle) and a circle agreement was made."""
    circle = open_circle(keeper, "checkin", group, one_device=True)
    piece.start_round(circle, "How are you feeling?", "checkin")
    seat = db.session.scalar(select(Seat).where(Seat.circle_id == circle.id, Seat.pupil_id == pupil.id))
    check_in(circle, seat, value, "wobbly")
    add_agreement(circle, keeper, "value", agreed, [])
    close_circle(circle)


@pytest.fixture
def circles_world(app):
    """Arjun's class: its teacher kept a circle (Arjun checked in "Awful"), opened the check-in station and
    recorded a check-in; one of the class's two midday assistants kept a circle and recorded a check-in."""
    school = make_school()
    people = {"admin": make_staff(school, ("admin",)), "pastoral": make_staff(school, ("pastoral",)),
              "dsl": make_staff(school, ("dsl",)), "teacher_of_group": make_staff(school, ("teacher",), "Ms Adebayo"),
              "teacher_other": make_staff(school, ("teacher",)), "support_keeper": make_staff(school, ("support",), "Mr Okoro"),
              "support_in_group": make_staff(school, ("support",)),
              "other_school_admin": make_staff(make_school("Hill High"), ("admin",))}
    arjun = make_pupil(school, given="Arjun", family="Okafor")
    willow = make_group(school, "Year 1 Willow", pupils=[arjun, make_pupil(school, given="Bea")],
                        staff=[people["teacher_of_group"], people["support_keeper"], people["support_in_group"]])
    make_group(school, "Year 6 Oak", pupils=[make_pupil(school, given="Cal")], staff=[people["teacher_other"]])
    teacher, assistant = people["teacher_of_group"], people["support_keeper"]
    circle_with_checkin(teacher, willow, arjun, 1, "We listen to whoever holds the piece")
    circle_with_checkin(assistant, willow, arjun, 4, "We pass the piece gently")
    station = open_station(teacher, willow, 30)
    db.session.flush()
    record_station_checkin(station, arjun.id, 2, "tired")
    record_staff_checkin(teacher, arjun, 1, None)
    record_staff_checkin(assistant, arjun, 4, None)
    db.session.commit()
    return people, arjun


@pytest.mark.parametrize("viewer", KEEPS_RECORDS)
def test_circles_and_check_ins_on_the_record_by_role(client, auth, circles_world, viewer):
    """The QA report: a midday assistant of the class read the teacher's circle and Arjun's "Awful" on his
    record. Now each role reads what records/access.py allows, and the words pupils gave stay out."""
    people, arjun = circles_world
    auth.login(staff=people[viewer])
    response = client.get(f"/pupils/{arjun.id}")
    page = response.get_data(as_text=True)
    opens = viewer not in ("teacher_other", "other_school_admin")
    assert response.status_code == (200 if opens else 404)
    reads_all = viewer in ("admin", "pastoral", "dsl", "teacher_of_group")
    for shown in TEACHERS_RECORDS:
        assert (shown in page) is reads_all, shown
    for shown in SUPPORT_KEEPERS_RECORDS:
        assert (shown in page) is (reads_all or viewer == "support_keeper"), shown
    assert "wobbly" not in page, "a word given in a circle stays in the circle"
    assert ("Took part in a morning / check-in circle" in page) is (reads_all or viewer == "support_keeper")
    if viewer == "support_keeper":
        assert "Check-in: 🙂 Good" in page
        assert "Check-in: 😢 Awful" not in page and "Check-in: 🙁 Not great" not in page


@pytest.mark.parametrize("viewer", ("teacher_other", "support_in_group", "other_school_admin"))
def test_the_circle_and_check_in_sources_themselves_give_nothing_to_those_who_logged_nothing(circles_world, viewer):
    """Not only the page: a source asked directly (as any other list of the record would) keeps the rule."""
    people, arjun = circles_world
    assert circle_entries(arjun, people[viewer]) == [] and checkin_entries(arjun, people[viewer]) == []
    assert timeline_for(arjun, people[viewer]) == []
