"""A pupil's circle phone with no signal, in real Chromium with the service worker active: their seat (or a
joining page) reloaded offline shows the pupils' offline page - no staff words, their place kept, a Try again
that brings the seat back - while the keeper's screen reloaded offline still shows the staff one."""
import re
import time

from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, TABLET, assert_accessible, go_offline, wait_for_service_worker
from tests.e2e.test_circle_flow import start_a_circle
from tests.e2e.test_circle_live import AUTO_ADMIT, join_at, join_link

STAFF_WORDS = re.compile(r"Designated Safeguarding Lead|Record offline|signed in|You're offline")
NO_SIGNAL = "No signal just now"


def expect_the_pupils_offline_page(page, axe) -> None:
    expect(page.get_by_role("heading", level=1, name=NO_SIGNAL)).to_be_visible()
    expect(page.get_by_text("Your place is kept.")).to_be_visible()
    expect(page.get_by_text("tell the adult keeping the circle")).to_be_visible()
    expect(page.get_by_role("link", name="Try again")).to_be_visible()
    expect(page.get_by_text(STAFF_WORDS)).to_have_count(0)
    expect(page.get_by_role("link", name="Record offline")).to_have_count(0)
    for viewport in (PHONE, TABLET):
        page.set_viewport_size(viewport)
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], viewport
    page.set_viewport_size(PHONE)
    assert_accessible(axe, page)


def test_a_pupils_seat_reloaded_with_no_signal_says_their_place_is_kept_and_comes_back(new_device, cable, axe,
                                                                                       cedar_class):
    """Amira's phone loses its signal in the circle and she reloads her seat: she is told, in her words, that
    there is no signal and her place is kept, not given the staff page (the Designated Safeguarding Lead, Record
    offline). Try again, once the signal is back, brings her seat back. The joining page does the same. Ms Keeper's
    own circle screen, reloaded with no signal, still shows the staff offline page."""
    keeper = start_a_circle(new_device, cable, PHONE, AUTO_ADMIT)
    join_url = join_link(keeper)
    amira = join_at(new_device, join_url, "Amira S.", viewport=PHONE)
    seat_url = amira.url
    assert re.search(r"/circles/\d+/seat$", seat_url)
    wait_for_service_worker(amira)
    wait_for_service_worker(keeper)

    go_offline(amira.context, cable)
    keeper.context.set_offline(True)
    amira.reload()
    expect_the_pupils_offline_page(amira, axe)
    expect(amira).to_have_url(seat_url)  # Try again reloads this address: her seat

    keeper.reload()
    expect(keeper.get_by_role("heading", name="You're offline")).to_be_visible()
    expect(keeper.get_by_role("link", name="Record offline")).to_have_attribute("href", re.compile(r"/capture$"))

    amira.goto(join_url)  # the joining page (a pupil who came Back to the names, or a new joiner)
    expect_the_pupils_offline_page(amira, axe)

    go_offline(amira.context, cable, False)
    keeper.context.set_offline(False)
    amira.get_by_role("link", name="Try again").click()
    expect(amira.get_by_role("heading", name="Join the circle")).to_be_visible()
    amira.get_by_role("link", name="Back to my circle").click()
    expect(amira).to_have_url(seat_url)
    expect(amira.get_by_text("You are Amira S.")).to_be_visible()

    go_offline(amira.context, cable)
    amira.reload()
    expect(amira.get_by_role("heading", name=NO_SIGNAL)).to_be_visible()
    go_offline(amira.context, cable, False)
    amira.get_by_role("link", name="Try again").click()
    expect(amira).to_have_url(seat_url)
    expect(amira.get_by_text("You are Amira S.")).to_be_visible()
    expect(amira.get_by_text(re.compile("has the talking piece|You have the talking piece"))).to_be_visible()


def test_the_keepers_phone_losing_signal_is_not_told_a_concern_may_not_have_gone(new_device, cable, axe, cedar_class):
    """Ms Keeper's phone loses its signal in the circle; she has sent no concern. Her screen polls its live parts,
    the concern form's "Who is it about?" list among them, and each poll fails: that is no signal, said as such
    and gone when the signal is back - not the concern form's own words for a concern that may not have reached
    the DSL ("It may not have been sent... Tell the Designated Safeguarding Lead in person now"), which it said."""
    keeper = start_a_circle(new_device, cable, PHONE, AUTO_ADMIT)
    expect(keeper.get_by_text("You have the talking piece.")).to_be_visible()
    failed_polls = []
    keeper.on("requestfailed", lambda request: "/part/k-concern-who" in request.url and failed_polls.append(request))

    go_offline(keeper.context, cable)
    expect(keeper.get_by_text("No connection just now. Try again when you have signal.")).to_be_visible()
    deadline = time.monotonic() + 20
    while len(failed_polls) < 2:  # the concern list's poll has failed, and failed again
        assert time.monotonic() < deadline, "the concern list was not polled"
        keeper.wait_for_timeout(250)
    expect(keeper.get_by_text("It may not have been sent")).to_have_count(0)
    expect(keeper.get_by_text("Tell the Designated Safeguarding Lead in person now")).to_have_count(0)
    assert_accessible(axe, keeper)

    go_offline(keeper.context, cable, False)
    expect(keeper.get_by_text("No connection just now")).to_have_count(0)
