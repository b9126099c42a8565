"""Setting a school up, in real Chromium on a phone: the admin lets in a teacher the roster import
added, the teacher changes the first password they were told, and a connector's long webhook
address fits the screen. axe runs on every screen visited."""
import re

import pytest
from playwright.sync_api import expect

from rrp_pwa.extensions import db
from rrp_pwa.models.roster import NO_PASSWORD
from tests.conftest import PASSWORD, make_school, make_staff
from tests.e2e.conftest import PHONE, assert_accessible, sign_out

LONG_WEBHOOK = "https://93.184.215.14/connectors/arbor/rrp/willow-primary-school/behaviour-events/receive"


@pytest.fixture
def willow(data_app):
    """Willow Primary's first admin, and a teacher the roster import has just added (no password)."""
    school = make_school("Willow Primary")
    admin = make_staff(school, ("admin",), email="head@willow.example", name="Mrs Grant")
    teacher = make_staff(school, ("teacher",), email="p.shah@willow.example", name="Priya Shah")
    teacher.active, teacher.password_hash = False, NO_PASSWORD
    db.session.commit()
    return {"admin": admin, "teacher": teacher}


def sign_in(page, base_url: str, email: str, password: str = PASSWORD) -> None:
    page.goto(base_url + "/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name=re.compile(r"^Hello, ")).wait_for()


def fits_the_screen(page) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_admin_lets_an_imported_teacher_in_and_the_teacher_changes_the_password(live_server, willow, page, axe):
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, "head@willow.example")
    page.get_by_role("link", name=re.compile("^Staff")).click()
    expect(page.get_by_text("p.shah@willow.example · Teacher · no password yet: can't sign in")).to_be_visible()
    assert_accessible(axe, page)
    page.get_by_role("link", name="Priya Shah").click()
    expect(page.get_by_role("heading", name="Let Priya Shah sign in")).to_be_visible()
    expect(page.get_by_role("button", name="Reset password")).to_have_count(0)
    fits_the_screen(page)
    assert_accessible(axe, page)
    page.get_by_label("First password").fill("short")
    page.get_by_role("button", name="Set the password and let Priya Shah sign in").click()
    expect(page.get_by_text("Use at least 10 characters.")).to_be_visible()
    assert_accessible(axe, page)
    page.get_by_label("First password").fill("willow first phrase")
    page.get_by_role("button", name="Set the password and let Priya Shah sign in").click()
    expect(page.get_by_role("status")).to_contain_text("Priya Shah can now sign in with the password you set.")
    expect(page.get_by_text("no password yet")).to_have_count(0)
    assert_accessible(axe, page)
    sign_out(page)

    sign_in(page, live_server.url, "p.shah@willow.example", "willow first phrase")
    page.get_by_role("link", name="Priya Shah").click()
    expect(page.get_by_role("heading", name="Change your password")).to_be_visible()
    fits_the_screen(page)
    assert_accessible(axe, page)
    page.get_by_label("Current password").fill("not it at all")
    page.get_by_label("New password").fill("priya's own phrase")
    page.get_by_role("button", name="Change my password").click()
    expect(page.get_by_text("That isn't your current password.")).to_be_visible()
    expect(page.get_by_label("New password")).to_be_visible()
    assert_accessible(axe, page)
    page.get_by_label("Current password").fill("willow first phrase")
    page.get_by_label("New password").fill("priya's own phrase")
    page.get_by_role("button", name="Change my password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password has been changed.")
    assert_accessible(axe, page)
    page.get_by_role("link", name="Home").click()
    sign_out(page)
    sign_in(page, live_server.url, "p.shah@willow.example", "priya's own phrase")
    expect(page.get_by_role("heading", name="Hello, Priya Shah")).to_be_visible()


def test_a_connectors_long_webhook_address_fits_a_phone(live_server, willow, page, axe):
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, "head@willow.example")
    page.goto(live_server.url + "/admin/sync/webhooks")
    page.get_by_label("Endpoint URL").fill(LONG_WEBHOOK)
    page.get_by_role("button", name="Add the endpoint").click()
    expect(page.get_by_role("heading", name="Copy the signing secret now")).to_be_visible()
    fits_the_screen(page)
    assert_accessible(axe, page)
    page.get_by_role("link", name=LONG_WEBHOOK).click()
    expect(page.get_by_role("heading", name="Delivery log")).to_be_visible()
    fits_the_screen(page)
    assert_accessible(axe, page)
    page.once("dialog", lambda dialog: dialog.accept())  # (listening, it waits for the page's scripts, which ask)
    page.get_by_role("button", name="Stop sending to this endpoint").click()
    expect(page.get_by_role("status")).to_contain_text(f"Events are no longer sent to {LONG_WEBHOOK}.")
    fits_the_screen(page)
    assert_accessible(axe, page)


def test_taking_the_dsl_role_away_is_asked_first(live_server, willow, page, axe):
    dsl = make_staff(willow["admin"].school, ("teacher", "dsl"), email="dsl@willow.example", name="Mr Boateng")
    db.session.commit()
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, "head@willow.example")
    page.goto(live_server.url + f"/admin/staff/{dsl.id}")
    page.get_by_label("Designated Safeguarding Lead").uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Take the Designated Safeguarding Lead role away from Mr Boateng? It takes effect at once: "
        "they will no longer see safeguarding concerns.")
    expect(page.get_by_label("Designated Safeguarding Lead")).not_to_be_checked()
    fits_the_screen(page)
    assert_accessible(axe, page)
    page.get_by_role("link", name="Keep Mr Boateng's roles").click()
    expect(page.get_by_label("Designated Safeguarding Lead")).to_be_checked()
    page.get_by_label("Designated Safeguarding Lead").uncheck()
    page.get_by_role("button", name="Save").click()
    page.get_by_role("button", name="Yes, take the role away and save").click()
    expect(page.get_by_role("status")).to_contain_text("Mr Boateng's details have been saved.")
    expect(page.get_by_text("dsl@willow.example · Teacher", exact=True)).to_be_visible()
    assert_accessible(axe, page)


def test_a_teacher_the_mis_says_has_left_is_shown_as_having_left_and_offered_no_password(
        live_server, willow, page, axe):
    """On a phone: the staff list and her page say Priya has left (the MIS roster), not "no password
    yet", and her page offers no first password, reset or reactivation."""
    willow["teacher"].mis_left = True
    db.session.commit()
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, "head@willow.example")
    page.get_by_role("link", name=re.compile("^Staff")).click()
    listed = page.get_by_text("p.shah@willow.example · Teacher · has left (your MIS roster): can't sign in")
    expect(listed).to_be_visible()
    expect(page.get_by_text("no password yet")).to_have_count(0)
    assert_accessible(axe, page)
    page.get_by_role("link", name="Priya Shah").click()
    expect(page.get_by_role("heading", name="Priya Shah has left")).to_be_visible()
    expect(page.get_by_text("Your MIS roster says Priya Shah has left the school")).to_be_visible()
    for button in ("Set the password and let Priya Shah sign in", "Reset password", "Let Priya Shah sign in again"):
        expect(page.get_by_role("button", name=button)).to_have_count(0)
    fits_the_screen(page)
    assert_accessible(axe, page)


def test_the_sync_forms_say_what_is_wrong_in_the_page_not_in_a_browser_bubble(live_server, willow, page, axe):
    """QA: the webhook, token and export forms left checking to the browser (no novalidate, unlike every other
    form): "not a url" got Chromium's own bubble, gone at the next tap, and never the page's words beside the
    field with the focus on it."""
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, "head@willow.example")
    page.goto(live_server.url + "/admin/sync/webhooks")
    page.get_by_label("Endpoint URL").fill("not a url")
    page.get_by_role("button", name="Add the endpoint").click()
    expect(page.get_by_text("Enter a full URL, like https://connector.example/rrp.")).to_be_visible()
    expect(page.get_by_label("Endpoint URL")).to_be_focused()
    expect(page.get_by_label("Endpoint URL")).to_have_value("not a url")
    assert_accessible(axe, page)
    page.goto(live_server.url + "/admin/sync/tokens")
    page.get_by_role("button", name="Create a token").click()
    expect(page.get_by_text("Say what the token is for.")).to_be_visible()
    expect(page.get_by_label("What the token is for")).to_be_focused()
    page.goto(live_server.url + "/admin/sync/export")
    page.get_by_role("button", name="Download CSV").click()
    expect(page.get_by_text("Choose the first day.")).to_be_visible()
    expect(page.get_by_label("From")).to_be_focused()
    assert_accessible(axe, page)
