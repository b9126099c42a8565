"""A live circle tapped before the page's scripts have run, in real Chromium on a 360 px phone: a slow
phone still downloading htmx (here: held back until the test ends, so no deferred script runs) sends
the control as a plain form POST with the page's CSRF token, the change is made and published, and
the screen comes back showing it; a destructive control still asks first. A tap in the moment before
early-tap.js itself has arrived has no token: nothing changes, and the screen comes back saying the tap
came before it was ready, so tap again (rrp_pwa/circles/early_tap.py) - not "Bad request"."""
import re

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, TABLET, assert_accessible, scripts_held
from tests.e2e.test_circle_flow import FINISHED, LIVE, start_a_circle
from tests.e2e.test_circle_live import AUTO_ADMIT, join_at, join_link

HTMX = re.compile(r"/static/vendor/htmx-[\d.]+\.min\.js")
FIRST_SCRIPTS = re.compile(r"/static/(js/early-tap\.js|vendor/htmx-[\d.]+\.min\.js)")
TAP_AGAIN = "That tap came before the screen was ready, so nothing changed. Please tap again."


def hold_htmx(context) -> list:
    """Hold back the htmx script on this device: the deferred scripts run in order, so none of them
    (htmx, its live-update extension, app.js, circle.js) runs while it is held. Route handlers do not
    see what a service worker answers, so such a device runs none (``service_workers="block"``)."""
    held = []
    scripts_held(context)
    context.route(HTMX, lambda route: held.append(route))
    return held


def open_early(page, path: str) -> None:
    """Open a page without waiting for its deferred scripts (its load event never comes while htmx is held),
    once early-tap.js - async, 1 KB, fetched beside the stylesheets - is listening. (A tap in the few
    milliseconds before it has arrived is a plain POST without the page's CSRF token: see
    ``test_a_tap_before_early_tap_js_has_arrived_changes_nothing_and_says_tap_again``.)"""
    page.goto(path, wait_until="commit")
    page.wait_for_function("() => window.rrpEarlyTap === true")


def keeper_and_amira(new_device, live_server, amiras_viewport):
    """A keeper's phone with an auto-admitting circle open, and Amira let in on a device of her own; neither
    runs a service worker (route handlers do not see what one answers). The keeper, the circle's path, its
    join link and Amira's page."""
    keeper = start_a_circle(new_device, live_server, PHONE, AUTO_ADMIT, service_workers="block")
    circle_path = re.search(r"/circles/\d+", keeper.url).group(0)
    link = join_link(keeper)
    amira = new_device(viewport=amiras_viewport, base_url=live_server.url, service_workers="block").new_page()
    amira.goto(link)
    amira.get_by_label("Amira S.").check()
    amira.get_by_role("button", name="Join the circle").click()
    expect(amira.get_by_text("Ms Keeper has the talking piece")).to_be_visible()
    return keeper, circle_path, link, amira


def test_taps_before_the_scripts_have_run_pass_the_piece_on(new_device, live_server, axe, cedar_class):
    keeper, circle_path, link, amira = keeper_and_amira(new_device, live_server, TABLET)
    ben = join_at(new_device, link, "Ben J.")  # his tablet's scripts run: he sees each change live
    expect(ben.get_by_text("Ms Keeper has the talking piece")).to_be_visible(timeout=LIVE)

    held = hold_htmx(keeper.context)
    open_early(keeper, circle_path)
    keeper.get_by_role("button", name=FINISHED).click()
    expect(keeper.get_by_text("Amira S. has the talking piece.")).to_be_visible()
    assert keeper.url.endswith(f"{circle_path}#ring-h"), "back at the talking piece, not the top of the page"
    assert held, "htmx was still held back"
    expect(ben.get_by_text("Amira S. has the talking piece")).to_be_visible(timeout=LIVE)
    assert_accessible(axe, keeper)

    keeper.get_by_text("More for Ben J.").click()
    asked = []
    keeper.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    keeper.get_by_role("button", name="Remove Ben J.").click()
    expect(keeper.get_by_role("button", name="Remove Ben J.")).to_be_visible()
    assert asked == ["Take Ben J. out of the circle?"], "asked first, once"
    expect(ben.get_by_text("Amira S. has the talking piece")).to_be_visible()

    hold_htmx(amira.context)
    open_early(amira, f"{circle_path}/seat")
    expect(amira.get_by_text("You have the talking piece")).to_be_visible()
    assert_accessible(axe, amira)
    amira.get_by_role("button", name=FINISHED).click()
    expect(amira.get_by_text("Ben J. has the talking piece")).to_be_visible()
    expect(ben.get_by_text("You have the talking piece")).to_be_visible(timeout=LIVE)
    assert_accessible(axe, amira)


class FirstScriptsHeld:
    """A phone on a slow line still downloading every script of the page: early-tap.js and htmx (the
    deferred scripts run in order, so none of them runs) are held back until ``release``. Route
    handlers do not see what a service worker answers, so such a device runs none."""

    def __init__(self, context) -> None:
        self.context, self.held = context, []
        scripts_held(context)
        context.route(FIRST_SCRIPTS, self.hold)

    def hold(self, route) -> None:
        self.held.append(route)

    def release(self) -> None:
        self.context.unroute(FIRST_SCRIPTS, self.hold)
        for route in self.held:
            try:
                route.continue_()
            except PlaywrightError:
                pass  # the page that asked for it has gone: the tap's navigation cancelled the request


def tap_before_the_scripts(page, path: str, button: str) -> None:
    """Open ``path`` with its scripts held back and tap ``button`` as soon as it shows; then let the
    scripts come, as they do a moment later on a slow line."""
    scripts = FirstScriptsHeld(page.context)
    page.goto(path, wait_until="commit")
    expect(page.get_by_role("button", name=button)).to_be_visible()
    assert page.evaluate("() => window.rrpEarlyTap === undefined && window.htmx === undefined"), "no script yet"
    page.get_by_role("button", name=button).click()
    scripts.release()


def test_a_tap_before_early_tap_js_has_arrived_changes_nothing_and_says_tap_again(
        new_device, live_server, axe, cedar_class):
    keeper, circle_path, link, amira = keeper_and_amira(new_device, live_server, PHONE)
    ben = join_at(new_device, link, "Ben J.")  # his tablet's scripts run: he sees each change live
    expect(ben.get_by_text("Ms Keeper has the talking piece")).to_be_visible(timeout=LIVE)

    tap_before_the_scripts(keeper, circle_path, FINISHED)
    expect(keeper.get_by_role("status").filter(has_text=TAP_AGAIN)).to_be_in_viewport()  # where the phone has scrolled to
    assert keeper.url.endswith(f"{circle_path}#ring-h"), "back at the talking piece, where the tap was"
    expect(keeper.get_by_text("You have the talking piece")).to_be_visible()
    expect(keeper.get_by_text("Bad request")).to_have_count(0)
    assert_accessible(axe, keeper)
    keeper.wait_for_function("() => window.rrpEarlyTap === true && window.htmx !== undefined")
    expect(ben.get_by_text("Ms Keeper has the talking piece")).to_be_visible()
    keeper.get_by_role("button", name=FINISHED).click()  # tapped again: done
    expect(keeper.get_by_text("Amira S. has the talking piece.")).to_be_visible()
    expect(ben.get_by_text("Amira S. has the talking piece")).to_be_visible(timeout=LIVE)

    tap_before_the_scripts(amira, f"{circle_path}/seat", FINISHED)
    expect(amira.get_by_role("status").filter(has_text=TAP_AGAIN)).to_be_in_viewport()  # where the phone has scrolled to
    assert amira.url.endswith(f"{circle_path}/seat#p-piece")
    expect(amira.get_by_text("You have the talking piece")).to_be_visible()
    assert_accessible(axe, amira)
    expect(ben.get_by_text("Amira S. has the talking piece")).to_be_visible()
    amira.wait_for_function("() => window.rrpEarlyTap === true && window.htmx !== undefined")
    amira.get_by_role("button", name=FINISHED).click()
    expect(amira.get_by_text("Ben J. has the talking piece")).to_be_visible()
    expect(ben.get_by_text("You have the talking piece")).to_be_visible(timeout=LIVE)


def test_leave_and_close_tapped_before_the_scripts_are_asked_on_a_page_of_their_own(
        new_device, live_server, axe, cedar_class):
    """Leave the circle and Close the circle tapped before the page's scripts could ask (a slow phone): they
    are not done unasked - a page asks the same question. "No" goes back with nothing changed; yes does it."""
    keeper, circle_path, _, amira = keeper_and_amira(new_device, live_server, PHONE)

    tap_before_the_scripts(amira, f"{circle_path}/seat", "Leave the circle")
    expect(amira.get_by_role("heading", name="Leave the circle?")).to_be_visible()
    expect(amira.get_by_text("You are Amira S.")).to_be_visible()
    assert_accessible(axe, amira)
    amira.get_by_role("link", name="No, go back to the circle").click()
    expect(amira.get_by_text("Ms Keeper has the talking piece")).to_be_visible()
    expect(keeper.get_by_text("More for Amira S.")).to_be_visible()  # still in the ring

    tap_before_the_scripts(amira, f"{circle_path}/seat", "Leave the circle")
    amira.get_by_role("button", name="Leave the circle").click()
    expect(amira.get_by_role("heading", name="You've left the circle")).to_be_visible()
    expect(keeper.get_by_text("Amira S. left the circle.")).to_be_visible(timeout=LIVE)

    tap_before_the_scripts(keeper, circle_path, "Close the circle")
    expect(keeper.get_by_role("heading", name="Close the circle?")).to_be_visible()
    expect(keeper.get_by_text("the code will stop working")).to_be_visible()
    assert_accessible(axe, keeper)
    keeper.get_by_role("link", name="No, go back to the circle").click()
    expect(keeper.get_by_role("button", name="Close the circle")).to_be_visible()
    expect(keeper.get_by_role("button", name=FINISHED)).to_be_visible()  # still open

    tap_before_the_scripts(keeper, circle_path, "Close the circle")
    keeper.get_by_role("button", name="Close the circle").click()
    expect(keeper.get_by_text("The circle is closed.")).to_be_visible()
