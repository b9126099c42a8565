"""A tap that cannot be done says so where the person is looking, in real Chromium on a 360 px phone:
a keeper's controls are well down the circle page, and a tap there with no signal, or on a
connection that stalls, is answered by a message in view that says plainly whether it was done;
the tapped button looks busy while its request is on its way."""
import re
import time

import pytest
from playwright.sync_api import expect

from rrp_pwa.extensions import db
from tests.conftest import PASSWORD, make_group, make_pupil, make_school, make_staff
from tests.e2e.conftest import PHONE, assert_accessible, go_offline
from tests.test_oneroster import package

NOT_DONE = "Not done: there is no connection. Try again when you have signal."
NO_ANSWER = "No answer: the connection is too slow, so this may not have been done. Check, then try again."


@pytest.fixture
def school(data_app):
    school = make_school()
    keeper = make_staff(school, roles=("teacher",), email="keeper@brook.example", name="Ms Keeper")
    pupils = [make_pupil(school, given=given, family=family)
              for given, family in (("Amira", "Smith"), ("Ben", "Jones"), ("Chloe", "Patel"), ("Dev", "Shah"),
                                    ("Ella", "Brown"), ("Finn", "Walsh"))]
    make_group(school, "Year 5 Cedar", pupils=pupils, staff=[keeper])
    db.session.commit()
    return keeper


def open_a_circle(page, base_url: str) -> None:
    """The keeper, on a phone, opens a morning circle for Year 5 Cedar."""
    page.set_viewport_size(PHONE)
    page.goto(base_url + "/sign-in")
    page.get_by_label("Email").fill("keeper@brook.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Hello, Ms Keeper")).to_be_visible()
    page.goto(base_url + "/circles/new")
    page.get_by_label("Who is it for?").select_option(label="Year 5 Cedar")
    page.get_by_role("button", name="Start the circle").click()
    expect(page.get_by_role("heading", name="Morning / check-in circle")).to_be_visible()


def a_control_below_the_first_screen(page, name: str):
    button = page.get_by_role("button", name=name)
    assert button.bounding_box()["y"] > PHONE["height"], f"{name} is on the first screen: the test would prove nothing"
    button.scroll_into_view_if_needed()
    return button


def test_a_tap_low_on_the_page_with_no_signal_says_it_was_not_done_in_view(cable, school, page, context, axe):
    open_a_circle(page, cable.url)
    reverse = a_control_below_the_first_screen(page, "Reverse direction")
    go_offline(context, cable)
    reverse.click()
    message = page.get_by_role("alert").filter(has_text="Not done")
    expect(message).to_have_text(NOT_DONE)
    expect(message).to_be_in_viewport()
    expect(page.get_by_role("button", name="Dismiss")).to_be_in_viewport()
    expect(reverse).not_to_have_attribute("aria-busy", "true")
    assert_accessible(axe, page)
    page.emulate_media(color_scheme="dark")
    assert_accessible(axe, page)

    page.get_by_role("button", name="Dismiss").click()
    expect(page.get_by_role("alert")).to_have_count(0)
    reverse.click()  # still no signal: said again, each time
    expect(message).to_be_in_viewport()

    go_offline(context, cable, False)
    with page.expect_response(re.compile(r"/reverse$")) as answer:
        reverse.click()
    assert answer.value.status == 200
    expect(page.get_by_role("alert")).to_have_count(0)


def test_a_tap_on_a_stalled_connection_looks_busy_then_says_it_may_not_have_been_done(live_server, school, page, axe):
    open_a_circle(page, live_server.url)
    stalled = []

    def stall(route):
        stalled.append(route)  # the request goes nowhere, and no answer comes

    page.route(re.compile(r"/reverse$"), stall)
    reverse = a_control_below_the_first_screen(page, "Reverse direction")
    reverse.click()
    expect(reverse).to_have_attribute("aria-busy", "true")
    assert reverse.evaluate("(button) => getComputedStyle(button, '::after').borderTopStyle") != "none"
    assert len(stalled) == 1
    message = page.get_by_role("alert").filter(has_text="No answer")
    expect(message).to_have_text(NO_ANSWER, timeout=25_000)  # htmx gives up after 15 s
    expect(message).to_be_in_viewport()
    expect(reverse).not_to_have_attribute("aria-busy", "true")
    assert_accessible(axe, page)


def test_a_roster_upload_on_a_slow_line_is_not_cut_off(live_server, data_app, page):
    """A whole school's package can take longer than a tap is given: its upload shows its own progress."""
    make_staff(make_school(), ("admin",), email="head@brook.example", name="Ada Admin")
    db.session.commit()
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/sign-in")
    page.get_by_label("Email").fill("head@brook.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Hello, Ada Admin")).to_be_visible()
    page.goto(live_server.url + "/admin/sync/roster")

    def slow_line(route):
        if route.request.method == "POST":
            time.sleep(17)  # longer than the 15 s after which a tap is given up
        route.continue_()

    page.route(re.compile(r"/admin/sync/roster$"), slow_line)
    page.get_by_label("OneRoster package (ZIP)").set_input_files(
        files=[{"name": "roster.zip", "mimeType": "application/zip", "buffer": package("small_school")}])
    page.get_by_role("button", name="Check the package").click()
    expect(page.get_by_role("heading", name="Check the roster changes")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("alert")).to_have_count(0)
