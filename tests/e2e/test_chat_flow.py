"""A midday assistant logs a quick chat on a 360 px phone in at most 3 taps after picking the pupil,
and the class teacher sees it in "What happened at lunchtime"."""
from datetime import datetime, timedelta, timezone

from playwright.sync_api import expect

import pytest

from rrp_pwa.conversations.chats import record_quick_chat
from rrp_pwa.extensions import db
from rrp_pwa.models.conversations import QuickChat
from rrp_pwa.models.safeguarding import Concern
from tests.conftest import PASSWORD, make_group, make_pupil, make_school, make_staff
from tests.e2e.conftest import PHONE, TABLET, assert_accessible, requests_sent, sign_out


def sign_in(page, base_url, staff, axe=None):
    page.goto(base_url + "/sign-in")
    if axe:
        assert_accessible(axe, page)
    page.get_by_label("Email").fill(staff.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name=f"Hello, {staff.name}").wait_for()


def test_midday_assistant_logs_a_chat_in_three_taps_and_the_teacher_sees_it(live_server, data_app, page, axe):
    school = make_school()
    assistant = make_staff(school, ("support",), name="Mo Midday")
    teacher = make_staff(school, ("teacher",), name="Tara Teacher")
    amira = make_pupil(school)
    make_pupil(school, "Ben", "Jones")
    make_group(school, pupils=[amira], staff=[teacher])
    db.session.commit()

    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, assistant, axe)
    assert_accessible(axe, page)
    first_tile = page.locator("main").get_by_role("list").first.get_by_role("link").first
    expect(first_tile).to_contain_text("Log a chat")
    first_tile.click()
    page.get_by_role("heading", name="Log a chat").wait_for()
    assert_accessible(axe, page)

    page.get_by_label("Find a pupil").press_sequentially("am", delay=50)
    pick = page.get_by_role("link", name="Amira Khan")
    pick.wait_for()
    assert_accessible(axe, page)
    pick.click()
    expect(page.get_by_role("button", name="Remove Amira Khan")).to_be_visible()
    assert_accessible(axe, page)

    taps = 0
    for control in (page.get_by_role("radio", name="Unkind words"), page.get_by_role("radio", name="Playground"),
                    page.get_by_role("button", name="Save chat")):
        control.click()
        taps += 1
    expect(page.get_by_text("Chat saved: Unkind words, Playground – Amira K.")).to_be_visible()
    assert taps <= 3
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(axe, page)
    expect(page.get_by_role("heading", name="Your chats today")).to_be_visible()

    sign_out(page)
    sign_in(page, live_server.url, teacher)
    page.get_by_role("link", name="What happened at lunchtime").click()
    page.get_by_role("heading", name="What happened at lunchtime").wait_for()
    expect(page.get_by_role("link", name="Amira Khan")).to_be_visible()
    expect(page.get_by_text("Unkind words, Playground")).to_be_visible()
    assert_accessible(axe, page)
    page.get_by_role("link", name="Amira Khan").click()
    page.get_by_role("heading", name="Quick chat").wait_for()
    expect(page.get_by_text("Mo Midday")).to_be_visible()
    assert_accessible(axe, page)


def test_a_long_name_fits_a_360px_phone(live_server, data_app, page, axe):
    """A double-barrelled name wraps: the page never scrolls sideways and Remove stays on screen to tap."""
    school = make_school()
    assistant = make_staff(school, ("support",), name="Mo Midday")
    make_pupil(school, "Bartholomew-Alexander", "Featherstonehaugh-Worthington")
    db.session.commit()
    name = "Bartholomew-Alexander Featherstonehaugh-Worthington"

    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, assistant)
    page.goto(live_server.url + "/chats/new")
    page.get_by_label("Find a pupil").press_sequentially("bar", delay=50)
    page.get_by_role("link", name=name).click()
    remove = page.get_by_role("button", name=f"Remove {name}")
    expect(remove).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    box = remove.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert_accessible(axe, page)


def chat_choices_kept(page) -> None:
    for chip in ("Unkind words", "Playground", "Said sorry"):
        expect(page.get_by_role("radio", name=chip)).to_be_checked()
    expect(page.get_by_label("Short note (optional)")).to_have_value("By the bins")


DISCLOSURE = "Amira said: my brother locks me out at night"


def raise_concern_in_place(page, axe, note: str, about: str | None = None) -> None:
    """Raise a concern from the card on a record's page, as an adult who hears a disclosure mid-record does:
    the form opens under the card (its heading takes the focus), and once sent, "Sent to the DSL" takes the
    focus and is read out, Raise a concern is back for another, and the page is still the record's own."""
    address = page.url
    page.get_by_role("link", name="Raise a concern").click()
    form = page.get_by_role("form", name="Raise a concern")
    expect(form.get_by_role("heading", name="Raise a concern")).to_be_focused()
    expect(page.get_by_role("link", name="Raise a concern")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    assert_accessible(axe, page)
    if about:
        form.get_by_label("Who is it about?").select_option(label=about)
    form.get_by_label("What did you see or hear?").fill(note)
    form.get_by_role("button", name="Send to the DSL").click()
    sent = page.get_by_role("status").filter(has_text="Sent to the DSL.")
    expect(sent).to_be_focused()
    expect(sent).to_contain_text("Your concern has gone to the Designated Safeguarding Lead")
    expect(page.get_by_role("link", name="Raise a concern")).to_be_visible()
    expect(page.get_by_role("form", name="Raise a concern")).to_have_count(0)
    assert page.url == address
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    assert_accessible(axe, page)


def the_dsl_reads(browser_context, base_url: str, dsl, about: str, note: str, axe) -> None:
    """On the DSL's own device: the concern is in their queue, with what was written."""
    office = browser_context.new_page()
    sign_in(office, base_url, dsl)
    office.get_by_role("link", name="Safeguarding concerns").click()
    expect(office.get_by_text("1 new concern.")).to_be_visible()
    assert_accessible(axe, office)
    office.get_by_role("link", name=about).click()
    expect(office.get_by_text(note)).to_be_visible()
    assert_accessible(axe, office)


def test_a_concern_raised_mid_chat_keeps_every_chip_and_the_note(live_server, data_app, page, new_device, axe):
    """A midday assistant taps the chips, what was agreed and a note, hears a disclosure, raises a concern
    and sends it: the chat being written is all still there (it used to come back empty, the concern page
    leading back with only the pupil), and Save stores it as written. The DSL reads the concern; the chat
    keeps no copy of it."""
    school = make_school()
    assistant = make_staff(school, ("support",), name="Mo Midday")
    dsl = make_staff(school, ("dsl",), name="Dee Lead")
    amira = make_pupil(school)
    db.session.commit()

    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, assistant)
    page.goto(live_server.url + "/chats/new")
    find_pupil(page, "Find a pupil", "am", True)
    page.get_by_role("link", name="Amira Khan").click()
    expect(page.get_by_role("button", name="Remove Amira Khan")).to_be_visible()
    page.get_by_role("radio", name="Unkind words").click()
    page.get_by_role("radio", name="Playground").click()
    page.get_by_text("What was agreed (optional)").first.click()
    page.get_by_role("radio", name="Said sorry").click()
    page.get_by_label("Short note (optional)").fill("By the bins")

    raise_concern_in_place(page, axe, DISCLOSURE)
    expect(page.get_by_role("button", name="Remove Amira Khan")).to_be_visible()
    chat_choices_kept(page)
    concern = db.session.query(Concern).one()
    assert (concern.pupil_id, concern.context_kind, concern.note, concern.raised_by_staff_id) == (
        amira.id, "chat", DISCLOSURE, assistant.id)

    page.get_by_role("button", name="Save chat").click()
    expect(page.get_by_text("Chat saved: Unkind words, Playground – Amira K.")).to_be_visible()
    expect(page.get_by_text("gone to the Designated Safeguarding Lead")).to_have_count(0)  # said once, in the panel
    assert_accessible(axe, page)
    chat = db.session.query(QuickChat).one()
    assert ([p.id for p in chat.pupils], chat.what, chat.where, chat.agreed, chat.note) == (
        [amira.id], "Unkind words", "Playground", "Said sorry", "By the bins")

    the_dsl_reads(new_device(viewport=PHONE), live_server.url, dsl, "Amira Khan", DISCLOSURE, axe)


def mo_on_amiras_chat(page, live_server, *chips: str, dsl: bool = False):
    """Mo Midday, on a phone, logging a chat about Amira (Ben is in the school too; and a DSL, ``dsl``), the
    ``chips`` tapped: Amira."""
    school = make_school()
    assistant = make_staff(school, ("support",), name="Mo Midday")
    if dsl:
        make_staff(school, ("dsl",), name="Dee Lead")
    amira = make_pupil(school)
    make_pupil(school, "Ben", "Jones")
    db.session.commit()

    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, assistant)
    page.goto(f"{live_server.url}/chats/new?pupil_id={amira.id}")
    for chip in chips:
        page.get_by_role("radio", name=chip).click()
    return amira


def concern_half_written_on_amiras_chat(page, live_server):
    """Mo Midday logging Upset about Amira with the concern panel open and the disclosure written in it: the
    panel's form, and Amira."""
    amira = mo_on_amiras_chat(page, live_server, "Upset", dsl=True)
    page.get_by_role("link", name="Raise a concern").click()
    concern = page.get_by_role("form", name="Raise a concern")
    concern.get_by_label("What did you see or hear?").fill(DISCLOSURE)
    return concern, amira


def test_a_concern_being_written_stays_through_a_pick_and_a_save_and_is_not_left_unasked(
        live_server, data_app, page, new_device, axe):
    """A concern half written when the assistant adds a pupil, or saves the chat, is still there to send (the
    page around it is swapped); leaving the page with it unsent is asked first."""
    concern, amira = concern_half_written_on_amiras_chat(page, live_server)
    find_pupil(page, "Add another pupil", "be", True)
    page.get_by_role("button", name="Ben Jones").click()
    expect(page.get_by_role("button", name="Remove Ben Jones")).to_be_visible()
    expect(concern.get_by_label("What did you see or hear?")).to_have_value(DISCLOSURE)
    expect(page.get_by_role("link", name="Raise a concern")).to_be_hidden()
    expect(page.get_by_role("radio", name="Upset")).to_be_checked()
    assert_accessible(axe, page)

    page.get_by_role("radio", name="Field").click()
    page.get_by_role("button", name="Save chat").click()
    expect(page.get_by_text("Chat saved: Upset, Field – Amira K., Ben J.")).to_be_visible()
    expect(concern.get_by_label("What did you see or hear?")).to_have_value(DISCLOSURE)
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    page.get_by_role("link", name="Home").click()
    expect(concern.get_by_label("What did you see or hear?")).to_have_value(DISCLOSURE)
    assert asked == ["beforeunload"]

    # Ben was added while it was open: nobody is chosen for the person once there are two
    who = concern.get_by_label("Who is it about?")
    expect(who.locator("option:checked")).to_have_text("Choose who it is about")
    who.select_option(label="Amira Khan")
    concern.get_by_role("button", name="Send to the DSL").click()
    expect(page.get_by_role("status").filter(has_text="Sent to the DSL.")).to_be_focused()
    assert db.session.query(Concern).one().note == DISCLOSURE
    assert_accessible(axe, page)
    page.get_by_role("link", name="Home").click()  # nothing unsent: nothing asked
    page.get_by_role("heading", name="Hello, Mo Midday").wait_for()


def test_the_concern_panel_finds_a_pupil_who_joined_the_school_after_it_opened(live_server, data_app, page, axe):
    """The concern panel, open on Amira's chat, listed only the pupils it had when it opened: Zara, who joined
    the school meanwhile, could not be chosen until the page was loaded again. Its search finds her (Enter
    finds, never sends); the concern sent is about her, and the chat being written is as it was."""
    school = make_school()
    assistant = make_staff(school, ("support",), name="Mo Midday")
    make_staff(school, ("dsl",), name="Dee Lead")
    amira = make_pupil(school)
    db.session.commit()

    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, assistant)
    page.goto(f"{live_server.url}/chats/new?pupil_id={amira.id}")
    page.get_by_role("radio", name="Upset").click()
    page.get_by_role("link", name="Raise a concern").click()
    concern = page.get_by_role("form", name="Raise a concern")
    concern.get_by_label("What did you see or hear?").fill(DISCLOSURE)
    zara = make_pupil(school, "Zara", "Begum")
    db.session.commit()

    concern.get_by_role("searchbox", name="Search for the pupil").fill("zar")
    concern.get_by_role("searchbox", name="Search for the pupil").press("Enter")
    who = concern.get_by_label("Who is it about?")
    expect(who).to_be_focused()
    expect(who.locator("option:checked")).to_have_text("Zara Begum")
    expect(concern.get_by_label("What did you see or hear?")).to_have_value(DISCLOSURE)
    assert db.session.query(Concern).count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(axe, page)

    concern.get_by_role("button", name="Send to the DSL").click()
    expect(page.get_by_role("status").filter(has_text="Sent to the DSL.")).to_be_focused()
    assert (db.session.query(Concern.pupil_id, Concern.note).one()) == (zara.id, DISCLOSURE)
    expect(page.get_by_role("button", name="Remove Amira Khan")).to_be_visible()
    expect(page.get_by_role("radio", name="Upset")).to_be_checked()
    assert_accessible(axe, page)


def test_the_open_concern_panel_follows_the_pupils_added_to_and_taken_off_the_chat(live_server, data_app, page, axe):
    """QA: with the concern panel open on Amira's chat, Ben added to the chat was not offered under Who is it about?
    (only Amira / Someone else), and the form still named Amira alone. It follows the chat's pupils now: one added
    is offered, and nobody is chosen for the person once there are several; one taken off goes, unless chosen in
    the concern. What is written in the concern and tapped in the chat stays, and the focus stays in the search."""
    concern, amira = concern_half_written_on_amiras_chat(page, live_server)
    who = concern.get_by_label("Who is it about?")
    expect(who.locator("option")).to_have_text(["Amira Khan", "Someone else / not listed"])

    def offered(*names: str, chosen: str) -> None:
        expect(who.locator("option")).to_have_text([*names, "Someone else / not listed"])
        expect(who.locator("option:checked")).to_have_text(chosen)
        expect(concern.get_by_label("What did you see or hear?")).to_have_value(DISCLOSURE)
        expect(page.get_by_role("radio", name="Upset")).to_be_checked()

    find_pupil(page, "Add another pupil", "be", True)
    page.get_by_role("button", name="Ben Jones").click()
    offered("Choose who it is about", "Amira Khan", "Ben Jones", chosen="Choose who it is about")
    expect(page.get_by_role("searchbox", name="Add another pupil")).to_be_focused()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(axe, page)

    page.get_by_role("button", name="Remove Amira Khan").click()
    offered("Ben Jones", chosen="Ben Jones")

    find_pupil(page, "Add another pupil", "am", True)
    page.get_by_role("button", name="Amira Khan").click()
    offered("Choose who it is about", "Ben Jones", "Amira Khan", chosen="Choose who it is about")
    who.select_option(label="Amira Khan")
    page.get_by_role("button", name="Remove Amira Khan").click()
    expect(page.get_by_role("button", name="Remove Amira Khan")).to_have_count(0)
    offered("Ben Jones", "Amira Khan", chosen="Amira Khan")  # chosen in the concern: still offered, still chosen
    assert_accessible(axe, page)

    concern.get_by_role("button", name="Send to the DSL").click()
    expect(page.get_by_role("status").filter(has_text="Sent to the DSL.")).to_be_focused()
    assert db.session.query(Concern.pupil_id, Concern.note).one() == (amira.id, DISCLOSURE)


def test_a_pupil_picked_just_before_save_does_not_come_back_in_the_address(live_server, data_app, page, axe):
    """QA: after Save chat the address still named the last chat's pupils (/chats/new?pupil_id=..&pupil_id=..)
    while the page showed the empty form, and a reload brought both back as chosen. On slow Wi-Fi, Ben's pick was
    still on its way when Save was tapped; its answer, landing after the saved chat's page, put its address in the
    address bar. The address stays /chats/new, and a reload shows the empty form."""
    amira = mo_on_amiras_chat(page, live_server, "Unkind words", "Playground")
    slow = []
    page.route("**/chats/new*", lambda route: slow.append(route) if "add_pupil" in (route.request.post_data or "")
               else route.continue_())
    find_pupil(page, "Add another pupil", "be", True)
    page.get_by_role("button", name="Ben Jones").click()
    page.wait_for_function("() => document.querySelector('[aria-busy=true]') !== null")  # the pick on its way
    page.get_by_role("button", name="Save chat").click()
    expect(page.get_by_text("Chat saved: Unkind words, Playground – Amira K.")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/chats/new")

    with page.expect_response(lambda response: response.request.method == "POST") as late:
        slow[0].continue_()
    assert late.value.ok
    page.wait_for_timeout(500)  # time for the late answer to be handled
    expect(page).to_have_url(f"{live_server.url}/chats/new")
    expect(page.get_by_role("searchbox", name="Find a pupil")).to_be_visible()
    page.reload()
    expect(page.get_by_role("searchbox", name="Find a pupil")).to_be_visible()
    expect(page.get_by_role("list", name="Chosen pupils")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(axe, page)
    page.unroute("**/chats/new*")
    assert [p.id for p in db.session.query(QuickChat).one().pupils] == [amira.id]


def test_a_pupil_picked_just_before_a_save_kept_on_the_phone_does_not_come_back(live_server, data_app, page, axe):
    """The same with the chat kept on the phone (Save got a 503 from the school's proxy): the screen is emptied for
    the next chat in place, and Ben's pick, answered late, put the kept chat's pupils back as chosen and in the
    address. It is not waited for: the screen stays empty and the address /chats/new."""
    mo_on_amiras_chat(page, live_server, "Unkind words", "Playground")
    slow = []

    def answer(route):
        if "add_pupil" in (route.request.post_data or ""):
            slow.append(route)
        elif route.request.method == "POST":
            route.fulfill(status=503, body="Service unavailable")
        else:
            route.continue_()
    page.route("**/chats/new*", answer)
    find_pupil(page, "Add another pupil", "be", True)
    page.get_by_role("button", name="Ben Jones").click()
    page.wait_for_function("() => document.querySelector('[aria-busy=true]') !== null")  # the pick on its way
    page.get_by_role("button", name="Save chat").click()
    expect(page.get_by_role("alert")).to_contain_text("this chat is saved on this device: Quick chat · Amira Khan")
    expect(page).to_have_url(f"{live_server.url}/chats/new")

    slow[0].continue_()
    page.wait_for_timeout(1000)  # time for a late answer to land
    expect(page).to_have_url(f"{live_server.url}/chats/new")
    expect(page.get_by_role("list", name="Chosen pupils")).to_have_count(0)
    expect(page.get_by_role("radio", name="Unkind words")).not_to_be_checked()
    page.unroute("**/chats/new*")
    page.wait_for_function("() => document.getAnimations().length === 0")
    assert_accessible(axe, page)


def find_pupil(page, label: str, letters: str, scripts: bool) -> None:
    """Type the first letters: with scripts the matches come as they are typed; without, after Search."""
    if scripts:
        page.get_by_label(label).press_sequentially(letters, delay=50)
    else:
        page.get_by_label(label).fill(letters)
        page.get_by_role("button", name="Search").click()


def checked_screen(axe, page, scripts: bool) -> None:
    """axe and the 360 px width, where scripts run (axe is a script: the same screens are checked with them)."""
    if scripts:
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert_accessible(axe, page)


@pytest.mark.parametrize("scripts", [True, False], ids=["scripts", "no-scripts"])
def test_adding_and_removing_a_pupil_keeps_the_chips_tapped(live_server, data_app, new_device, axe, scripts):
    """A midday assistant taps the chips and writes a note, then adds a second pupil and takes the first off
    again: every chip stays tapped and the note stays written (they were all lost, the page being loaded
    afresh with only the pupils), and Save stores one chat with them. The same without scripts, where the
    picker's Search, picks and Remove send the whole form back."""
    school = make_school()
    assistant = make_staff(school, ("support",), name="Mo Midday")
    make_pupil(school)
    ben = make_pupil(school, "Ben", "Jones")
    db.session.commit()

    page = new_device(viewport=PHONE, java_script_enabled=scripts).new_page()
    sign_in(page, live_server.url, assistant)
    page.goto(live_server.url + "/chats/new")
    find_pupil(page, "Find a pupil", "am", scripts)
    page.get_by_role("link", name="Amira Khan").click()
    page.get_by_role("radio", name="Unkind words").click()
    page.get_by_role("radio", name="Playground").click()
    page.get_by_text("What was agreed (optional)").first.click()
    page.get_by_role("radio", name="Said sorry").click()
    page.get_by_label("Short note (optional)").fill("By the bins")

    find_pupil(page, "Add another pupil", "be", scripts)
    page.get_by_role("button", name="Ben Jones").click()
    expect(page.get_by_role("button", name="Remove Ben Jones")).to_be_visible()
    # the button tapped has gone: the focus is back in the search, not lost at the top of the page
    expect(page.get_by_role("searchbox", name="Add another pupil")).to_be_focused()
    chat_choices_kept(page)
    checked_screen(axe, page, scripts)

    page.get_by_role("button", name="Remove Amira Khan").click()
    expect(page.get_by_role("button", name="Remove Amira Khan")).to_have_count(0)
    expect(page.get_by_role("button", name="Remove Ben Jones")).to_be_visible()
    expect(page.get_by_role("searchbox", name="Add another pupil")).to_be_focused()
    chat_choices_kept(page)
    checked_screen(axe, page, scripts)
    if scripts:  # reloaded, the page shows the pupils chosen now
        expect(page).to_have_url(f"{live_server.url}/chats/new?pupil_id={ben.id}")
    assert db.session.query(QuickChat).count() == 0

    page.get_by_role("button", name="Save chat").click()
    expect(page.get_by_text("Chat saved: Unkind words, Playground – Ben J.")).to_be_visible()
    checked_screen(axe, page, scripts)
    chat = db.session.query(QuickChat).one()
    assert ([p.id for p in chat.pupils], chat.what, chat.where, chat.agreed, chat.note) == (
        [ben.id], "Unkind words", "Playground", "Said sorry", "By the bins")


def test_enter_in_the_search_searches_and_enter_in_the_note_saves(live_server, data_app, page, axe):
    """Search, picks and Remove belong to the chat's form now, Search first: Enter in the search finds pupils
    (the chips stay tapped, nobody is taken off) and Enter in the note still saves the chat, as it did."""
    school = make_school()
    assistant = make_staff(school, ("support",), name="Mo Midday")
    amira, ben = make_pupil(school), make_pupil(school, "Ben", "Jones")
    db.session.commit()

    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, assistant)
    page.goto(f"{live_server.url}/chats/new?pupil_id={amira.id}")
    page.get_by_role("radio", name="Unkind words").click()
    page.get_by_role("radio", name="Playground").click()
    page.get_by_label("Add another pupil").fill("be")
    page.get_by_label("Add another pupil").press("Enter")
    page.get_by_role("button", name="Ben Jones").click()
    expect(page.get_by_role("button", name="Remove Ben Jones")).to_be_visible()
    expect(page.get_by_role("button", name="Remove Amira Khan")).to_be_visible()
    expect(page.get_by_role("radio", name="Unkind words")).to_be_checked()
    assert_accessible(axe, page)

    page.get_by_text("What was agreed (optional)").first.click()
    page.get_by_label("Short note (optional)").fill("By the bins")
    page.get_by_label("Short note (optional)").press("Enter")
    expect(page.get_by_text("Chat saved: Unkind words, Playground – Amira K., Ben J.")).to_be_visible()
    chat = db.session.query(QuickChat).one()
    assert (sorted(p.id for p in chat.pupils), chat.note) == (sorted([amira.id, ben.id]), "By the bins")


@pytest.mark.parametrize("address, chosen, scripts", [
    ("/chats/new", False, True), ("/chats/new", True, True),
    ("/conversations/new", False, True), ("/conversations/new", True, True),
    ("/chats/new", True, False), ("/conversations/new", False, False)],
    ids=["chat-scripts", "chat-form-scripts", "conversation-scripts", "conversation-form-scripts",
         "chat-form-no-scripts", "conversation-no-scripts"])
def test_enter_in_the_pupil_search_asks_the_server_once(live_server, data_app, new_device, axe, address, chosen,
                                                         scripts):
    """Enter in the pupil search sends one search. It sent two: htmx's search and the picker's own Search, which
    loaded the page afresh or, once the record's form was on the page, sent the whole form back (the focus left
    the search). With scripts, the matches come into the page and the focus stays in the search; without, Search
    brings them, as it always has. Before or after a first pupil is chosen, on Log a chat and Start a
    conversation alike."""
    school = make_school()
    teacher = make_staff(school, ("teacher",), name="Tara Teacher")
    amira = make_pupil(school)
    make_pupil(school, "Ben", "Jones")
    make_group(school, pupils=[amira], staff=[teacher])
    db.session.commit()

    page = new_device(viewport=PHONE, java_script_enabled=scripts).new_page()
    sign_in(page, live_server.url, teacher)
    page.goto(live_server.url + address + (f"?pupil_id={amira.id}" if chosen else ""))
    search = page.get_by_role("searchbox", name="Add another pupil" if chosen else "Find a pupil")
    ben = page.get_by_role("button" if chosen else "link", name="Ben Jones")
    search.fill("be")
    if scripts:  # the matches come as the letters are typed: that search is answered before Enter is pressed
        expect(ben).to_be_visible()
    with requests_sent(page) as sent:  # both used to go at once
        search.press("Enter")
        expect(ben).to_be_visible()
    assert sent == (["/pick-pupils"] if scripts else [address])
    if scripts:
        expect(search).to_be_focused()
        expect(page).to_have_url(live_server.url + address + (f"?pupil_id={amira.id}" if chosen else ""))
    expect(search).to_have_value("be")
    if chosen:  # Enter searched: nobody was taken off
        expect(page.get_by_role("button", name="Remove Amira Khan")).to_be_visible()
    checked_screen(axe, page, scripts)


@pytest.mark.parametrize("address, chosen", [("/chats/new", False), ("/chats/new", True), ("/conversations/new", False)],
                         ids=["chat", "chat-form", "conversation"])
def test_enter_while_the_typed_search_is_on_its_way_asks_nothing_more(live_server, data_app, page, axe, address,
                                                                       chosen):
    """On poor Wi-Fi a midday assistant types "be" and presses Enter while the search sent as the letters were
    typed is still on its way: one search is sent, and its answer shows the matches. Enter sent the same
    search a second time, queued behind the first, over the same slow connection."""
    school = make_school()
    assistant = make_staff(school, ("support", "teacher"), name="Mo Midday")
    amira = make_pupil(school)
    make_pupil(school, "Ben", "Jones")
    make_group(school, pupils=[amira], staff=[assistant])
    db.session.commit()

    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, assistant)
    page.goto(live_server.url + address + (f"?pupil_id={amira.id}" if chosen else ""))
    search = page.get_by_role("searchbox", name="Add another pupil" if chosen else "Find a pupil")
    on_its_way = []  # the searches the slow connection has not yet answered
    page.route(lambda url: "/pick-pupils" in url, lambda route: on_its_way.append(route))
    with requests_sent(page, settle_ms=1000) as sent:
        with page.expect_request(lambda request: "/pick-pupils" in request.url):
            search.fill("be")
        search.press("Enter")
        page.wait_for_timeout(300)  # Enter's own search, if it sent one, would be queued behind the first
        on_its_way.pop(0).continue_()
        expect(page.get_by_role("button" if chosen else "link", name="Ben Jones")).to_be_visible()
    page.unroute_all(behavior="ignoreErrors")
    assert sent == ["/pick-pupils"]
    expect(search).to_be_focused()
    expect(search).to_have_value("be")
    assert_accessible(axe, page)


@pytest.mark.parametrize("viewport", [PHONE, TABLET], ids=["phone", "tablet"])
def test_once_a_recent_pupil_is_picked_what_happened_is_in_view(live_server, data_app, page, axe, viewport):
    """A midday assistant standing in the playground taps a Recently chosen pupil: the first row of What happened
    is on screen without scrolling (on a 360 x 740 phone it was under the six recent pupils, at ~786 px). The
    recent pupils fold away under "Recently chosen", still there to add a second pupil."""
    school = make_school()
    assistant = make_staff(school, ("support",), name="Mo Midday")
    names = [("Ruby", "Jackson"), ("Aisha", "Smith"), ("Evie", "Jackson"), ("Aisha", "Mensah"), ("Lily", "Jones"),
             ("Niamh", "Jones")]
    pupils = [make_pupil(school, given, family) for given, family in names]
    for minutes_ago, pupil in enumerate(pupils):
        record_quick_chat(school.id, assistant, [pupil], "Unkind words", "Playground",
                          happened_at=datetime.now(timezone.utc) - timedelta(minutes=minutes_ago + 1))
    db.session.commit()

    page.set_viewport_size(viewport)
    sign_in(page, live_server.url, assistant)
    page.goto(live_server.url + "/chats/new")
    page.get_by_role("link", name="Ruby Jackson").click()
    expect(page.get_by_role("button", name="Remove Ruby Jackson")).to_be_visible()
    first_row = page.get_by_role("radio", name="Unkind words")
    expect(first_row).to_be_in_viewport(ratio=1)
    assert page.evaluate("() => window.scrollY") == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert_accessible(axe, page)

    page.get_by_text("Recently chosen").click()  # a second pupil, as before: one tap more
    page.get_by_role("button", name="Aisha Smith").click()
    expect(page.get_by_role("button", name="Remove Aisha Smith")).to_be_visible()
    expect(page.get_by_role("button", name="Remove Ruby Jackson")).to_be_visible()
    assert_accessible(axe, page)
    for control in ("Unkind words", "Playground"):
        page.get_by_role("radio", name=control).click()
    page.get_by_role("button", name="Save chat").click()
    expect(page.get_by_text("Chat saved: Unkind words, Playground – Aisha S., Ruby J.")).to_be_visible()
