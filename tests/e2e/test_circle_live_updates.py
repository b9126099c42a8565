"""Live updates keep what a person is in the middle of doing, in real Chromium: a pupil's tap that
is still going down when someone else's change arrives counts, and the keeper's half-filled forms
keep their ticks and their choice while pupils join."""
import re

import pytest
from playwright.sync_api import expect

from rrp_pwa.extensions import db
from tests.conftest import PASSWORD, make_group, make_pupil, make_school, make_staff
from tests.e2e.conftest import PHONE, TABLET, assert_accessible

LIVE = 10_000  # ms: generous for a shared 2-core machine; SSE normally delivers in milliseconds


@pytest.fixture
def school(data_app):
    school = make_school()
    keeper = make_staff(school, roles=("teacher",), email="keeper@brook.example", name="Ms Keeper")
    pupils = [make_pupil(school, given=given, family=family)
              for given, family in (("Amira", "Smith"), ("Ben", "Jones"), ("Chloe", "Patel"))]
    make_group(school, "Year 5 Cedar", pupils=pupils, staff=[keeper])
    db.session.commit()
    return keeper


@pytest.fixture
def keeper(new_device, live_server, school):
    """The keeper's phone, signed in, with a circle open that lets pupils in as they join."""
    page = new_device(viewport=PHONE, base_url=live_server.url).new_page()
    page.goto("/sign-in")
    page.get_by_label("Email").fill("keeper@brook.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/circles/new")
    page.get_by_label("Who is it for?").select_option(label="Year 5 Cedar")
    page.get_by_label("Let people in as soon as they join (auto-admit)").check()
    page.get_by_role("button", name="Start the circle").click()
    expect(page.get_by_role("heading", name="Morning / check-in circle")).to_be_visible()
    return page


def join(new_device, live_server, keeper, name: str):
    page = new_device(viewport=TABLET, base_url=live_server.url).new_page()
    page.goto(keeper.get_by_role("link", name="Join link").get_attribute("href"))
    page.get_by_label(name).check()
    page.get_by_role("button", name="Join the circle").click()
    expect(page.get_by_text("Ms Keeper has the talking piece")).to_be_visible(timeout=LIVE)
    return page


def test_a_tap_that_is_going_down_as_a_live_update_arrives_still_counts(new_device, live_server, axe, keeper):
    amira = join(new_device, live_server, keeper, "Amira S.")
    ben = join(new_device, live_server, keeper, "Ben J.")
    keeper.get_by_text("Record an agreement").click()
    keeper.get_by_label("What has been agreed").fill("We listen to whoever holds the talking piece")
    keeper.get_by_role("button", name="Save the agreement").click()
    agree = ben.get_by_role("button", name=re.compile("I agree"))
    expect(agree).to_be_visible(timeout=LIVE)
    expect(ben.get_by_text("0 of 2 agreed")).to_be_visible()

    # Ben's finger is on "I agree" when Amira's agreement reaches his tablet; he lifts it after.
    box = agree.bounding_box()
    ben.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    ben.mouse.down()
    amira.get_by_role("button", name=re.compile("I agree")).click()
    expect(ben.get_by_text("1 of 2 agreed")).to_be_visible(timeout=LIVE)
    ben.mouse.up()

    expect(ben.get_by_text("2 of 2 agreed")).to_be_visible(timeout=LIVE)
    expect(agree).to_have_count(0)
    expect(keeper.get_by_text("2 of 2 agreed")).to_be_visible(timeout=LIVE)
    assert_accessible(axe, ben)


def test_the_keepers_ticks_and_choice_stay_as_pupils_join(new_device, live_server, axe, keeper):
    join(new_device, live_server, keeper, "Amira S.")
    join(new_device, live_server, keeper, "Ben J.")
    keeper.get_by_text("Record an agreement").click()
    keeper.get_by_label("Action (who will do what, by when)").check()
    keeper.get_by_label("What has been agreed").fill("Ben tidies the reading corner")
    who = keeper.get_by_role("group", name=re.compile("^Who"))
    who.get_by_label("Ben J.").check()
    keeper.get_by_text("Raise a concern").click()
    keeper.get_by_label("Who is it about?").select_option(label="Ben J.")

    join(new_device, live_server, keeper, "Chloe P.")
    expect(who.get_by_label("Chloe P.")).to_be_visible(timeout=LIVE)
    expect(keeper.get_by_label("Who is it about?").get_by_role("option", name="Chloe P.")).to_be_attached()
    expect(who.get_by_label("Ben J.")).to_be_checked()
    expect(who.get_by_label("Amira S.")).not_to_be_checked()
    expect(who.get_by_label("Chloe P.")).not_to_be_checked()
    expect(keeper.get_by_label("Who is it about?")).to_have_value(
        keeper.get_by_label("Who is it about?").get_by_role("option", name="Ben J.").get_attribute("value"))
    assert_accessible(axe, keeper)

    # The action saved is Ben's alone: the tick that stayed is the one that counts.
    keeper.get_by_role("button", name="Save the agreement").click()
    expect(keeper.get_by_text("Ben tidies the reading corner")).to_be_visible()
    expect(keeper.get_by_text("Who: Ben J.")).to_be_visible()
