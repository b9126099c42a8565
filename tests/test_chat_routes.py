"""Quick chat screens: logging a chat, the pupil picker, the chat page, the lunchtime list, the chips settings."""
import re
from datetime import datetime, timedelta, timezone

import pytest

from rrp_pwa.conversations.chats import chips_for, record_quick_chat
from rrp_pwa.extensions import db
from rrp_pwa.models.conversations import QuickChat
from tests.conftest import make_group, make_pupil, make_school, make_staff


@pytest.fixture
def school(app):
    school = make_school()
    db.session.commit()
    return school


def test_support_home_screen_starts_with_log_a_chat(client, auth, school):
    auth.login(roles=("support",))
    page = client.get("/").get_data(as_text=True)
    assert page.index("Log a chat") < page.index("Find a pupil")


def test_picker_shows_recent_pupils_first_then_matches(client, auth, school):
    staff = auth.login(roles=("support",))
    amira, ben = make_pupil(school), make_pupil(school, "Ben", "Jones")
    record_quick_chat(school.id, staff, [ben], "Physical", "Field")
    db.session.commit()
    page = client.get("/chats/new").get_data(as_text=True)
    assert "Recently chosen" in page and "Ben Jones" in page and "Amira Khan" not in page
    fragment = client.get("/pick-pupils?for=chat&q=am", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Amira Khan" in fragment and "<html" not in fragment
    assert f"/chats/new?pupil_id={amira.id}" in fragment


def test_picker_keeps_chosen_pupils_and_hides_other_schools(client, auth, school):
    auth.login(roles=("support",))
    amira = make_pupil(school)
    make_pupil(make_school("Hill High"), "Amelia", "Stranger")
    db.session.commit()
    page = client.get(f"/chats/new?pupil_id={amira.id}&q=am").get_data(as_text=True)
    assert "Remove Amira Khan" in page and "Stranger" not in page and "Save chat" in page


def test_logging_a_chat_saves_it_and_goes_back_for_the_next(client, auth, school):
    staff = auth.login(roles=("support",))
    amira = make_pupil(school)
    db.session.commit()
    response = client.post("/chats/new", data={"pupil_id": [amira.id], "what": "Unkind words", "where": "Playground"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/chats/new")
    chat = db.session.query(QuickChat).one()
    assert (chat.staff_id, chat.what, chat.where, chat.agreed) == (staff.id, "Unkind words", "Playground", None)
    page = client.get("/chats/new").get_data(as_text=True)
    assert "Chat saved: Unkind words, Playground – Amira K." in page and "Your chats today" in page


@pytest.mark.parametrize("data, message", [
    ({"what": "Unkind words", "where": "Playground"}, "Choose at least one pupil"),
    ({"where": "Playground"}, "Choose what happened."),
    ({"what": "Unkind words"}, "Choose where it happened."),
    ({"what": "Stabbing", "where": "Playground"}, "Not a valid choice"),
    ({"what": "Unkind words", "where": "Playground", "note": "x" * 281}, "280 characters"),
    ({"what": "Unkind words", "where": "Playground", "agreed": "Bribes"}, "Not a valid choice"),
])
def test_bad_chats_are_refused_and_what_was_typed_stays(client, auth, school, data, message):
    auth.login(roles=("support",))
    amira = make_pupil(school)
    db.session.commit()
    if message != "Choose at least one pupil":
        data = {**data, "pupil_id": [amira.id]}
    response = client.post("/chats/new", data={**data, "note": data.get("note", "kept words")})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and message in page
    assert "kept words" in page or "x" * 281 in page
    assert db.session.query(QuickChat).count() == 0


def test_a_pupil_of_another_school_cannot_be_logged(client, auth, school):
    auth.login(roles=("support",))
    stranger = make_pupil(make_school("Hill High"), "Zed", "Other")
    db.session.commit()
    response = client.post("/chats/new", data={"pupil_id": [stranger.id], "what": "Physical", "where": "Field"})
    assert response.status_code == 400 and "not in this school" in response.get_data(as_text=True)
    assert db.session.query(QuickChat).count() == 0


def test_resending_the_same_chat_saves_it_once(client, auth, school):
    auth.login(roles=("support",))
    amira = make_pupil(school)
    db.session.commit()
    data = {"pupil_id": [amira.id], "what": "Physical", "where": "Field", "client_uuid": "4f7c2f8e-1"}
    assert client.post("/chats/new", data=data).status_code == 302
    assert client.post("/chats/new", data=data).status_code == 302
    assert db.session.query(QuickChat).count() == 1


def test_lunchtime_lists_todays_chats_about_my_pupils_only(client, auth, school):
    teacher = make_staff(school, ("teacher",), name="Tara Teacher")
    assistant = make_staff(school, ("support",), name="Mo Midday")
    mine, other = make_pupil(school), make_pupil(school, "Ben", "Jones")
    make_group(school, pupils=[mine], staff=[teacher])
    record_quick_chat(school.id, assistant, [mine], "Left out", "Field", agreed="Will include them")
    record_quick_chat(school.id, assistant, [other], "Physical", "Dining hall")
    record_quick_chat(school.id, assistant, [mine], "Game dispute", "Playground",
                      happened_at=datetime.now(timezone.utc) - timedelta(days=3))
    db.session.commit()
    auth.login(staff=teacher)
    page = client.get("/lunchtime").get_data(as_text=True)
    assert "Left out, Field" in page and "agreed: Will include them" in page and "Mo Midday" in page
    assert "Ben Jones" not in page and "Game dispute" not in page
    assert "No chats about your pupils that day" in client.get("/lunchtime?day=2020-01-01").get_data(as_text=True)
    assert client.get("/lunchtime?day=not-a-day").status_code == 404


def test_teacher_home_screen_has_the_lunchtime_tile(client, auth, school):
    auth.login(roles=("teacher",))
    assert "What happened at lunchtime" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("roles, status", [(("admin",), 200), (("teacher",), 403), (("support",), 403),
                                           (("pastoral",), 403), (("dsl",), 403)])
def test_only_admins_edit_chips(client, auth, school, roles, status):
    auth.login(roles=roles)
    assert client.get("/admin/chat-chips").status_code == status
    assert client.post("/admin/chat-chips", data={"what": "A", "where": "B", "agreed": "C"}).status_code in (status, 302)


def test_admin_changes_chips_and_the_chat_form_offers_them(client, auth, school):
    auth.login(roles=("admin",))
    page = client.get("/admin/chat-chips").get_data(as_text=True)
    assert "Unkind words" in page
    response = client.post("/admin/chat-chips", data={"what": "Football row\nName calling", "where": "Astro",
                                                      "agreed": "Shook hands"})
    assert response.status_code == 302
    assert chips_for(school.id, "what") == ["Football row", "Name calling"]
    amira = make_pupil(school)
    db.session.commit()
    form = client.get(f"/chats/new?pupil_id={amira.id}").get_data(as_text=True)
    assert "Football row" in form and "Astro" in form and "Unkind words" not in form


def test_bad_chip_lists_are_shown_beside_the_field_and_nothing_is_saved(client, auth, school):
    auth.login(roles=("admin",))
    response = client.post("/admin/chat-chips", data={"what": "x" * 61, "where": "Astro", "agreed": "Hands"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "60 characters" in page and "Astro" in page
    assert chips_for(school.id, "where")[0] == "Playground"
    assert client.post("/admin/chat-chips", data={"what": "", "where": "A", "agreed": "B"}).status_code == 400


def test_logging_a_chat_with_csrf_on(app, client, auth, school):
    auth.login(roles=("support",))
    amira = make_pupil(school)
    db.session.commit()
    app.config["WTF_CSRF_ENABLED"] = True
    data = {"pupil_id": [amira.id], "what": "Physical", "where": "Field"}
    assert client.post("/chats/new", data=data).status_code == 400
    page = client.get(f"/chats/new?pupil_id={amira.id}").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    assert client.post("/chats/new", data={**data, "csrf_token": token}).status_code == 302
    assert db.session.query(QuickChat).count() == 1


@pytest.mark.parametrize("roles, status", [(("support",), 404), (("teacher",), 404), (("pastoral",), 200),
                                           (("admin",), 200), (("dsl",), 200)])
def test_a_chat_page_is_for_its_author_and_whole_school_staff(client, auth, school, roles, status):
    chat = record_quick_chat(school.id, make_staff(school, ("support",)), [make_pupil(school)], "Physical", "Field")
    db.session.commit()
    auth.login(roles=roles)
    assert client.get(f"/chats/{chat.id}").status_code == status


def test_pick_pupils_refuses_an_unknown_target(client, auth, school):
    auth.login(roles=("support",))
    assert client.get("/pick-pupils?for=everything").status_code == 404


@pytest.mark.parametrize("roles", [("admin",), ("teacher",), ("support",), ("pastoral",), ("dsl",)])
@pytest.mark.parametrize("target", ["chat", "conversation", "conference"])
def test_every_role_gets_the_picker_fragment_of_its_own_school_only(client, auth, school, roles, target):
    auth.login(roles=roles)
    make_pupil(school)
    make_pupil(make_school("Hill High"), "Amelia", "Stranger")
    db.session.commit()
    response = client.get(f"/pick-pupils?for={target}&q=am", headers={"HX-Request": "true"})
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and "Amira Khan" in fragment and "Stranger" not in fragment
    assert ("kind=conference" in fragment) is (target == "conference")


def test_the_chat_form_carries_its_own_id_so_a_repeat_saves_it_once(client, auth, school):
    """On poor Wi-Fi the answer to Save can be lost and Save tapped again: the form's id makes it one chat."""
    auth.login(roles=("support",))
    amira = make_pupil(school)
    db.session.commit()
    page = client.get(f"/chats/new?pupil_id={amira.id}").get_data(as_text=True)
    chat_id = re.search(r'<input[^>]*name="client_uuid"[^>]*value="([^"]+)"', page).group(1)
    assert len(chat_id) == 36  # a new one each time the form is shown:
    assert chat_id not in client.get(f"/chats/new?pupil_id={amira.id}").get_data(as_text=True)
    data = {"pupil_id": [amira.id], "what": "Physical", "where": "Field", "client_uuid": chat_id}
    assert client.post("/chats/new", data=data).status_code == 302
    assert client.post("/chats/new", data=data).status_code == 302
    assert db.session.query(QuickChat).count() == 1
    # Back brings the saved form back; changed to Ben, it is a new chat, not Amira's sent again
    ben = make_pupil(school, "Ben", "Osei")
    db.session.commit()
    assert client.post("/chats/new", data={**data, "pupil_id": [ben.id]}).status_code == 302
    assert sorted(p.given_name for c in db.session.query(QuickChat) for p in c.pupils) == ["Amira", "Ben"]


def test_the_chat_note_says_a_worry_about_safety_goes_in_a_concern_not_the_record(client, auth, school):
    auth.login(roles=("support",))
    amira = make_pupil(school)
    db.session.commit()
    page = client.get(f"/chats/new?pupil_id={amira.id}").get_data(as_text=True)
    assert re.search(r'<p class="help" id="note-help">Part of the school record\. A worry about a child&#39;s safety '
                     r'goes in Raise a concern, not here\.</p>', page)
    assert re.search(r'<input[^>]*aria-describedby="note-help"[^>]*id="note"|<input[^>]*id="note"[^>]*aria-describedby="note-help"', page)


def test_log_a_chat_sent_by_htmx_shows_what_to_fix_in_a_page_it_swaps_in(client, auth, school):
    """Save is sent by htmx (so poor Wi-Fi can be caught), which swaps in only a 2xx answer: a chat that
    can't be saved comes back as the page with the problem and what was chosen, answered 200."""
    auth.login(roles=("support",))
    amira = make_pupil(school)
    db.session.commit()
    data = {"pupil_id": [amira.id], "where": "Playground", "note": "kept words"}
    assert client.post("/chats/new", data=data).status_code == 400
    response = client.post("/chats/new", data=data, headers={"HX-Request": "true", "HX-Boosted": "true"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Choose what happened." in page and "kept words" in page
    assert db.session.query(QuickChat).count() == 0


def test_adding_and_removing_a_pupil_keeps_the_chips_and_saves_nothing(client, auth, school):
    """The picker's pick and Remove send the chat's form back: it comes again with every chip tapped and the
    note written (a pick used to load the page afresh with only the pupils), and no chat is saved."""
    auth.login(roles=("support",))
    amira, ben = make_pupil(school), make_pupil(school, "Ben", "Jones")
    db.session.commit()
    tapped = {"pupil_id": [amira.id], "what": "Unkind words", "where": "Playground", "agreed": "Said sorry",
              "note": "By the bins", "client_uuid": "0b6e1f3c-4a5d-4e8f-9a1b-2c3d4e5f6a7b", "q": "be"}
    for change, pupils in (({"add_pupil": ben.id}, [amira.id, ben.id]), ({"remove_pupil": amira.id}, [ben.id]),
                           ({"remove_pupil": ben.id}, [])):  # the wrong pupil taken off: the chips wait for the right one
        response = client.post("/chats/new", data={**tapped, **change})
        page = response.get_data(as_text=True)
        assert response.status_code == 200 and db.session.query(QuickChat).count() == 0
        assert re.findall(r'name="pupil_id" value="(\d+)" data-name', page) == [str(i) for i in pupils]
        for chip in ("Unkind words", "Playground", "Said sorry"):
            assert re.search(rf'checked[^>]*value="{chip}"|value="{chip}"[^>]*checked', page), chip
        assert 'value="By the bins"' in page and tapped["client_uuid"] in page and "Choose" not in page
        assert 'form="chat-form"' in page and "Save chat" in page
        tapped = {**tapped, "pupil_id": pupils}


def test_the_picker_sends_the_chat_form_back_with_csrf_on(app, client, auth, school):
    auth.login(roles=("support",))
    amira, ben = make_pupil(school), make_pupil(school, "Ben", "Jones")
    db.session.commit()
    app.config["WTF_CSRF_ENABLED"] = True
    data = {"pupil_id": [amira.id], "what": "Physical", "add_pupil": ben.id}
    assert client.post("/chats/new", data=data).status_code == 400
    page = client.get(f"/chats/new?pupil_id={amira.id}").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    page = client.post("/chats/new", data={**data, "csrf_token": token}).get_data(as_text=True)
    assert "Remove Ben Jones" in page and db.session.query(QuickChat).count() == 0


def test_the_search_answer_sends_the_form_back_only_when_it_is_on_the_page(client, auth, school):
    auth.login(roles=("support",))
    amira, ben = make_pupil(school), make_pupil(school, "Ben", "Jones")
    db.session.commit()
    alone = client.get("/pick-pupils?for=chat&q=be").get_data(as_text=True)
    assert f"/chats/new?pupil_id={ben.id}" in alone and "<button" not in alone
    kept = client.get(f"/pick-pupils?for=chat&q=be&pupil_id={amira.id}&record_form=chat-form").get_data(as_text=True)
    assert re.search(rf'form="chat-form"[^>]*name="add_pupil" value="{ben.id}"', kept)


def test_raise_a_concern_leads_back_to_the_pupils_chosen_after_a_pick(client, auth, school):
    """The page a pick sent back is at the form's address, with no pupils in it: Raise a concern still leads
    back to Log a chat with the pupils chosen (it led back to an empty one)."""
    auth.login(roles=("support",))
    amira, ben = make_pupil(school), make_pupil(school, "Ben", "Jones")
    db.session.commit()
    page = client.post("/chats/new", data={"pupil_id": [amira.id], "add_pupil": ben.id}).get_data(as_text=True)
    concern = re.search(r'href="(/concerns/new[^"]*)">Raise a concern', page).group(1).replace("&amp;", "&")
    assert f"next=/chats/new?pupil_id%3D{amira.id}%26pupil_id%3D{ben.id}" in concern


def test_the_address_follows_the_pupils_a_pick_sent_by_htmx_changed(client, auth, school):
    auth.login(roles=("support",))
    amira, ben = make_pupil(school), make_pupil(school, "Ben", "Jones")
    db.session.commit()
    response = client.post("/chats/new", data={"pupil_id": [amira.id], "add_pupil": ben.id, "what": "Physical"},
                           headers={"HX-Request": "true"})
    assert response.headers["HX-Replace-Url"] == f"/chats/new?pupil_id={amira.id}&pupil_id={ben.id}"
    saved = client.post("/chats/new", data={"pupil_id": [amira.id], "what": "Physical", "where": "Field"},
                        headers={"HX-Request": "true"})
    assert "HX-Replace-Url" not in saved.headers
