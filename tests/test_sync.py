"""POST /api/v1/sync and GET /api/v1/capture: per-item answers, idempotency by UUID, the pupils a
device may pick offline, and a property test that nothing is lost or doubled."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from rrp_pwa.conversations.restorative import set_questions
from rrp_pwa.extensions import db
from rrp_pwa.models import CheckIn, CheckInFollowUp
from rrp_pwa.models.agreements import Agreement
from rrp_pwa.models.conversations import QuickChat
from rrp_pwa.models.mediation import Mediation
from rrp_pwa.models.sync import FeedEvent, SyncReceipt
from rrp_pwa.sync.ingest import ingest
from tests.conftest import make_group, make_pupil, make_school, make_staff


def checkin_item(pupil_id: int, value: int = 4, item_uuid: str | None = None) -> dict:
    return {"uuid": item_uuid or str(uuid.uuid4()), "kind": "checkin", "made_at": "2026-11-20T12:10:00Z",
            "data": {"pupil_id": pupil_id, "value": value}}


def chat_item(pupil_ids: list[int], item_uuid: str | None = None, **data) -> dict:
    return {"uuid": item_uuid or str(uuid.uuid4()), "kind": "chat", "made_at": "2026-11-20T12:15:00Z",
            "data": {"pupil_ids": pupil_ids, "what": "Unkind words", "where": "Playground", **data}}


@pytest.fixture
def teacher_with_class(app, auth):
    school = make_school()
    teacher = make_staff(school, ("teacher",))
    amira, ben = make_pupil(school, "Amira", "Khan"), make_pupil(school, "Ben", "Osei")
    outsider = make_pupil(school, "Cara", "Lowe")
    make_group(school, pupils=[amira, ben], staff=[teacher])
    db.session.commit()
    auth.login(staff=teacher)
    return teacher, amira, ben, outsider


def post(client, items):
    return client.post("/api/v1/sync", json={"items": items})


def test_good_items_are_created(client, teacher_with_class):
    teacher, amira, ben, _ = teacher_with_class
    items = [checkin_item(amira.id, 2), chat_item([amira.id, ben.id], agreed="Said sorry")]
    response = post(client, items)
    assert response.status_code == 200
    assert [r["status"] for r in response.json["results"]] == ["created", "created"]
    assert [r["uuid"] for r in response.json["results"]] == [i["uuid"] for i in items]
    chat = db.session.scalar(select(QuickChat))
    assert chat.client_uuid == items[1]["uuid"] and chat.staff_id == teacher.id
    assert chat.happened_at.isoformat().startswith("2026-11-20T12:15")
    assert {p.id for p in chat.pupils} == {amira.id, ben.id}
    checkin = db.session.scalar(select(CheckIn))
    assert checkin.low and checkin.source == "staff" and checkin.recorded_by_id == teacher.id


def test_the_same_batch_twice_stores_each_record_once(client, teacher_with_class):
    _, amira, ben, _ = teacher_with_class
    items = [checkin_item(amira.id), chat_item([ben.id])]
    first, second = post(client, items).json["results"], post(client, items).json["results"]
    assert [r["status"] for r in second] == ["duplicate", "duplicate"]
    assert [r["id"] for r in first] == [r["id"] for r in second]
    assert db.session.scalar(select(func.count(CheckIn.id))) == 1
    assert db.session.scalar(select(func.count(QuickChat.id))) == 1
    assert db.session.scalar(select(func.count(FeedEvent.id))) == 2  # one event per record, not per send


def test_invalid_items_are_rejected_with_a_reason_and_the_rest_still_stored(client, teacher_with_class):
    _, amira, _, outsider = teacher_with_class
    # a check-in, as online, only for a pupil of the teacher's groups (a chat may be about anyone: see below)
    items = [checkin_item(amira.id, value=9), checkin_item(outsider.id), {"uuid": "not-a-uuid", "kind": "checkin"},
             {"uuid": str(uuid.uuid4()), "kind": "poem", "data": {}}, chat_item([amira.id], what="Shouting"),
             checkin_item(amira.id, 5)]
    results = post(client, items).json["results"]
    assert [r["status"] for r in results] == ["rejected"] * 5 + ["created"]
    assert results[0]["reason"] == "Choose one of the check-in buttons."
    assert "isn't on your list" in results[1]["reason"]
    assert results[2]["reason"] == "This item has no valid id; make it again."
    assert results[3]["reason"] == "Unknown kind of record."
    assert "isn't one of the school's chips" in results[4]["reason"]
    assert db.session.scalar(select(func.count(CheckIn.id))) == 1
    fixed = dict(items[0], data={"pupil_id": amira.id, "value": 3})
    assert post(client, [fixed]).json["results"][0]["status"] == "created"  # fixed and sent again


def test_another_schools_pupil_is_rejected(client, teacher_with_class):
    other = make_pupil(make_school("Hill Academy"))
    db.session.commit()
    assert post(client, [checkin_item(other.id)]).json["results"][0]["status"] == "rejected"


def test_a_uuid_is_per_school(client, app, teacher_with_class):
    _, amira, _, _ = teacher_with_class
    shared = str(uuid.uuid4())
    other_school = make_school("Hill Academy")
    other_staff = make_staff(other_school, ("pastoral",))  # admins record no check-ins, online or offline
    other_pupil = make_pupil(other_school)
    db.session.commit()
    assert ingest(other_staff, [checkin_item(other_pupil.id, item_uuid=shared)])[0].status == "created"
    db.session.commit()
    assert post(client, [checkin_item(amira.id, item_uuid=shared)]).json["results"][0]["status"] == "created"


def test_malformed_items_are_rejected_not_errors(client, teacher_with_class):
    results = post(client, [{"uuid": str(uuid.uuid4()), "kind": "chat", "data": [1, 2]}, "just text",
                            {"uuid": str(uuid.uuid4()), "kind": "mediation", "data": {"agreements": []}}]).json
    assert [r["status"] for r in results["results"]] == ["rejected"] * 3


def test_bad_batches_are_refused(client, teacher_with_class):
    assert client.post("/api/v1/sync", data="nonsense", content_type="application/json").status_code == 400
    assert post(client, [checkin_item(1)] * 101).status_code == 400


def test_unauthenticated_requests_get_401(client, app):
    assert client.post("/api/v1/sync", json={"items": []}).status_code == 401
    assert client.get("/api/v1/capture").status_code == 401


@pytest.fixture
def app_config(app_config):
    return app_config


def test_csrf_header_is_required(app, auth):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    school = make_school()
    staff = make_staff(school, ("pastoral",))  # admins record no check-ins, online or offline
    pupil = make_pupil(school)
    db.session.commit()
    page = client.get("/sign-in").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    from tests.conftest import PASSWORD
    client.post("/sign-in", data={"email": staff.email, "password": PASSWORD, "csrf_token": token})
    capture = client.get("/capture").get_data(as_text=True)
    header_token = capture.split('"X-CSRFToken": "')[1].split('"')[0]
    assert client.post("/api/v1/sync", json={"items": [checkin_item(pupil.id)]}).status_code == 400
    response = client.post("/api/v1/sync", json={"items": [checkin_item(pupil.id)]},
                           headers={"X-CSRFToken": header_token})
    assert response.status_code == 200 and response.json["results"][0]["status"] == "created"


def test_capture_data_lists_the_pupils_a_chat_may_be_about_and_marks_those_for_a_check_in(client, teacher_with_class):
    """A chat may be about any current pupil of the school (as on Log a chat); a check-in, as online,
    only for a pupil of the teacher's groups. The list carries only the id, the name and those marks."""
    _, amira, ben, outsider = teacher_with_class
    body = client.get("/api/v1/capture").json
    assert body["pupils"] == [{"id": amira.id, "name": "Amira Khan", "mediator": False, "checkin": True},
                              {"id": ben.id, "name": "Ben Osei", "mediator": False, "checkin": True},
                              {"id": outsider.id, "name": "Cara Lowe", "mediator": False, "checkin": False}]
    assert "Playground" in body["chips"]["where"]
    assert [o["value"] for o in body["scale"]["options"]] == [1, 2, 3, 4, 5]
    assert client.get("/api/v1/capture").headers["Cache-Control"] == "no-store"


def test_capture_data_tells_apart_two_pupils_with_the_same_name(client, teacher_with_class):
    """The whole school is on the phone: two Amira Khans must not look the same in the offline pickers."""
    teacher, amira, _, _ = teacher_with_class
    twin = make_pupil(teacher.school, "Amira", "Khan", year_group="Year 2")
    db.session.commit()
    names = {p["id"]: p["name"] for p in client.get("/api/v1/capture").json["pupils"]}
    assert (names[amira.id], names[twin.id]) == ("Amira Khan (Year 5)", "Amira Khan (Year 2)")


@pytest.mark.parametrize("roles", [("teacher",), ("support",), ("admin",), ("pastoral",), ("dsl",)])
def test_every_staff_role_may_open_the_capture_page(client, auth, roles):
    auth.login(roles=roles)
    page = client.get("/capture")
    assert page.status_code == 200
    assert "<span data-outbox-count>Checking this device…</span>" in page.get_data(as_text=True)  # until the JS counts
    # every flow has the one-tap concern; with no signal, the DSL in person
    assert "Raise a concern" in page.get_data(as_text=True) and "tell the Designated Safeguarding Lead in person" in page.get_data(as_text=True)


def test_the_capture_page_carries_the_schools_chat_chips(client, auth):
    """Drawn only by the page's script, the chips pushed the form down as the page loaded (Lighthouse:
    a layout shift of 0.34): they are in the page, as the script draws them, "Nothing yet" chosen."""
    auth.login(roles=("support",))
    page = client.get("/capture").get_data(as_text=True)
    assert '<label class="chip"><input type="radio" name="chat-what" value="Unkind words">Unkind words</label>' in page
    assert '<label class="chip"><input type="radio" name="chat-where" value="Playground">Playground</label>' in page
    assert '<label class="chip"><input type="radio" name="chat-agreed" value="" checked>Nothing yet</label>' in page


def test_a_finished_mediation_can_be_sent(client, auth, app):
    school = make_school()
    admin = make_staff(school, ("admin",))
    m1, m2 = (make_pupil(school, name, "Pupil", peer_mediator=True) for name in ("Mia", "Max"))
    p1, p2 = (make_pupil(school, name, "Pupil") for name in ("Ola", "Sam"))
    db.session.commit()
    auth.login(staff=admin)
    item = {"uuid": str(uuid.uuid4()), "kind": "mediation", "made_at": "2026-11-20T12:20:00Z",
            "data": {"mediator_ids": [m1.id, m2.id], "party_ids": [p1.id, p2.id], "place": "Playground",
                     "agreements": {str(p1.id): "Take turns in goal", str(p2.id): "Take turns in goal"}}}
    assert post(client, [item]).json["results"][0]["status"] == "created"
    assert post(client, [item]).json["results"][0]["status"] == "duplicate"
    assert db.session.scalar(select(func.count(Mediation.id))) == 1


def typed_up_mediation(mediators, parties, **data) -> dict:
    return {"uuid": str(uuid.uuid4()), "kind": "mediation", "made_at": datetime.now(timezone.utc).isoformat(),
            "data": {"mediator_ids": [m.id for m in mediators], "party_ids": [p.id for p in parties],
                     "agreements": {str(p.id): "Take turns in goal" for p in parties}, **data}}


@pytest.fixture
def duty_adult_with_mediators(app, auth):
    school = make_school()
    adult = make_staff(school, ("support",), name="Pat Midday")
    mia = make_pupil(school, "Mia", "Reed", peer_mediator=True)
    amira, ben = make_pupil(school, "Amira", "Khan"), make_pupil(school, "Ben", "Osei")
    db.session.commit()
    auth.login(staff=adult)
    return school, mia, amira, ben


@pytest.mark.parametrize(("weeks", "days"), [(1, 7), (2, 14), (4, 28), (None, 14)], ids=["1", "2", "4", "old-outbox"])
def test_a_typed_up_mediation_is_checked_when_chosen_and_an_older_outbox_item_in_two_weeks(
        client, duty_adult_with_mediators, weeks, days):
    """"When will we check it is working?" on Record offline, as on the mediators' tablet: the agreements
    come up for review that many weeks from the day the record reaches the school (review_in_weeks); an
    item saved by the page before it asked (no review_weeks) gets the mediators' default, two weeks."""
    school, mia, amira, ben = duty_adult_with_mediators
    extra = {} if weeks is None else {"review_weeks": weeks}
    assert post(client, [typed_up_mediation([mia], [amira, ben], **extra)]).json["results"][0]["status"] == "created"
    agreements = db.session.scalars(select(Agreement).where(Agreement.source_kind == "mediation")).all()
    assert [a.review_on for a in agreements] == [school.today() + timedelta(days=days)] * 2


@pytest.mark.parametrize("weeks", [3, 0, "4", True, [4]])
def test_a_typed_up_mediation_with_a_review_that_is_not_offered_is_refused_with_the_reason(
        client, duty_adult_with_mediators, weeks):
    _, mia, amira, ben = duty_adult_with_mediators
    result = post(client, [typed_up_mediation([mia], [amira, ben], review_weeks=weeks)]).json["results"][0]
    assert (result["status"], result["reason"]) == ("rejected", "Choose when you will check it is working.")
    assert db.session.scalar(select(func.count(Mediation.id))) == 0
    assert db.session.scalar(select(func.count(Agreement.id))) == 0


def test_record_offline_asks_when_a_typed_up_mediation_will_be_checked_two_weeks_unless_chosen(client, auth):
    auth.login(roles=("support",))
    page = client.get("/capture").get_data(as_text=True)
    assert "<legend>When will we check it is working?</legend>" in page
    assert ('<label class="chip"><input type="radio" name="mediation-review_weeks" value="1">In 1 week</label>'
            '<label class="chip"><input type="radio" name="mediation-review_weeks" value="2" checked>In 2 weeks</label>'
            '<label class="chip"><input type="radio" name="mediation-review_weeks" value="4">In 4 weeks</label>') in page


def test_record_offline_finds_pupils_by_typing_and_draws_none_at_load(client, teacher_with_class):
    """Six pickers of every pupil the person may see (1,020 options each for the demo's midday assistant)
    were a long task on a phone and no way to find "Amira": each is now a search over the list on the
    device, under the field names the outbox has always sent; the page itself carries no pupil."""
    page = client.get("/capture").get_data(as_text=True)
    assert "<select" not in page and "Amira" not in page
    for field_id, name in [("chat-pupil", "pupil"), ("chat-pupil-2", "pupil2"), ("checkin-pupil", "pupil"),
                           ("mediation-mediator", "mediator"), ("mediation-mediator-2", "mediator2"),
                           ("mediation-party-1", "party1"), ("mediation-party-2", "party2")]:
        assert f'<input type="hidden" name="{name}"' in page
        assert f'<input type="search" id="{field_id}" autocomplete="off"' in page
        assert f'<p class="pick-status" id="{field_id}-found" role="status" data-pick-status></p>' in page
    assert page.count('aria-required="true"') == 5  # the pupil (chat, check-in), the mediator, both parties


def test_a_pupil_known_by_a_preferred_name_has_only_that_name_on_the_device(client, teacher_with_class):
    """The list on the device carries the name the school shows, never the given name behind a preferred
    one (the pupil may not want it used or seen; the phone is often shared)."""
    teacher, amira, _, _ = teacher_with_class
    bobby = make_pupil(teacher.school, "Robert", "Hale", preferred_name="Bobby")
    same = make_pupil(teacher.school, "Dan", "Ives", preferred_name="Dan")
    db.session.commit()
    pupils = {p["id"]: p for p in client.get("/api/v1/capture").json["pupils"]}
    assert pupils[bobby.id] == {"id": bobby.id, "name": "Bobby Hale", "mediator": False, "checkin": False}
    assert pupils[same.id]["name"] == "Dan Ives" and "Robert" not in str(pupils)


@pytest.fixture
def midday_in_no_class(app, auth):
    """A midday assistant who supervises the whole playground and belongs to no class or group."""
    school = make_school()
    midday = make_staff(school, ("support",), name="Pat Midday")
    amira, ben = make_pupil(school, "Amira", "Khan"), make_pupil(school, "Ben", "Osei")
    mia = make_pupil(school, "Mia", "Reed", peer_mediator=True)
    left = make_pupil(school, "Lee", "Gone", archived=True)
    make_pupil(make_school("Hill Academy"), "Hal", "Other")
    db.session.commit()
    auth.login(staff=midday)
    return midday, amira, ben, mia, left


def test_a_midday_assistant_in_no_class_has_every_current_pupil_to_choose_offline(client, midday_in_no_class):
    """Log a chat lets her choose any current pupil of the school; so must the list her phone keeps
    (before, it was empty: she is in no class). Nobody who has left, nobody of another school."""
    _, amira, ben, mia, _ = midday_in_no_class
    body = client.get("/api/v1/capture").json
    assert body["pupils"] == [{"id": amira.id, "name": "Amira Khan", "mediator": False, "checkin": False},
                              {"id": ben.id, "name": "Ben Osei", "mediator": False, "checkin": False},
                              {"id": mia.id, "name": "Mia Reed", "mediator": True, "checkin": False}]
    assert client.get("/api/v1/capture").headers["Cache-Control"] == "no-store"


def test_a_midday_assistant_in_no_class_syncs_what_log_a_chat_would_take(client, midday_in_no_class):
    """The same rule online and offline: a chat (or a typed-up mediation) about any current pupil is
    stored; a check-in, as online, only for a pupil of her groups; a pupil who left is refused - not by name,
    as she may see only pupils still at the school (before, any id posted was answered with its name)."""
    midday, amira, ben, mia, left = midday_in_no_class
    mediation = {"uuid": str(uuid.uuid4()), "kind": "mediation", "made_at": "2026-11-20T12:20:00Z",
                 "data": {"mediator_ids": [mia.id], "party_ids": [amira.id, ben.id], "outcome": "no_agreement"}}
    results = post(client, [chat_item([amira.id, ben.id]), mediation, checkin_item(amira.id),
                            chat_item([left.id])]).json["results"]
    assert [r["status"] for r in results] == ["created", "created", "rejected", "rejected"]
    assert "isn't on your list" in results[2]["reason"]
    assert results[3]["reason"].startswith("The pupil has left the school, so this can't be recorded for them.")
    chat = db.session.scalar(select(QuickChat))
    assert chat.staff_id == midday.id and {p.id for p in chat.pupils} == {amira.id, ben.id}
    assert db.session.scalar(select(func.count(Mediation.id))) == 1
    assert db.session.scalar(select(func.count(CheckIn.id))) == 0
    online = client.post("/chats/new", data={"pupil_id": [ben.id], "what": "Physical", "where": "Field"})
    assert online.status_code == 302  # Log a chat takes the same pupils
    assert client.get(f"/checkins/pupils/{amira.id}").status_code == 404  # and, online, no check-in either


def test_an_admin_records_no_check_in_offline_as_online(client, auth, app):
    school = make_school()
    admin = make_staff(school, ("admin",))
    amira = make_pupil(school)
    db.session.commit()
    auth.login(staff=admin)
    assert client.get(f"/checkins/pupils/{amira.id}").status_code == 403
    assert client.get("/api/v1/capture").json["pupils"][0]["checkin"] is False
    results = post(client, [checkin_item(amira.id), chat_item([amira.id])]).json["results"]
    assert [r["status"] for r in results] == ["rejected", "created"]


def test_a_chat_saved_online_then_kept_on_the_phone_is_one_chat_answered_duplicate(client, midday_in_no_class):
    """Log a chat's Save reached the server but its answer was lost on poor Wi-Fi, so the phone kept the
    chat in its outbox under the form's own id: that send is a duplicate, not a second chat."""
    midday, amira, _, _, _ = midday_in_no_class
    form_id = str(uuid.uuid4())
    assert client.post("/chats/new", data={"pupil_id": [amira.id], "what": "Unkind words", "where": "Playground",
                                           "client_uuid": form_id}).status_code == 302
    chat = db.session.scalar(select(QuickChat))
    for _ in range(2):
        results = post(client, [chat_item([amira.id], item_uuid=form_id)]).json["results"]
        assert results == [{"uuid": form_id, "status": "duplicate", "id": chat.id}]
    assert db.session.scalar(select(func.count(QuickChat.id))) == 1


# Property: whatever the network does, the server ends with exactly the records made, once each.

operations = st.lists(st.one_of(
    st.tuples(st.just("make"), st.integers(1, 5)),
    st.tuples(st.just("send"), st.sampled_from(["heard", "lost_answer", "never_arrived"]), st.integers(1, 6)),
    st.tuples(st.just("resend_old"), st.integers(0, 20)),
), max_size=25)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_any_interleaving_of_sends_duplicates_and_failures_keeps_exactly_the_records_made(
        client, teacher_with_class, ops):
    _, amira, _, _ = teacher_with_class
    for table in (FeedEvent, SyncReceipt, CheckInFollowUp, CheckIn):
        db.session.execute(delete(table))
    db.session.commit()
    made: list[dict] = []
    outbox: list[dict] = []
    for op in ops:
        if op[0] == "make":
            item = checkin_item(amira.id, op[1])
            made.append(item)
            outbox.append(item)
        elif op[0] == "send":
            batch = outbox[:op[2]]
            if op[1] == "never_arrived" or not batch:
                continue
            results = post(client, batch).json["results"]
            if op[1] == "heard":  # the device forgets only what the server confirmed
                confirmed = {r["uuid"] for r in results if r["status"] in ("created", "duplicate")}
                outbox = [i for i in outbox if i["uuid"] not in confirmed]
        elif made:  # a stale copy (another tab, an old backup) is sent again
            post(client, [made[op[1] % len(made)]])
    while outbox:  # back in signal: the outbox drains
        results = post(client, outbox).json["results"]
        assert all(r["status"] in ("created", "duplicate") for r in results)
        outbox = []
    stored = db.session.execute(select(CheckIn.client_uuid, CheckIn.value)).all()
    assert sorted(stored) == sorted((i["uuid"], i["data"]["value"]) for i in made)


def test_a_record_made_by_someone_else_on_the_device_is_not_stored_under_this_person(client, teacher_with_class):
    teacher, amira, _, _ = teacher_with_class
    theirs, mine = chat_item([amira.id]), chat_item([amira.id])
    theirs["made_by"], mine["made_by"] = teacher.id + 1000, teacher.id
    results = post(client, [theirs, mine]).json["results"]
    assert [r["status"] for r in results] == ["deferred", "created"]  # kept on the device for its maker
    assert "Someone else made this on this device" in results[0]["reason"]
    assert db.session.query(QuickChat).count() == 1


def test_a_pupil_who_left_the_school_since_the_device_loaded_its_list_is_refused_by_name(client, teacher_with_class):
    """The online forms refuse a pupil who has left (choose_pupils); a record made offline must too,
    saying who, so the person can change the pupil or discard it."""
    _, amira, ben, _ = teacher_with_class
    amira.archived = True  # she leaves (an admin archives her, or the MIS roster drops her)
    db.session.commit()
    results = post(client, [chat_item([ben.id, amira.id]), checkin_item(amira.id)]).json["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected"]
    assert results[0]["reason"] == ("Amira Khan has left the school, so this can't be recorded for them. "
                                    "Change the pupil or discard it.")
    assert db.session.scalar(select(func.count(QuickChat.id))) == 0
    assert db.session.scalar(select(func.count(CheckIn.id))) == 0
    assert post(client, [chat_item([ben.id])]).json["results"][0]["status"] == "created"  # Ben is still here


@pytest.mark.parametrize("device_clock", [timedelta(hours=3), timedelta(days=-2)])
def test_a_device_clock_that_is_wrong_neither_refuses_nor_misdates_what_was_made(
        client, teacher_with_class, device_clock):
    """A phone whose clock is 3 hours fast, or 2 days slow: what was made 10 minutes ago is stored
    as 10 minutes ago (not refused as "in the future", not filed under another day)."""
    _, amira, ben, _ = teacher_with_class
    now = datetime.now(timezone.utc)
    on_device = lambda moment: (moment + device_clock).isoformat()  # noqa: E731
    items = [dict(chat_item([amira.id]), made_at=on_device(now - timedelta(minutes=10))),
             dict(checkin_item(ben.id), made_at=on_device(now - timedelta(minutes=10)))]
    results = client.post("/api/v1/sync", json={"sent_at": on_device(now), "items": items}).json["results"]
    assert [r["status"] for r in results] == ["created", "created"]
    for stored_at in (db.session.scalar(select(QuickChat.happened_at)), db.session.scalar(select(CheckIn.created_at))):
        assert abs(stored_at.replace(tzinfo=timezone.utc) - (now - timedelta(minutes=10))) < timedelta(minutes=1)


def test_a_right_clock_and_a_device_that_says_nothing_keep_the_time_made(client, teacher_with_class):
    _, amira, ben, _ = teacher_with_class
    items = [chat_item([amira.id]), chat_item([ben.id])]  # made at 2026-11-20T12:15:00Z
    post(client, items[:1])  # an older page: no sent_at
    client.post("/api/v1/sync", json={"sent_at": datetime.now(timezone.utc).isoformat(), "items": items[1:]})
    assert [c.happened_at.isoformat()[:16] for c in db.session.scalars(select(QuickChat))] == [
        "2026-11-20T12:15", "2026-11-20T12:15"]


def test_record_offline_carries_the_schools_restorative_questions(client, teacher_with_class):
    """The chat's prompt (the lanyard of questions) is on Record offline as on Log a chat, in the
    school's own wording, and comes with the page the service worker keeps for the playground."""
    teacher, _, _, _ = teacher_with_class
    set_questions(teacher.school_id, "caused_harm", "What happened?\nWho has been hurt by it?\nHow can we put it right?")
    db.session.commit()
    page = client.get("/capture").get_data(as_text=True)
    assert "<summary>Restorative questions</summary>" in page
    assert "<li>Who has been hurt by it?</li>" in page and "<li>How can we put it right?</li>" in page


# Pupils who have left: named only to someone who may see them


@pytest.fixture
def leavers_of_other_classes(teacher_with_class):
    """Two pupils who left the school from classes that are not the signed-in teacher's."""
    school = teacher_with_class[0].school
    zoe = make_pupil(school, "Zoe", "Former", archived=True)
    yan = make_pupil(school, "Yan", "Gone", archived=True, peer_mediator=True)
    make_group(school, "Year 6 Ash", pupils=[zoe, yan], staff=[make_staff(school, ("teacher",), name="Ash Teacher")])
    db.session.commit()
    return zoe, yan


def test_posting_the_ids_of_pupils_who_left_from_other_classes_gets_back_no_names(client, teacher_with_class,
                                                                                   leavers_of_other_classes):
    """Before, any member of staff who posted pupil ids was told the name of every pupil who had left the
    school ("Zoe Former has left the school"), whatever their class: ids are small numbers, so every
    leaver's name could be read off. Now a pupil this person may not see is named by their place in the
    record (which the device shows by the name it stored), and the record is still refused, not lost."""
    _, amira, ben, _ = teacher_with_class
    zoe, yan = leavers_of_other_classes
    mia = make_pupil(teacher_with_class[0].school, "Mia", "Reed", peer_mediator=True)
    db.session.commit()
    items = [chat_item([zoe.id]), chat_item([amira.id, zoe.id]), chat_item([zoe.id, ben.id, yan.id]),
             checkin_item(zoe.id), typed_up_mediation([yan], [amira, ben]), typed_up_mediation([mia], [zoe, ben])]
    response = post(client, items)
    assert [r["status"] for r in response.json["results"]] == ["rejected"] * 6
    reasons = [r["reason"] for r in response.json["results"]]
    assert reasons[0] == ("The pupil has left the school, so this can't be recorded for them. "
                          "Change the pupil or discard it.")
    assert reasons[1].startswith("The second pupil has left the school, so this can't be recorded for them.")
    assert reasons[2].startswith("The first pupil and the third pupil have left the school, so this can't be")
    assert reasons[3] == "One of these pupils isn't on your list any more. Choose them again."  # not theirs to check in
    assert reasons[4].startswith("The mediator has left the school")
    assert reasons[5].startswith("The first pupil in the disagreement has left the school")
    body = response.get_data(as_text=True)
    assert not any(name in body for name in ("Zoe", "Former", "Yan", "Gone"))
    assert db.session.scalar(select(func.count(SyncReceipt.id))) == 0  # refused, so the device keeps each one
    assert db.session.scalar(select(func.count(QuickChat.id))) == 0
    assert db.session.scalar(select(func.count(Mediation.id))) == 0


def test_a_pupil_in_the_disagreement_who_left_is_named_by_place_to_a_midday_assistant(client, midday_in_no_class):
    """The midday assistant may choose any current pupil, not one who has left: she is told which of
    the two in her typed-up mediation left, not who they are."""
    _, amira, _, mia, left = midday_in_no_class
    result = post(client, [typed_up_mediation([mia], [amira, left])]).json["results"][0]
    assert result == {"uuid": result["uuid"], "status": "rejected",
                      "reason": "The second pupil in the disagreement has left the school, so this can't be "
                                "recorded for them. Change the pupil or discard it."}
    assert db.session.scalar(select(func.count(Mediation.id))) == 0


@pytest.mark.parametrize("roles", [("pastoral",), ("dsl",), ("admin", "teacher")])
def test_someone_who_sees_the_whole_school_is_told_by_name_who_left(client, auth, teacher_with_class,
                                                                     leavers_of_other_classes, roles):
    teacher, amira, _, _ = teacher_with_class
    zoe, _ = leavers_of_other_classes
    auth.logout()
    auth.login(staff=make_staff(teacher.school, roles, name="Whole School"))
    result = post(client, [chat_item([amira.id, zoe.id])]).json["results"][0]
    assert (result["status"], result["reason"]) == ("rejected", "Zoe Former has left the school, so this can't be "
                                                                "recorded for them. Change the pupil or discard it.")
