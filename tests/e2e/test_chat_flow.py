"""A midday assistant logs a quick chat on a 360 px phone in at most 3 taps after picking the pupil,
and the class teacher sees it in "What happened at lunchtime"."""
from playwright.sync_api import expect

from rrp_pwa.extensions import db
from tests.conftest import PASSWORD, make_group, make_pupil, make_school, make_staff
from tests.e2e.conftest import PHONE, assert_accessible, sign_out


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
    expect(page.get_by_role("link", name="Remove Amira Khan")).to_be_visible()
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
    remove = page.get_by_role("link", name=f"Remove {name}")
    expect(remove).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    box = remove.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert_accessible(axe, page)
