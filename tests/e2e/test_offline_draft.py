"""Record offline keeps a record started and not saved: a midday assistant called away in the playground
(the phone locks, the tab is closed, Home is tapped) finds it again when she opens Record offline, with
no signal; it goes once it is saved, on Start again (after asking), and at sign-out."""
import contextlib
import json
import re
import time

from playwright.sync_api import Error as PlaywrightError, expect

from rrp_pwa.extensions import db
from rrp_pwa.models.conversations import ChatChipList
from tests.e2e.conftest import PHONE, assert_accessible, go_offline, sign_out, wait_until
from tests.e2e.test_offline_capture import (capture_kept_for_the_class, chat_refused_as_left, choose, log_chat,
                                            open_capture, set_up_class, sign_in, two_teachers_on_one_phone,
                                            wait_for_chats)

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


def outbox_on_device(page):
    """What the outbox on this device holds, as (whose, summary) pairs."""
    return page.evaluate("""() => new Promise((resolve) => {
        const open = indexedDB.open("rrp-outbox", 1);
        open.onsuccess = () => {
            const all = open.result.transaction("items").objectStore("items").getAll();
            all.onsuccess = () => { open.result.close(); resolve(all.result.map((i) => [i.staffId, i.summary])); };
        };
      })""")


def expect_signed_out_here(tab, axe):
    """The tab says it was signed out, with nothing of the pupils or of what was typed left on screen."""
    expect(tab.get_by_role("heading", name="You have been signed out")).to_be_focused()
    expect(tab.get_by_text("You were signed out in another tab on this device")).to_be_visible()
    expect(tab.get_by_text("Amira Khan")).to_have_count(0)
    expect(tab.get_by_text("Ben Osei")).to_have_count(0)
    expect(tab.get_by_role("form")).to_have_count(0)
    expect(tab.get_by_role("button", name="Sign out")).to_have_count(0)
    expect(tab.get_by_role("link", name="Sign in")).to_be_visible()
    assert "Sam Teacher" not in tab.content()
    assert_accessible(axe, tab)


def test_a_second_tab_writes_no_draft_after_sign_out_and_shows_it_was_signed_out(live_server, data_app, new_device,
                                                                                   axe):
    """Sam has Record offline open in a second tab, a chat half made in it, and signs out in the first. Before,
    the second tab's next tap wrote the draft - a pupil and what was typed - back on the shared phone after the
    sign-out had forgotten it. Now a tap made while the sign-out is on its way is forgotten once it is done,
    and the second tab says it has been signed out, its screen cleared for the next person."""
    device = new_device(service_workers="block", viewport=PHONE)  # page.route sees the sign-out
    first, second = device.new_page(), device.new_page()
    teacher, _, _ = set_up_class()
    sign_in(first, live_server, teacher)
    chat = open_capture(second, live_server, axe)
    choose(chat, "Pupil", "Amira Khan", "pupil")
    chat.get_by_role("radio", name="Unkind words").check()
    assert draft_on_device(second)

    held = []
    first.route("**/sign-out", lambda route: held.append(route))
    first.get_by_role("button", name="Sign out").click()
    wait_until(first, "() => window.localStorage.getItem('rrp-draft') === null")  # forgotten first...
    second.get_by_role("form", name="Peer mediation").get_by_label("What the first pupil agreed to do").fill(
        "Take turns in goal")  # ...then written again: the sign-out has not happened yet
    assert "Take turns" in draft_on_device(second)
    assert held
    held[0].continue_()
    expect(first.get_by_role("button", name="Sign in")).to_be_visible()

    expect_signed_out_here(second, axe)
    second.keyboard.type("Ben")
    time.sleep(0.5)  # what a tap would write has had time to be written
    assert draft_on_device(second) is None
    assert second.evaluate("() => window.localStorage.getItem('rrp-recent')") is None
    second.get_by_role("link", name="Sign in").click()
    expect(second.get_by_role("button", name="Sign in")).to_be_visible()


def test_a_second_tab_adds_nothing_to_the_outbox_after_sign_out_and_what_was_saved_waits_for_its_maker(
        live_server, data_app, new_device, axe):
    """Sam saves a chat in the second tab on Wi-Fi that gets nothing through and fills in another without saving
    it; Sign out in the first tab asks about the waiting chat though it was saved after that tab opened. After
    the sign-out the second tab cannot save the other chat under Sam, whom nobody would then ask about it; the
    saved one stays on the phone and is sent when Sam next signs in."""
    device = new_device(service_workers="block", viewport=PHONE)
    first, second = device.new_page(), device.new_page()
    teacher, _, _ = set_up_class()
    device.route("**/api/v1/sync", lambda route: route.abort("connectionreset"))
    sign_in(first, live_server, teacher)
    open_capture(second, live_server, axe)
    log_chat(second, "Amira Khan")
    expect(second.get_by_text("1 waiting to sync")).to_be_visible()
    chat = second.get_by_role("form", name="Quick chat")
    choose(chat, "Pupil", "Ben Osei", "pupil")
    chat.get_by_role("radio", name="Physical").check()
    chat.get_by_role("radio", name="Field").check()

    questions = []
    first.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    sign_out(first)
    assert questions and questions[0].startswith("1 record has not been sent yet. Sign out anyway?")
    expect_signed_out_here(second, axe)
    expect(second.get_by_role("button", name="Save chat")).to_have_count(0)
    second.keyboard.press("Enter")
    time.sleep(0.5)
    assert outbox_on_device(second) == [[teacher.id, "Quick chat · Amira Khan · Unkind words, Playground"]]
    assert draft_on_device(second) is None

    device.unroute("**/api/v1/sync")
    sign_in(first, live_server, teacher)
    chats = wait_for_chats(1)
    assert [(c.staff_id, [p.given_name for p in c.pupils], c.what) for c in chats] == [
        (teacher.id, ["Amira"], "Unkind words")]
    expect(first.get_by_text("waiting to sync")).to_be_hidden()
    assert outbox_on_device(first) == []


def test_a_tab_that_missed_the_sign_out_writes_no_draft_at_its_next_tap(live_server, data_app, new_device, axe):
    """A tab asleep in the background may not hear of a sign-out in another tab as it happens. Its next tap
    finds the sign-out the other tab left on the device (set here as that tab does, with no event to this
    one), writes nothing, and the tab says it has been signed out."""
    device = new_device(service_workers="block", viewport=PHONE)
    tab = device.new_page()
    teacher, _, _ = set_up_class()
    sign_in(tab, live_server, teacher)
    chat = open_capture(tab, live_server, axe)
    choose(chat, "Pupil", "Amira Khan", "pupil")
    tab.evaluate("""() => { window.localStorage.removeItem("rrp-draft");
                            window.localStorage.setItem("rrp-signed-out", "in-another-tab"); }""")
    chat.get_by_role("radio", name="Unkind words").click()  # the form goes as it is tapped: not checked after
    expect_signed_out_here(tab, axe)
    assert draft_on_device(tab) is None
