"""Record offline keeps a record started and not saved: a midday assistant called away in the playground
(the phone locks, the tab is closed, Home is tapped) finds it again when she opens Record offline, with
no signal; it goes once it is saved, on Start again (after asking), and at sign-out."""
import contextlib
import json
import re

from playwright.sync_api import Error as PlaywrightError, expect

from rrp_pwa.extensions import db
from rrp_pwa.models.conversations import ChatChipList
from tests.e2e.conftest import PHONE, assert_accessible, go_offline, sign_out
from tests.e2e.test_offline_capture import (capture_kept_for_the_class, chat_refused_as_left, choose, open_capture,
                                            set_up_class, sign_in, two_teachers_on_one_phone, wait_for_chats)

DRAFT_NOTE = "You started this {} earlier and it was kept on this device"


def draft_on_device(page):
    return page.evaluate("() => window.localStorage.getItem('rrp-draft')")


def start_a_chat_and_a_mediation(page):
    """Half of a chat (the pupil and what happened, not where) and half of a mediation."""
    chat = page.get_by_role("form", name="Quick chat")
    choose(chat, "Pupil", "Amira Khan", "pupil")
    chat.get_by_role("radio", name="Unkind words").check()
    mediation = page.get_by_role("form", name="Peer mediation")
    choose(mediation, "Mediator", "Mia Reed", "mediator")
    choose(mediation, "First pupil in the disagreement", "Amira Khan", "first pupil")
    mediation.get_by_label("What the first pupil agreed to do").fill("Take turns in goal")
    mediation.get_by_role("radio", name="No agreement - passed to staff").check()
    return chat, mediation


def expect_started(chat, mediation, checkin):
    expect(chat.get_by_role("button", name="Change pupil: Amira Khan")).to_be_visible()
    expect(chat.get_by_text(DRAFT_NOTE.format("chat"))).to_be_visible()
    expect(chat.get_by_role("radio", name="Unkind words")).to_be_checked()
    expect(chat.get_by_role("radio", name="Nothing yet")).to_be_checked()
    expect(mediation.get_by_text(DRAFT_NOTE.format("mediation"))).to_be_visible()
    expect(mediation.get_by_role("button", name="Change mediator: Mia Reed")).to_be_visible()
    expect(mediation.get_by_role("button", name="Change first pupil: Amira Khan")).to_be_visible()
    expect(mediation.get_by_label("What the first pupil agreed to do")).to_have_value("Take turns in goal")
    expect(mediation.get_by_role("radio", name="No agreement - passed to staff")).to_be_checked()
    expect(checkin.get_by_role("button", name="Start again")).to_have_count(0)  # not started: no note
    expect(checkin.get_by_role("searchbox", name="Pupil")).to_have_value("")


def test_a_record_started_with_no_signal_is_there_again_after_a_reload_or_home_until_it_is_saved(
        cable, data_app, page, context, axe):
    """Before, a reload or a trip to Home emptied Record offline: the chat and the mediation half made were
    gone. Now both are back with a note saying so, with no signal at all; the chat goes once it is saved,
    and the mediation once Start again is confirmed (not when it is cancelled)."""
    teacher, amira, _ = capture_kept_for_the_class(page, cable, axe)
    go_offline(context, cable)
    start_a_chat_and_a_mediation(page)
    kept = draft_on_device(page)
    assert kept and "Amira" not in kept and "Mia" not in kept  # pupil ids, never names

    page.reload()  # the tab was discarded; the service worker serves the page with no signal
    chat, mediation = page.get_by_role("form", name="Quick chat"), page.get_by_role("form", name="Peer mediation")
    checkin = page.get_by_role("form", name="Check-in")
    expect_started(chat, mediation, checkin)
    assert_accessible(axe, page)

    page.goto(cable.url + "/")  # Home, with no signal: the offline page, then Record offline from it
    expect(page.get_by_role("heading", name="You're offline")).to_be_visible()
    page.get_by_role("link", name="Record offline").click()
    expect_started(chat, mediation, checkin)
    assert_accessible(axe, page)

    chat.get_by_role("radio", name="Playground").check()  # carried on where she left off
    chat.get_by_role("button", name="Save chat").click()
    expect(page.get_by_text("1 waiting to sync")).to_be_visible()
    expect(chat.get_by_text(DRAFT_NOTE.format("chat"))).to_be_hidden()
    page.reload()
    expect(mediation.get_by_text(DRAFT_NOTE.format("mediation"))).to_be_visible()
    expect(chat.get_by_role("button", name="Start again")).to_have_count(0)  # saved: no draft of it left
    expect(chat.get_by_role("searchbox", name="Pupil", exact=True)).to_be_visible()
    expect(chat.get_by_role("radio", name="Unkind words")).not_to_be_checked()
    assert list(json.loads(draft_on_device(page))["forms"]) == ["mediation"]

    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    mediation.get_by_role("button", name="Start again").click()
    assert questions == ["Start this mediation again? What you filled in is emptied."]
    expect(mediation.get_by_label("What the first pupil agreed to do")).to_have_value("Take turns in goal")
    page.once("dialog", lambda dialog: dialog.accept())
    mediation.get_by_role("button", name="Start again").click()
    expect(mediation.get_by_role("searchbox", name="Mediator", exact=True)).to_be_focused()
    expect(mediation.get_by_label("What the first pupil agreed to do")).to_have_value("")
    expect(mediation.get_by_role("radio", name="Agreement made")).to_be_checked()
    expect(mediation.get_by_text(DRAFT_NOTE.format("mediation"))).to_be_hidden()
    assert draft_on_device(page) is None
    assert_accessible(axe, page)
    page.reload()
    expect(page.get_by_text("1 waiting to sync")).to_be_visible()
    expect(page.get_by_role("button", name="Start again")).to_have_count(0)

    go_offline(context, cable, False)
    chats = wait_for_chats(1)
    assert [(c.what, c.where, [p.id for p in c.pupils]) for c in chats] == [("Unkind words", "Playground", [amira.id])]


def test_a_record_started_is_forgotten_at_sign_out_and_never_offered_to_the_next_person(
        cable, data_app, page, context, axe):
    """Sam starts a chat and signs out, handing the phone to Kim: no trace of Sam's chat is left on the
    phone, and Kim's Record offline opens empty."""
    sam, kim = two_teachers_on_one_phone()
    page.set_viewport_size(PHONE)
    sign_in(page, cable, sam)
    chat = open_capture(page, cable, axe)
    choose(chat, "Pupil", "Amira Khan", "pupil")
    chat.get_by_role("radio", name="Unkind words").check()
    assert draft_on_device(page)
    sign_out(page)
    assert draft_on_device(page) is None
    sign_in(page, cable, kim)
    chat = open_capture(page, cable, axe)
    expect(chat.get_by_role("searchbox", name="Pupil", exact=True)).to_be_visible()
    expect(chat.get_by_role("radio", name="Unkind words")).not_to_be_checked()
    expect(page.get_by_role("button", name="Start again")).to_have_count(0)
    assert draft_on_device(page) is None
    sign_out(page)
    sign_in(page, cable, sam)  # nor is it offered to Sam again: it went with Sam's pupil list
    chat = open_capture(page, cable, axe)
    expect(page.get_by_role("button", name="Start again")).to_have_count(0)
    expect(chat.get_by_role("radio", name="Unkind words")).not_to_be_checked()


def test_a_refused_record_being_changed_is_still_the_same_record_after_a_reload(cable, data_app, page, context, axe):
    """Amira leaves the school while a chat about her waits, and the school's system refuses it. Changing it
    (Ben, not Amira) is interrupted by a reload with no signal: the change is back, and saving it still
    replaces the refused chat rather than adding a second one beside it."""
    teacher, amira, ben = capture_kept_for_the_class(page, cable, axe)
    chat_refused_as_left(page, context, cable, amira)
    page.get_by_role("button", name=re.compile("^Change it: Quick chat")).click()
    chat = page.get_by_role("form", name="Quick chat")
    expect(chat.get_by_role("radio", name="Unkind words")).to_be_checked()
    choose(chat, "Pupil", "Ben Osei", "pupil")

    go_offline(context, cable)
    page.reload()
    expect(chat.get_by_role("button", name="Change pupil: Ben Osei")).to_be_visible()
    expect(chat.get_by_role("radio", name="Unkind words")).to_be_checked()
    expect(chat.get_by_role("radio", name="Playground")).to_be_checked()
    expect(chat.get_by_text(DRAFT_NOTE.format("chat"))).to_be_visible()
    assert_accessible(axe, page)
    chat.get_by_role("button", name="Save chat").click()
    expect(page.get_by_text("Quick chat · Ben Osei · Unkind words, Playground · waiting")).to_be_visible()
    expect(page.get_by_text("1 waiting to sync")).to_be_visible()  # the refused chat, changed: not a second one
    expect(page.get_by_role("button", name=re.compile("^Discard: Quick chat"))).to_have_count(0)

    go_offline(context, cable, False)
    page.get_by_role("button", name="Sync now").click()
    expect(page.get_by_text("0 waiting to sync")).to_be_visible()
    chats = wait_for_chats(1)
    assert [([p.id for p in c.pupils], c.what) for c in chats] == [([ben.id], "Unkind words")]


def test_a_draft_naming_a_chip_the_school_has_since_taken_away_is_put_back_without_it(cable, data_app, page, axe):
    """A chat started with "Said sorry", then the school's "what was agreed" chips changed without it. Before,
    the draft wrote "Said sorry" into the first chip ("Nothing yet" on screen, "Said sorry" sent): every chat
    saved from then on was refused, and the draft came back after each save. Now the rest of the draft is put
    back, the agreement is as the form starts, and a chat saved is taken and the draft gone."""
    teacher, _, _ = set_up_class()
    page.set_viewport_size(PHONE)
    sign_in(page, cable, teacher)
    chat = open_capture(page, cable, axe)
    choose(chat, "Pupil", "Amira Khan", "pupil")
    chat.get_by_role("radio", name="Unkind words").check()
    chat.get_by_role("radio", name="Said sorry").check()
    db.session.add(ChatChipList(school_id=teacher.school_id, kind="agreed", labels="Shook hands\nWill give space"))
    db.session.commit()

    page.reload()
    chat = page.get_by_role("form", name="Quick chat")
    expect(chat.get_by_role("radio", name="Shook hands")).to_be_visible()
    expect(chat.get_by_text(DRAFT_NOTE.format("chat"))).to_be_visible()
    expect(chat.get_by_role("button", name="Change pupil: Amira Khan")).to_be_visible()
    expect(chat.get_by_role("radio", name="Unkind words")).to_be_checked()
    expect(chat.get_by_role("radio", name="Said sorry")).to_have_count(0)
    expect(chat.get_by_role("radio", name="Nothing yet")).to_be_checked()
    assert "Said sorry" not in chat.locator("input[type=radio]").evaluate_all("(all) => all.map((r) => r.value)")
    assert_accessible(axe, page)

    chat.get_by_role("radio", name="Playground").check()
    chat.get_by_role("button", name="Save chat").click()
    assert len(wait_for_chats(1)) == 1  # taken by the school's record, not refused
    page.reload()
    chat = page.get_by_role("form", name="Quick chat")
    expect(chat.get_by_role("radio", name="Shook hands")).to_be_visible()
    expect(chat.get_by_text(DRAFT_NOTE.format("chat"))).to_be_hidden()
    assert draft_on_device(page) is None


def test_a_form_used_while_the_pupil_list_is_on_its_way_keeps_what_was_just_tapped(cable, data_app, page, context,
                                                                                   axe):
    """Poor Wi-Fi: the pupil list takes seconds, and the chips can be tapped meanwhile. Before, the draft
    kept from earlier was put back over them once the list came ("Physical" just tapped became "Unkind
    words"). Now a form used before the list came keeps what was done in it; an untouched one gets its draft."""
    teacher, _, _ = set_up_class()
    page.set_viewport_size(PHONE)
    sign_in(page, cable, teacher)
    open_capture(page, cable, axe)
    chat, mediation = start_a_chat_and_a_mediation(page)
    expect(mediation.get_by_label("What the first pupil agreed to do")).to_have_value("Take turns in goal")

    held = []
    context.route("**/api/v1/capture", lambda route: held.append(route))
    page.reload()
    chat = page.get_by_role("form", name="Quick chat")
    chat.get_by_role("radio", name="Physical").check(timeout=5_000)  # before the pupil list has come
    context.unroute("**/api/v1/capture")
    for route in held:  # (the page's own request may have gone as it was left)
        with contextlib.suppress(PlaywrightError):
            route.continue_()
    mediation = page.get_by_role("form", name="Peer mediation")
    expect(mediation.get_by_text(DRAFT_NOTE.format("mediation"))).to_be_visible()
    expect(mediation.get_by_label("What the first pupil agreed to do")).to_have_value("Take turns in goal")
    expect(chat.get_by_role("radio", name="Physical")).to_be_checked()
    expect(chat.get_by_role("radio", name="Unkind words")).not_to_be_checked()
    expect(chat.get_by_role("button", name="Change pupil: Amira Khan")).to_have_count(0)
    expect(chat.get_by_text(DRAFT_NOTE.format("chat"))).to_be_hidden()
    assert_accessible(axe, page)
