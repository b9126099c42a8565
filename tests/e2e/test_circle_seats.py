"""Who is in a circle, in real Chromium at 360 px: a pupil who has to go leaves from their own phone
(asked first), the piece they held moves on and the keeper's screen shows it live, their phone says
they have left with the way to join again (a pupil not let in yet stops waiting instead); a late
joiner is offered only the names not in the circle yet; and the summary lists the pupil who left
early. axe-core on every screen visited."""
import re
from urllib.parse import urlparse

from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, assert_accessible, scripts_held
from tests.e2e.test_circle_flow import FINISHED, LIVE, start_a_circle
from tests.e2e.test_circle_live import AUTO_ADMIT, join_at, join_link, start_check_in_round

LEAVE_QUESTION = "Leave the circle? You can join again with the code."
WAITING_QUESTION = "Stop waiting to join the circle? You can join again with the code."


def test_a_pupil_leaves_holding_the_piece_and_the_summary_says_they_left_early(new_device, live_server, axe,
                                                                              cedar_class):
    keeper = start_a_circle(new_device, live_server, PHONE, AUTO_ADMIT)
    url = join_link(keeper)
    amira = join_at(new_device, url, "Amira S.", viewport=PHONE)
    ben = join_at(new_device, url, "Ben J.", viewport=PHONE)
    keeper.get_by_role("button", name=FINISHED).click()
    expect(amira.get_by_text("You have the talking piece")).to_be_visible(timeout=LIVE)
    expect(ben.locator("#p-piece")).to_contain_text("You're next.")
    seats = keeper.get_by_role("list", name="Seats in circle order")
    expect(seats).to_contain_text("Amira S.")
    assert_accessible(axe, amira)

    # Asked first: "Cancel" keeps her in the circle, holding the piece.
    questions = []
    amira.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    amira.get_by_role("button", name="Leave the circle").click()
    expect(amira.get_by_text("You have the talking piece")).to_be_visible()
    assert questions == [LEAVE_QUESTION]

    amira.once("dialog", lambda dialog: dialog.accept())
    amira.get_by_role("button", name="Leave the circle").click()
    expect(amira.get_by_role("heading", name="You've left the circle")).to_be_visible()
    assert_accessible(axe, amira)

    # Everyone else's screens change live: the piece moves on to Ben, who was next.
    expect(ben.get_by_text("You have the talking piece")).to_be_visible(timeout=LIVE)
    expect(keeper.get_by_text("Ben J. has the talking piece")).to_be_visible(timeout=LIVE)
    expect(seats).not_to_contain_text("Amira S.", timeout=LIVE)
    expect(keeper.get_by_label("Who is it about?").get_by_role("option", name="Amira S. (left the circle)")) \
        .to_be_attached(timeout=LIVE)
    assert_accessible(axe, keeper)
    assert_accessible(axe, ben)

    # A late joiner on the class tablet: Ben is in the circle, so his name is not offered; Amira's is again.
    chloe = new_device(viewport=PHONE).new_page()
    chloe.goto(url)
    names = chloe.get_by_role("group", name="Tap your name")
    expect(names.get_by_role("radio")).to_have_count(2)
    expect(names.get_by_label("Amira S.")).to_be_visible()
    expect(names.get_by_label("Chloe P.")).to_be_visible()
    expect(names.get_by_label("Ben J.")).to_have_count(0)
    assert_accessible(axe, chloe)
    names.get_by_label("Chloe P.").check()
    chloe.get_by_role("button", name="Join the circle").click()
    expect(chloe.get_by_text("Ben J. has the talking piece")).to_be_visible(timeout=LIVE)

    # Amira's way back in leads to the names, hers among them.
    amira.get_by_role("link", name="Join the circle again").click()
    expect(amira.get_by_role("heading", name="Join the circle")).to_be_visible()
    expect(amira.get_by_label("Amira S.")).to_be_visible()
    expect(amira.get_by_label("Chloe P.")).to_have_count(0)
    assert_accessible(axe, amira)

    keeper.on("dialog", lambda dialog: dialog.accept())
    keeper.get_by_role("button", name="Close the circle").click()
    expect(keeper.get_by_role("heading", name=re.compile("summary"))).to_be_visible()
    took_part = keeper.get_by_role("region", name=re.compile("Who took part"))
    expect(took_part.get_by_role("heading")).to_have_text("Who took part (3)")
    expect(took_part).to_contain_text("Amira S. (left early), Ben J., Chloe P.")
    assert_accessible(axe, keeper)


def test_the_keeper_is_told_politely_who_left_and_not_who_they_removed(new_device, live_server, axe, cedar_class):
    """The keeper's phone says "<name> left the circle." in a status region that was there (empty)
    before, so a screen reader reads it out; passes keep it, the keeper's next round takes it away;
    a seat the keeper removed is not announced (the keeper did that)."""
    keeper = start_a_circle(new_device, live_server, PHONE, AUTO_ADMIT)
    url = join_link(keeper)
    amira = join_at(new_device, url, "Amira S.")
    ben = join_at(new_device, url, "Ben J.")
    notice = keeper.locator("#k-notice")
    expect(notice).to_have_attribute("role", "status")
    expect(notice).to_have_text("")
    seats = keeper.get_by_role("list", name="Seats in circle order")
    expect(seats).to_contain_text("Ben J.", timeout=LIVE)

    amira.once("dialog", lambda dialog: dialog.accept())
    amira.get_by_role("button", name="Leave the circle").click()
    expect(amira.get_by_role("heading", name="You've left the circle")).to_be_visible()
    expect(keeper.get_by_role("status").filter(has_text="Amira S. left the circle.")).to_be_visible(timeout=LIVE)
    expect(seats).not_to_contain_text("Amira S.")
    assert_accessible(axe, keeper)

    keeper.get_by_role("button", name=FINISHED).click()  # the piece goes round: the notice stays
    expect(ben.get_by_text("You have the talking piece")).to_be_visible(timeout=LIVE)
    ben.get_by_role("button", name=FINISHED).click()
    expect(keeper.get_by_text("You have the talking piece")).to_be_visible(timeout=LIVE)
    expect(notice).to_have_text("Amira S. left the circle.")

    keeper.get_by_label("Or type a question").fill("What are you looking forward to today?")
    keeper.get_by_role("button", name="Start the round").click()
    expect(notice).to_have_text("", timeout=LIVE)

    keeper.on("dialog", lambda dialog: dialog.accept())
    seats.get_by_text("More for Ben J.").click()
    keeper.get_by_role("button", name="Remove Ben J.").click()
    expect(seats).not_to_contain_text("Ben J.", timeout=LIVE)
    expect(ben.get_by_text(re.compile("not in this circle|taken out", re.I))).to_be_visible(timeout=LIVE)
    expect(notice).to_have_text("")
    assert_accessible(axe, keeper)


def test_a_pupil_still_waiting_can_stop_waiting_and_once_let_in_can_leave(new_device, live_server, axe, cedar_class):
    """A pupil the keeper has not let in yet is not in the circle: their way out says "Stop waiting", with
    its own question; once the keeper lets them in (the page open, the change arriving live) it says
    "Leave the circle". A pupil who stops waiting is told so, not that they left the circle."""
    keeper = start_a_circle(new_device, live_server, PHONE, "Morning / check-in circle")
    url = join_link(keeper)
    amira = join_at(new_device, url, "Amira S.", viewport=PHONE)
    expect(amira.get_by_text("Nearly there!")).to_be_visible()
    stop = amira.get_by_role("button", name="Stop waiting")
    leave = amira.get_by_role("button", name="Leave the circle")
    expect(stop).to_be_visible()
    expect(leave).to_have_count(0)
    assert_accessible(axe, amira)
    questions = []
    amira.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    stop.click()
    expect(amira.get_by_text("Nearly there!")).to_be_visible()
    assert questions == [WAITING_QUESTION]
    expect(stop).to_be_focused()  # her page's scripts had come (its live stream was open) before this tap

    keeper.get_by_role("button", name="Let Amira S. in").click()
    expect(amira.get_by_text("Ms Keeper has the talking piece")).to_be_visible(timeout=LIVE)
    expect(leave).to_be_visible()
    expect(leave).to_be_focused()  # the focus was on "Stop waiting": it moves to what took its place
    expect(stop).to_have_count(0)
    assert_accessible(axe, amira)
    amira.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    leave.click()
    expect(amira.get_by_text("Ms Keeper has the talking piece")).to_be_visible()
    assert questions == [WAITING_QUESTION, LEAVE_QUESTION]

    ben = join_at(new_device, url, "Ben J.", viewport=PHONE)
    ben.once("dialog", lambda dialog: dialog.accept())
    ben.get_by_role("button", name="Stop waiting").click()
    expect(ben.get_by_role("heading", name="You stopped waiting")).to_be_visible()
    expect(ben.get_by_role("link", name="Join the circle")).to_be_visible()
    assert_accessible(axe, ben)
    expect(keeper.get_by_role("status").filter(has_text="Ben J. left before being let in.")).to_be_visible(timeout=LIVE)
    expect(keeper.get_by_role("button", name="Let Ben J. in")).to_have_count(0)


def test_let_in_by_polling_moves_the_focus_from_stop_waiting_to_leave_the_circle(new_device, live_server, axe,
                                                                                 cedar_class):
    """The school's web filter blocks the live stream, so the pupil's phone polls. The keeper lets in a pupil
    whose focus is on "Stop waiting": the poll brings the change, and the focus moves to "Leave the circle",
    which took its place, as it does when the change arrives live - not lost at the top of the page."""
    keeper = start_a_circle(new_device, live_server, PHONE, "Morning / check-in circle")
    amira = join_at(new_device, join_link(keeper), "Amira S.", viewport=PHONE, block_stream=True)
    expect(amira.get_by_text("Nearly there!")).to_be_visible()
    stop = amira.get_by_role("button", name="Stop waiting")
    leave = amira.get_by_role("button", name="Leave the circle")
    amira.once("dialog", lambda dialog: dialog.dismiss())
    stop.click()  # asked, and she stays waiting, the focus on "Stop waiting"
    expect(stop).to_be_focused()
    polled = []
    amira.on("response", lambda response: polled.append(response.url) if "/seat/part/p-piece" in response.url
             else None)

    keeper.get_by_role("button", name="Let Amira S. in").click()
    # the stream being blocked, the page asks every few seconds (after waiting a few for the stream first)
    expect(amira.get_by_text("Ms Keeper has the talking piece")).to_be_visible(timeout=20_000)
    assert polled, "the change came by polling"
    expect(leave).to_be_visible()
    expect(leave).to_be_focused()  # the focus was on "Stop waiting": it moves to what took its place
    expect(stop).to_have_count(0)
    assert_accessible(axe, amira)


CIRCLE_JS = re.compile(r"/static/js/circle\.js(\?.*)?$")


def test_a_focus_on_stop_waiting_from_before_the_scripts_ran_still_moves_to_leave_the_circle(new_device, live_server,
                                                                                          axe, cedar_class):
    """A slow tablet: the pupil's focus comes to "Stop waiting" (she taps it, and cancels) while the page's
    scripts are still coming - the seat shows first. Once they have come and the keeper lets her in, the
    focus moves to "Leave the circle", which took its place, as when her tap came after them. (Before the
    fix the focus was lost to the top of the page - the likely cause of the polled test's one CI failure:
    with the stream blocked it does not wait for the scripts, and on a busy machine it can tap first.)"""
    keeper = start_a_circle(new_device, live_server, PHONE, "Morning / check-in circle")
    # route handlers do not see what a service worker answers, so this device runs none
    context = new_device(viewport=PHONE, service_workers="block")
    amira = context.new_page()
    amira.goto(join_link(keeper))
    held = []
    scripts_held(context)
    context.route(CIRCLE_JS, lambda route: held.append(route))  # the seat's circle.js is slow to come
    amira.get_by_label("Amira S.").check()
    amira.get_by_role("button", name="Join the circle").click()
    expect(amira.get_by_text("Nearly there!")).to_be_visible()
    amira.wait_for_function("() => window.rrpEarlyTap === true")  # it asks before "Stop waiting" is sent
    stop = amira.get_by_role("button", name="Stop waiting")
    leave = amira.get_by_role("button", name="Leave the circle")
    amira.once("dialog", lambda dialog: dialog.dismiss())
    stop.click()
    expect(stop).to_be_focused()
    assert held, "circle.js was still held back when the focus came to Stop waiting"

    with amira.expect_response(lambda r: urlparse(r.url).path.endswith("/seat/live") and r.status == 200):
        held.pop().continue_()  # circle.js comes; then htmx starts and opens the live stream
    keeper.get_by_role("button", name="Let Amira S. in").click()
    expect(amira.get_by_text("Ms Keeper has the talking piece")).to_be_visible(timeout=LIVE)
    expect(leave).to_be_visible()
    expect(leave).to_be_focused()  # the focus was on "Stop waiting": it moves to what took its place
    expect(stop).to_have_count(0)
    assert_accessible(axe, amira)


def test_the_first_pupils_tab_on_a_shared_tablet_does_not_become_the_next_pupils_seat_unsaid(new_device, live_server,
                                                                                              axe, cedar_class):
    """Amira's seat is open in a tab of the class tablet, its stream down (it polls); Ben scans the code on the
    same tablet, a new tab, and joins. Amira's tab, still saying "You are Amira S.", showed Ben's screen as its
    polls came back - his check-in buttons under her name, a tap on them his answer. It now goes to the seat
    page, which says whose the tablet is now."""
    keeper = start_a_circle(new_device, live_server, PHONE, AUTO_ADMIT)
    start_check_in_round(keeper)
    link = join_link(keeper)
    amira = join_at(new_device, link, "Amira S.", block_stream=True)
    amira.get_by_role("button", name="Good").click()
    expect(amira.get_by_text("Thank you for checking in.")).to_be_visible()

    ben = amira.context.new_page()  # the same tablet: its cookies
    ben.goto(link)
    ben.get_by_label("Ben J.").check()
    ben.get_by_role("button", name="Join the circle").click()
    expect(ben.get_by_text("You are Ben J.")).to_be_visible()

    expect(amira.get_by_text("You are Ben J.")).to_be_visible(timeout=20_000)
    expect(amira.get_by_text("You are Amira S.")).to_have_count(0)
    assert_accessible(axe, amira)
