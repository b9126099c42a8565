"""The school overview: what it counts over a period, for whom, and what it never shows."""
from datetime import date, datetime, timedelta, timezone

import pytest

from rrp_pwa.agreements.rules import make_agreement, review_agreement
from rrp_pwa.conversations.chats import record_quick_chat
from rrp_pwa.conversations.restorative import start_conversation
from rrp_pwa.extensions import db
from rrp_pwa.checkins.rules import mark_follow_up_done, record_checkin, record_staff_checkin
from rrp_pwa.checkins.stations import open_station, record_station_checkin
from rrp_pwa.insights.rules import REPEAT_AT, low_checkins, overview, period_dates
from rrp_pwa.mediation.flow import add_party, no_agreement, record_mediation, start_mediation
from rrp_pwa.models.checkins import CheckIn, CheckInFollowUp
from rrp_pwa.models.circles import Circle
from rrp_pwa.models.roster import School
from tests.conftest import make_group, make_pupil, make_school, make_staff

TODAY = date(2026, 11, 27)  # a Friday


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=timezone.utc)


@pytest.fixture
def school(app):
    school = make_school()
    db.session.commit()
    return school


def chat(school, staff, pupils, day, what="Unkind words", where="Playground"):
    """A quick chat at noon on ``day`` (just now, if ``day`` is the school's today)."""
    record_quick_chat(school.id, staff, pupils, what, where, happened_at=None if day == school.today() else at(day))


def test_periods_end_today_and_the_school_year_starts_in_september():
    assert period_dates("week", TODAY) == (date(2026, 11, 23), TODAY)
    assert period_dates("4w", TODAY) == (TODAY - timedelta(days=27), TODAY)
    assert period_dates("12w", TODAY) == (TODAY - timedelta(days=83), TODAY)
    assert period_dates("year", TODAY) == (date(2026, 9, 1), TODAY)
    assert period_dates("year", date(2027, 3, 1)) == (date(2026, 9, 1), date(2027, 3, 1))
    with pytest.raises(KeyError):
        period_dates("forever", TODAY)


def test_overview_counts_the_period_in_this_school_only(school):
    today = school.today()
    other = make_school("Hill Academy")
    staff, elsewhere = make_staff(school, ("support",)), make_staff(other, ("support",))
    amira, ben = make_pupil(school), make_pupil(school, "Ben", "Jones")
    stranger = make_pupil(other, "Cal", "Price")
    in_period, before = today - timedelta(days=3), today - timedelta(days=40)
    chat(school, staff, [amira, ben], in_period)
    chat(school, staff, [amira], in_period, what="Left out", where="Field")
    chat(school, staff, [ben], in_period, where="Field")
    chat(school, staff, [amira], before)  # outside the period
    chat(other, elsewhere, [stranger], in_period)  # another school
    conversation = start_conversation(school.id, staff, "conversation", [(amira, "harmed"), (ben, "caused_harm")])
    conversation.happened_at = at(in_period)
    conference = start_conversation(school.id, staff, "conference", [(ben, "caused_harm")])
    conference.happened_at = at(before)
    mediator = make_pupil(school, "Mo", "Mediator", peer_mediator=True)
    ended, unfinished = start_mediation(school.id, [mediator]), start_mediation(school.id, [mediator])
    db.session.add_all([ended, unfinished])
    add_party(ended, amira)
    no_agreement(ended)
    add_party(unfinished, amira)  # never finished: not on her record, so not one of her mediations here either
    db.session.add(Circle(school_id=school.id, keeper_id=staff.id, join_expires_at=at(today), created_at=at(in_period)))
    db.session.add_all([CheckIn(school_id=school.id, pupil_id=amira.id, scale="numbers", value=1, low=True,
                                source="staff", created_at=at(in_period)),
                        CheckIn(school_id=school.id, pupil_id=ben.id, scale="numbers", value=4, low=False,
                                source="staff", created_at=at(in_period)),
                        CheckIn(school_id=other.id, pupil_id=stranger.id, scale="numbers", value=1, low=True,
                                source="staff", created_at=at(in_period))])
    agreement = make_agreement(school.id, "conversation", conversation.id, "Play fairly", pupils=[amira],
                               created_by=staff, review_on=today - timedelta(days=1), today=before)
    db.session.add(agreement)
    db.session.flush()
    review_agreement(agreement, "not_kept", None, staff, today=in_period).reviewed_at = at(in_period)
    db.session.commit()
    for mediation in (ended, unfinished):
        mediation.started_at = at(in_period)
    db.session.commit()

    data = overview(school, *period_dates("4w", today), today=today)
    assert (data.chats, data.conversations, data.conferences) == (3, 1, 0)
    assert data.chats_what == [("Unkind words", 2), ("Left out", 1)]
    assert data.chats_where == [("Field", 2), ("Playground", 1)]
    assert dict(data.mediations) == {"no_agreement": 1, "": 1} and data.mediation_total == 2
    assert (data.circles, data.checkins, data.low_checkins) == (1, 2, 1)
    assert dict(data.reviews) == {"not_kept": 1} and data.follow_ups_needed == 1
    # Amira: 2 chats, 1 conversation, 1 mediation; Ben: 2 chats, 1 conversation
    assert [(c.pupil.given_name, c.chats, c.conversations, c.mediations) for c in data.coming_back] == \
        [("Amira", 2, 1, 1), ("Ben", 2, 1, 0)]
    assert REPEAT_AT == 3

    year = overview(school, today - timedelta(days=60), today, today=today)
    assert (year.chats, year.conferences) == (4, 1)


@pytest.mark.parametrize("roles, status", [(("support",), 403), (("teacher",), 403), (("pastoral",), 200),
                                           (("dsl",), 200), (("admin",), 200)])
def test_only_whole_school_readers_open_the_overview(client, auth, school, roles, status):
    auth.login(roles=roles, school=school)
    assert client.get("/overview").status_code == status
    home = client.get("/").get_data(as_text=True)
    assert ("School overview" in home) == (status == 200)


def test_signed_out_people_are_sent_to_sign_in(client, school):
    response = client.get("/overview")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_the_page_names_pupils_who_keep_coming_back_and_escapes_them(client, auth, school):
    staff = auth.login(roles=("pastoral",), school=school)
    amira = make_pupil(school, "<b>Amira</b>", "Khan", year_group="Year 4")
    once = make_pupil(school, "Ben", "Jones")
    for _ in range(REPEAT_AT):
        chat(school, staff, [amira], school.today())
    chat(school, staff, [once], school.today(), where="Field")
    db.session.commit()
    page = " ".join(client.get("/overview").get_data(as_text=True).split())  # as a browser shows it
    assert "&lt;b&gt;Amira&lt;/b&gt;" in page and "<b>Amira" not in page
    assert f"/pupils/{amira.id}" in page and f"/pupils/{once.id}" not in page
    assert "3 records: 3 quick chats, 0 conversations, 0 mediations · Year 4" in page
    assert "Last 4 weeks" in page and 'aria-current="page"' in page
    assert "safeguarding concerns are not counted here" in page


def test_what_happened_and_where_add_up_to_the_quick_chats(client, auth, school):
    """QA: only the five commonest chips were listed, so the demo school's 20 quick chats showed as 19 (its one
    "Left out" was nowhere): what is not listed is counted as everything else."""
    staff = auth.login(roles=("pastoral",), school=school)
    amira = make_pupil(school)
    for what in ("Unkind words", "Unkind words", "Left out", "Physical", "Upset", "Game dispute", "Falling out"):
        chat(school, staff, [amira], school.today(), what=what)
    db.session.commit()
    data = overview(school, *period_dates("4w", school.today()))
    assert data.chats == 7 and sum(n for _, n in data.chats_what) + data.chats_what_rest == 7
    assert data.chats_what_rest == 1 and data.chats_where_rest == 0
    page = " ".join(client.get("/overview").get_data(as_text=True).split())
    assert '<li class="row"><span>Everything else</span><strong>1</strong></li>' in page
    assert page.count("Everything else") == 1  # every chat was in the Playground: nothing else to count there


@pytest.mark.parametrize("roles, linked", [(("pastoral",), True), (("admin",), True), (("dsl",), False)])
def test_the_overview_counts_peer_mediations_with_no_agreement_still_to_follow_up(client, auth, school, roles, linked):
    """The lead's new list (reviewed, no agreement, not followed up) is counted where the agreements' follow-ups
    are; only those who may open the mediation lead's page get a link to it."""
    lead = auth.login(roles=roles, school=school)
    mediator, amira, ben = (make_pupil(school, "Mo", "Mediator", peer_mediator=True), make_pupil(school),
                            make_pupil(school, "Ben", "Jones"))
    waiting, followed, unreviewed = (record_mediation(school.id, [mediator], [amira, ben], agreements={},
                                                      outcome="no_agreement") for _ in range(3))
    for mediation in (waiting, followed):
        mediation.reviewed_at, mediation.reviewed_by_id = mediation.completed_at, lead.id
    followed.followed_up_at, followed.followed_up_by_id = followed.completed_at, lead.id
    db.session.commit()
    assert overview(school, *period_dates("4w", school.today())).mediation_follow_ups == 1
    page = " ".join(client.get("/overview").get_data(as_text=True).split())
    link = ('<a href="/mediation#follow-up-heading">Peer mediation, no agreement: follow-up needed</a>'
            '<strong>1</strong>')
    plain = "<span>Peer mediation, no agreement: follow-up needed</span><strong>1</strong>"
    assert (link in page, plain in page) == (linked, not linked)


def test_an_unknown_period_shows_the_last_four_weeks_and_an_empty_school_says_so(client, auth, school):
    auth.login(roles=("pastoral",), school=school)
    page = client.get("/overview?period=<script>").get_data(as_text=True)
    first, last = period_dates("4w", school.today())
    assert f"Last 4 weeks: {first:%-d %b %Y} to {last:%-d %b %Y}" in page
    assert "Nothing recorded in this period." in page and "No pupil was in 3 or more records" in page
    page = client.get("/overview?period=year").get_data(as_text=True)
    assert f"This school year: {period_dates('year', school.today())[0]:%-d %b %Y}" in page


def test_the_overview_reads_only_the_signed_in_persons_school(client, auth, school):
    other = make_school("Hill Academy")
    outsider = make_staff(other, ("support",))
    pupil = make_pupil(other, "Cal", "Price")
    for _ in range(REPEAT_AT):
        chat(other, outsider, [pupil], other.today())
    db.session.commit()
    auth.login(roles=("pastoral",), school=school)
    page = client.get("/overview").get_data(as_text=True)
    assert "Cal" not in page and "Nothing recorded in this period." in page


@pytest.fixture
def low_week(school):
    """Brook's week of check-ins: Amira "Awful" at Year 5 Cedar's station (Ms Keeper's follow-up, not done),
    Ben "Not great" in Ms Keeper's circle (done), Cal "Good" with Mr Reid (not low), Dee "Awful" with Mr
    Reid 40 days ago; and Hill Academy's Eve "Awful", another school."""
    keeper = make_staff(school, ("teacher",), email="keeper@brook.example", name="Ms Keeper")
    reid = make_staff(school, ("support",), email="reid@brook.example", name="Mr Reid")
    amira, ben = make_pupil(school, "Amira", "Khan", year_group="Year 5"), make_pupil(school, "Ben", "Jones")
    cal, dee = make_pupil(school, "Cal", "Price"), make_pupil(school, "Dee", "Hart")
    group = make_group(school, pupils=[amira, ben], staff=[keeper])
    circle = Circle(school_id=school.id, keeper_id=keeper.id, group_id=group.id, join_expires_at=at(TODAY))
    db.session.add(circle)
    db.session.flush()
    station = open_station(keeper, group, 30)
    db.session.flush()
    record_station_checkin(station, amira.id, 1, "tired")
    in_circle = record_checkin(school.id, "faces", 2, "circle", pupil=ben, source_id=circle.id, follow_up_staff=keeper)
    record_staff_checkin(reid, cal, 4, None)
    record_staff_checkin(reid, dee, 1, None).created_at = datetime.now(timezone.utc) - timedelta(days=40)
    other = make_school("Hill Academy")
    record_staff_checkin(make_staff(other, ("support",), email="s@hill.example"), make_pupil(other, "Eve", "Stone"), 1,
                         None)
    db.session.flush()
    mark_follow_up_done(db.session.scalar(db.select(CheckInFollowUp).where(CheckInFollowUp.checkin_id == in_circle.id)),
                        keeper)
    db.session.commit()
    return {"amira": amira, "ben": ben, "dee": dee, "keeper": keeper}


def test_the_low_check_ins_behind_the_count_say_who_where_and_whose_follow_up(school, low_week):
    lead = make_staff(school, ("pastoral",), email="lead@brook.example")
    low = low_checkins(lead, *period_dates("4w", school.today()))
    assert [(item.checkin.pupil.given_name, item.where, item.follow_up.staff.name, item.follow_up.done_at is None)
            for item in low] == [("Ben", "In a circle, Year 5 Cedar kept by Ms Keeper", "Ms Keeper", False),
                                 ("Amira", "At the check-in station, Year 5 Cedar", "Ms Keeper", True)]
    assert [item.checkin.pupil.given_name for item in low_checkins(lead, *period_dates("year", school.today()))] \
        == ["Ben", "Amira", "Dee"]
    assert low_checkins(low_week["keeper"], *period_dates("4w", school.today())) == []


@pytest.mark.parametrize("roles, status", [(("support",), 403), (("teacher",), 403), (("pastoral",), 200),
                                           (("dsl",), 200), (("admin",), 200)])
def test_only_whole_school_readers_see_the_low_check_ins(client, auth, school, low_week, roles, status):
    auth.login(roles=roles, school=school)
    response = client.get("/overview/low-checkins")
    assert response.status_code == status
    assert ("Amira Khan" in response.get_data(as_text=True)) == (status == 200)


def test_the_count_on_the_overview_leads_to_the_pupils_and_their_records(client, auth, school, low_week):
    auth.login(roles=("pastoral",), school=school)
    overview_page = client.get("/overview?period=week").get_data(as_text=True)
    assert '<dt><a href="/overview/low-checkins?period=week">Low check-ins</a></dt><dd>2</dd>' in overview_page
    page = " ".join(client.get("/overview/low-checkins?period=week").get_data(as_text=True).split())
    assert "2 low check-ins" in page
    amira, ben = low_week["amira"], low_week["ben"]
    assert f'<a href="/pupils/{amira.id}">Amira Khan</a>' in page and f'<a href="/pupils/{ben.id}">Ben Jones</a>' in page
    assert "😢 Awful" in page and "At the check-in station, Year 5 Cedar · Year 5" in page
    assert "<strong>Follow-up by Ms Keeper: not done yet</strong>" in page
    assert "Follow-up by Ms Keeper: done" in page
    assert "Dee" not in page and "Eve" not in page and "Cal Price" not in page
    assert "tired" not in page, "the pupil's word stays on their record"
    assert page.index("Ben Jones") < page.index("Amira Khan"), "newest first"
    assert "Dee Hart" in client.get("/overview/low-checkins?period=year").get_data(as_text=True)
    assert client.get(f"/pupils/{amira.id}").status_code == 200


def test_the_low_check_ins_of_another_school_are_not_listed(client, auth, school, low_week):
    hill = db.session.scalar(db.select(School).where(School.name == "Hill Academy"))
    auth.login(roles=("pastoral",), school=hill)
    page = client.get("/overview/low-checkins").get_data(as_text=True)
    assert "Eve Stone" in page and "Amira" not in page and "Ben" not in page and "Ms Keeper" not in page


def test_a_name_with_no_pupil_record_is_listed_escaped_and_unlinked(client, auth, school):
    lead = auth.login(roles=("dsl",), school=school)
    record_checkin(school.id, "faces", 1, "circle", name="<i>Visitor</i>", follow_up_staff=lead)
    db.session.commit()
    page = client.get("/overview/low-checkins").get_data(as_text=True)
    assert "<strong>&lt;i&gt;Visitor&lt;/i&gt;</strong>" in page and "In a circle" in page


def test_the_pastoral_lead_reaches_the_list_from_home_and_from_their_own_follow_ups(client, auth, school):
    auth.login(roles=("pastoral",), school=school)
    assert "/overview/low-checkins" in client.get("/").get_data(as_text=True)
    assert "Low check-ins across the school" in client.get("/checkins/follow-ups").get_data(as_text=True)
    auth.logout()
    auth.login(roles=("teacher",), school=school)
    assert "/overview/low-checkins" not in client.get("/").get_data(as_text=True)
    assert "Low check-ins across the school" not in client.get("/checkins/follow-ups").get_data(as_text=True)
