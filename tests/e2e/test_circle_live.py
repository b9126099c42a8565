"""The live circle when the connection is poor, and for someone using a keyboard or a screen reader,
in real Chromium: polling only while the stream is down (and as the page asking by itself), a word
being typed kept through updates, the keeper's lists kept up to date without the stream, the focus
kept somewhere sensible when the control just tapped goes away, turning away a wrong name, a move
tapped once moving once, and Back or a double tap on "Join the circle" leading to the pupil's seat."""
import contextlib
import re
import time
from urllib.parse import urlparse

from playwright.sync_api import expect
from sqlalchemy import func, select

from rrp_pwa.extensions import db
from rrp_pwa.models import Group, School
from rrp_pwa.models.circles import Seat
from tests.conftest import PASSWORD, make_staff
from tests.e2e.conftest import PHONE, TABLET, assert_accessible
from tests.e2e.test_circle_flow import FINISHED, LIVE, PASS, start_a_circle

AUTO_ADMIT = "Let people in as soon as they join (auto-admit)"
ONE_DEVICE = "One device: I'll pass this phone or tablet round"
BLOCKED_STREAM = re.compile(r"/live(\?.*)?$")  # a school web filter that blocks event streams


def join_at(new_device, join_url: str, name: str, viewport=TABLET, block_stream: bool = False):
    """A pupil's tablet joins at ``join_url`` as ``name`` (the server's address is in the link), and is
    there once its seat is on the screen and its live stream is open (``block_stream``: its scripts have run): the seat
    shows before the page's scripts have all come, and a test cutting the line then (a blip) cut short
    circle.js, which polls while the stream is down - a page the test did not mean to test."""
    context = new_device(viewport=viewport)
    if block_stream:
        context.route(BLOCKED_STREAM, lambda route: route.abort())
    page = context.new_page()
    page.goto(join_url)
    page.get_by_label(name).check()
    stream_open = contextlib.nullcontext() if block_stream else page.expect_response(
        lambda r: urlparse(r.url).path.endswith("/seat/live") and r.status == 200)
    with stream_open:
        page.get_by_role("button", name="Join the circle").click()
        expect(page.get_by_text(re.compile("Nearly there!|has the talking piece|You have the talking piece"))).to_be_visible()
    if block_stream:  # no stream to wait for: its scripts, then (a tap before them is tested on its own:
        # tests/e2e/test_circle_early_tap.py, and the focus of one in test_circle_seats.py)
        page.wait_for_function("() => document.readyState !== 'loading' && window.rrpEarlyTap === true")
    return page


def join_link(keeper) -> str:
    return keeper.get_by_role("link", name="Join link").get_attribute("href")


def start_check_in_round(keeper, question: str = "How are you feeling this morning?"):
    keeper.get_by_label("Check-in round").check()
    keeper.get_by_label("Or type a question").fill(question)
    keeper.get_by_role("button", name="Start the round").click()


class Requests:
    """The requests a page makes to the server, as (seconds since the start, method, path, headers)."""

    def __init__(self, page) -> None:
        self.started = time.monotonic()
        self.seen: list[tuple[float, str, str, dict]] = []
        page.on("request", lambda r: self.seen.append((time.monotonic() - self.started, r.method, r.url, r.headers)))

    def polls(self, since: float = 0.0) -> list[tuple[float, str, str, dict]]:
        return [r for r in self.seen if "/part/" in r[2] and r[0] >= since]

    def now(self) -> float:
        return time.monotonic() - self.started


def test_a_word_being_typed_survives_a_blip_and_polling_stops_once_the_stream_is_back(
        new_device, live_server, cable, axe, cedar_class):
    keeper = start_a_circle(new_device, live_server, PHONE, AUTO_ADMIT)
    start_check_in_round(keeper)
    amira = join_at(new_device, join_link(keeper).replace(live_server.url, cable.url), "Amira S.")
    expect(amira.get_by_text("How are you feeling this morning?")).to_be_visible()
    requests = Requests(amira)
    word = amira.get_by_label("One word, if you like (optional)")
    word.fill("sleepy")

    # A blip (Wi-Fi drops for a second): the stream comes back and sends the whole screen again.
    with amira.expect_response(lambda r: urlparse(r.url).path.endswith("/seat/live") and r.status == 200, timeout=30_000):
        cable.cut()
        time.sleep(1)
        cable.mend()
    keeper.get_by_role("button", name=FINISHED).click()
    expect(amira.get_by_text("You have the talking piece")).to_be_visible(timeout=LIVE)
    expect(word).to_have_value("sleepy")
    assert requests.polls() == [], "a blip shorter than a few seconds starts no polling"

    # A longer cut (the phone in a pocket): the screen polls, as the page asking by itself...
    cable.cut()
    deadline = time.monotonic() + 20
    while not requests.polls() and time.monotonic() < deadline:
        amira.wait_for_timeout(250)
    polls = requests.polls()
    assert polls, "the screen polls while the stream is down"
    assert all(headers.get("x-rrp-background") == "1" for _, _, _, headers in polls)
    # ... until the stream is back: then no more polls.
    with amira.expect_response(lambda r: urlparse(r.url).path.endswith("/seat/live") and r.status == 200, timeout=40_000):
        cable.mend()
    amira.get_by_role("button", name=FINISHED).click()
    expect(keeper.get_by_text("Everyone has had a turn, and")).to_be_visible(timeout=LIVE)
    back = requests.now()
    amira.wait_for_timeout(8_000)  # more than two polling intervals
    assert requests.polls(since=back + 0.5) == [], "polling stops once the stream is back"
    expect(word).to_have_value("sleepy")
    assert_accessible(axe, amira)


def test_while_the_stream_is_blocked_polls_keep_the_word_and_count_as_no_activity(new_device, live_server, axe, cedar_class):
    keeper = start_a_circle(new_device, live_server, PHONE, AUTO_ADMIT)
    start_check_in_round(keeper)
    amira = join_at(new_device, join_link(keeper), "Amira S.", block_stream=True)
    word = amira.get_by_label("One word, if you like (optional)")
    word.fill("excited")
    for _ in range(2):  # two polls of the round panel come back and are swapped in
        with amira.expect_response(lambda r: "/seat/part/p-round" in r.url and r.status == 200, timeout=20_000) as poll:
            pass
        assert poll.value.request.headers.get("x-rrp-background") == "1"
    expect(word).to_have_value("excited")
    amira.get_by_role("button", name="Good").click()
    expect(amira.get_by_text("Thank you for checking in.")).to_be_visible()
    expect(keeper.get_by_text("“excited”")).to_be_visible(timeout=LIVE)


def test_on_a_shared_device_the_holders_word_survives_the_keepers_tap_but_not_the_next_pupil(
        new_device, live_server, axe, cedar_class):
    keeper = start_a_circle(new_device, live_server, TABLET, ONE_DEVICE)
    start_check_in_round(keeper)
    keeper.get_by_role("button", name=FINISHED).click()
    expect(keeper.get_by_text("Amira S., you have the talking piece")).to_be_visible(timeout=LIVE)
    word = keeper.get_by_label("One word, if you like (optional)")
    word.fill("hungry")
    keeper.get_by_role("button", name="Reverse direction").click()  # the piece panel is drawn again
    expect(keeper.get_by_text("going backwards")).to_be_visible(timeout=LIVE)
    expect(word).to_have_value("hungry")
    keeper.get_by_role("button", name=PASS).click()  # Amira passes without checking in
    expect(keeper.get_by_text("Chloe P., you have the talking piece")).to_be_visible(timeout=LIVE)
    expect(word).to_have_value("")  # Chloe does not see Amira's word
    assert_accessible(axe, keeper)


def circle_on_a_phone_and_a_tablet(new_device, live_server):
    """The keeper opens a circle on their phone and signs in on a tablet too, at the same circle."""
    phone = start_a_circle(new_device, live_server, PHONE, AUTO_ADMIT)
    tablet = new_device(viewport=TABLET, base_url=live_server.url).new_page()
    tablet.goto("/sign-in")
    tablet.get_by_label("Email").fill("keeper@brook.example")
    tablet.get_by_label("Password").fill(PASSWORD)
    tablet.get_by_role("button", name="Sign in").click()
    tablet.goto(phone.url)
    expect(tablet.get_by_role("heading", name="Morning / check-in circle")).to_be_visible()
    return phone, tablet


def test_the_keepers_second_device_goes_to_the_summary_when_the_circle_closes(new_device, live_server, axe, cedar_class):
    """The keeper runs the circle on a tablet and closes it from their phone: the tablet, its stream ended,
    goes to the summary by itself (its polling is what finds out)."""
    phone, tablet = circle_on_a_phone_and_a_tablet(new_device, live_server)
    phone.once("dialog", lambda dialog: dialog.accept())
    phone.get_by_role("button", name="Close the circle").click()
    expect(phone.get_by_role("heading", name=re.compile("summary"))).to_be_visible()
    expect(tablet.get_by_role("heading", name=re.compile("summary"))).to_be_visible(timeout=20_000)
    assert_accessible(axe, tablet)


def test_the_keepers_second_device_is_told_at_once_not_by_its_polling(new_device, live_server, axe, cedar_class):
    """The same, told by its stream: the tablet goes to the summary as the pupils' screens say "Circle closed" -
    it used to wait for its polling to start, seconds after the stream ended, showing the open circle's controls
    meanwhile. A poll asks for every live part at once (the talking piece among them): none is asked for."""
    phone, tablet = circle_on_a_phone_and_a_tablet(new_device, live_server)
    asked = []
    tablet.on("request", lambda request: asked.append(urlparse(request.url).path))
    phone.once("dialog", lambda dialog: dialog.accept())
    phone.get_by_role("button", name="Close the circle").click()
    expect(tablet.get_by_role("heading", name=re.compile("summary"))).to_be_visible()
    assert not [path for path in asked if path.endswith("/part/k-piece")], asked
    assert_accessible(axe, tablet)


def test_with_its_stream_blocked_the_keepers_who_lists_still_gain_people(new_device, live_server, axe, cedar_class):
    keeper_context = new_device(viewport=PHONE, base_url=live_server.url)
    keeper_context.route(BLOCKED_STREAM, lambda route: route.abort())
    keeper = keeper_context.new_page()
    keeper.goto("/sign-in")
    keeper.get_by_label("Email").fill("keeper@brook.example")
    keeper.get_by_label("Password").fill(PASSWORD)
    keeper.get_by_role("button", name="Sign in").click()
    keeper.goto("/circles/new")
    keeper.get_by_label("Who is it for?").select_option(label="Year 5 Cedar")
    keeper.get_by_label(AUTO_ADMIT).check()
    keeper.get_by_role("button", name="Start the circle").click()
    keeper.get_by_text("Record an agreement").click()
    keeper.get_by_text("Raise a concern").click()
    join_at(new_device, join_link(keeper), "Amira S.")
    who = keeper.get_by_role("group", name=re.compile("^Who"))
    expect(who.get_by_label("Amira S.")).to_be_visible(timeout=20_000)
    expect(keeper.get_by_label("Who is it about?").get_by_role("option", name="Amira S.")).to_be_attached(timeout=20_000)
    assert_accessible(axe, keeper)


def test_the_focus_stays_somewhere_sensible_as_tapped_controls_go_away(new_device, live_server, axe, cedar_class):
    keeper = start_a_circle(new_device, live_server, PHONE, "Let people in as soon as they join (auto-admit)")
    keeper.get_by_role("button", name="Turn off auto-admit").click()
    expect(keeper.get_by_text("Auto-admit is off.")).to_be_visible()
    expect(keeper.locator("#k-waiting")).to_have_attribute("aria-live", "polite")  # someone waiting is heard
    url = join_link(keeper)
    amira = join_at(new_device, url, "Amira S.")
    expect(amira.locator("#p-round")).to_have_attribute("aria-live", "polite")  # a new question is heard
    ben = join_at(new_device, url, "Ben J.")
    chloe = join_at(new_device, url, "Chloe P.")
    expect(keeper.get_by_role("button", name="Let Chloe P. in")).to_be_visible(timeout=LIVE)

    keeper.get_by_role("button", name="Let Amira S. in").click()
    expect(keeper.get_by_role("button", name="Let Ben J. in")).to_be_focused()
    keeper.get_by_role("button", name="Let Ben J. in").click()
    expect(keeper.get_by_role("button", name="Let Chloe P. in")).to_be_focused()
    keeper.get_by_role("button", name="Let Chloe P. in").click()
    expect(keeper.get_by_role("heading", name="Waiting to join")).to_be_focused()
    expect(chloe.get_by_text("Ms Keeper has the talking piece")).to_be_visible(timeout=LIVE)
    assert_accessible(axe, keeper)

    keeper.get_by_role("button", name="Give the piece to Ben J.").click()
    expect(keeper.get_by_text("More for Ben J.")).to_be_focused()
    expect(keeper.get_by_role("listitem").filter(has_text="Ben J.").get_by_text("has the piece")).to_be_visible()
    expect(keeper.get_by_text("More for Ben J.")).to_be_focused()  # still, once Ben's row is drawn again

    ben.get_by_role("button", name=FINISHED).click()
    expect(ben.get_by_text("Chloe P. has the talking piece")).to_be_focused()
    assert_accessible(axe, ben)

    keeper.get_by_role("button", name="Take the piece back").click()
    expect(keeper.get_by_text("You have the talking piece.")).to_be_visible()
    keeper.get_by_role("button", name=FINISHED).click()
    expect(keeper.get_by_role("status").filter(has_text="has the talking piece")).to_be_focused()

    keeper.get_by_text("More for Amira S.").click()
    asked = []
    keeper.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    keeper.get_by_role("button", name="Remove Amira S.").click()
    expect(keeper.get_by_role("button", name="Remove Amira S.")).to_have_count(0)
    assert asked == ["Take Amira S. out of the circle?"], "the keeper is asked first, once"
    expect(keeper.get_by_role("button", name="Give the piece to Ben J.")).to_be_focused()
    assert_accessible(axe, keeper)
    assert_accessible(axe, amira)

    start_check_in_round(keeper)
    ben.get_by_role("button", name="Good").click()
    expect(ben.get_by_text("Thank you for checking in.")).to_be_focused()
    assert_accessible(axe, ben)


def test_the_keeper_turns_away_a_wrong_name_after_a_question(new_device, live_server, axe, cedar_class):
    keeper = start_a_circle(new_device, live_server, PHONE, "Let people in as soon as they join (auto-admit)")
    keeper.get_by_role("button", name="Turn off auto-admit").click()
    expect(keeper.get_by_text("Auto-admit is off.")).to_be_visible()
    url = join_link(keeper)
    bens_tablet = join_at(new_device, url, "Amira S.")  # Ben taps Amira's name by mistake
    not_now = keeper.get_by_role("button", name="Not now for Amira S.")
    expect(not_now).to_be_visible(timeout=LIVE)
    assert_accessible(axe, keeper)
    assert keeper.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]

    keeper.once("dialog", lambda dialog: dialog.dismiss())
    not_now.click()
    expect(not_now).to_be_visible()  # asked first: "no" leaves Amira waiting
    keeper.once("dialog", lambda dialog: dialog.accept())
    not_now.click()
    expect(keeper.get_by_text("Nobody is waiting to join.")).to_be_visible()
    expect(keeper.get_by_role("heading", name="Waiting to join")).to_be_focused()
    expect(bens_tablet.get_by_text("You're not in this circle any more")).to_be_visible(timeout=LIVE)
    expect(bens_tablet.get_by_text("ask Ms Keeper.")).to_be_visible()
    assert_accessible(axe, bens_tablet)

    amiras_tablet = join_at(new_device, url, "Amira S.")  # the real Amira can now choose her name
    expect(amiras_tablet.get_by_text("Nearly there!")).to_be_visible()
    expect(keeper.get_by_role("button", name="Let Amira S. in")).to_be_visible(timeout=LIVE)


def test_a_move_sends_the_version_the_keeper_saw(new_device, live_server, axe, cedar_class):
    keeper = start_a_circle(new_device, live_server, PHONE, AUTO_ADMIT)
    url = join_link(keeper)
    for name in ("Amira S.", "Ben J."):
        join_at(new_device, url, name)
    expect(keeper.get_by_text("More for Ben J.")).to_be_visible(timeout=LIVE)
    version = keeper.locator("#k-version").input_value()
    keeper.get_by_text("More for Ben J.").click()
    with keeper.expect_request(lambda r: r.url.endswith("/move")) as move:
        keeper.get_by_role("button", name="Move Ben J. earlier").click()
    assert f"version={version}" in move.value.post_data and "step=up" in move.value.post_data
    names = keeper.get_by_role("list", name="Seats in circle order").locator(".seat-name")
    expect(names).to_have_text(["Ms Keeper (you)", "Ben J.", "Amira S."])
    assert_accessible(axe, keeper)
    # with the stream blocked (a school web filter) the piece panel, which holds the version, is not
    # drawn again after a move: a second move straight after is made all the same, because the
    # move's own answer carried the new version
    keeper.context.route(BLOCKED_STREAM, lambda route: route.abort())
    keeper.reload()
    keeper.get_by_text("More for Amira S.").click()
    keeper.get_by_role("button", name="Move Amira S. earlier").click()
    expect(names).to_have_text(["Ms Keeper (you)", "Amira S.", "Ben J."])
    keeper.get_by_text("More for Ben J.").click()
    keeper.get_by_role("button", name="Move Ben J. earlier").click()
    expect(names).to_have_text(["Ms Keeper (you)", "Ben J.", "Amira S."])  # without it: refused, for good


def test_back_to_the_names_or_a_double_tap_on_join_leads_to_the_pupils_seat(new_device, live_server, axe, cedar_class):
    keeper = start_a_circle(new_device, live_server, PHONE, AUTO_ADMIT)
    url = join_link(keeper)
    amira = join_at(new_device, url, "Amira S.")
    amira.go_back()
    expect(amira.get_by_role("heading", name="Join the circle")).to_be_visible()
    amira.get_by_label("Amira S.").check()
    amira.get_by_role("button", name="Join the circle").click()
    expect(amira.get_by_text("Ms Keeper has the talking piece")).to_be_visible()
    amira.goto(url)  # the join page again, as from the QR code: the way back is offered
    expect(amira.get_by_text("You're in this circle already, as Amira S.")).to_be_visible()
    assert_accessible(axe, amira)
    amira.get_by_role("link", name="Back to my circle").click()
    expect(amira.get_by_text("Ms Keeper has the talking piece")).to_be_visible()
    assert_accessible(axe, amira)

    ben = new_device(viewport=TABLET).new_page()
    ben.goto(url)
    ben.get_by_label("Ben J.").check()
    requests = Requests(ben)
    ben.get_by_role("button", name="Join the circle").dblclick()
    expect(ben.get_by_text("Ms Keeper has the talking piece")).to_be_visible()
    expect(ben.get_by_text("already in this circle")).to_have_count(0)
    assert [r[1] for r in requests.seen if "/join/" in r[2]] == ["POST"], "the form is sent once"
    db.session.remove()
    assert db.session.scalar(select(func.count(Seat.id)).where(Seat.name == "Ben J.")) == 1


def test_a_midday_assistants_circle_tells_pupils_her_name_not_your_teacher(new_device, live_server, axe, cedar_class):
    """Mrs Doyle, a midday assistant, keeps a circle for Year 5 Cedar: the pupils are told what is true -
    that Mrs Doyle will let them in and sees their check-in - never "your teacher"."""
    doyle = make_staff(db.session.get(School, cedar_class.school_id), roles=("support",), email="doyle@brook.example",
                       name="Mrs Doyle")
    cedar = db.session.scalar(select(Group).where(Group.name == "Year 5 Cedar"))
    cedar.staff.append(doyle)
    db.session.commit()
    keeper = new_device(viewport=PHONE, base_url=live_server.url).new_page()
    keeper.goto("/sign-in")
    keeper.get_by_label("Email").fill("doyle@brook.example")
    keeper.get_by_label("Password").fill(PASSWORD)
    keeper.get_by_role("button", name="Sign in").click()
    keeper.goto("/circles/new")
    keeper.get_by_label("Who is it for?").select_option(label="Year 5 Cedar")
    keeper.get_by_role("button", name="Start the circle").click()
    amira = join_at(new_device, join_link(keeper), "Amira S.")
    expect(amira.get_by_text("Mrs Doyle will let you into the circle")).to_be_visible()
    expect(amira.get_by_text(re.compile("teacher"))).to_have_count(0)
    assert_accessible(axe, amira)

    keeper.get_by_role("button", name="Let Amira S. in").click()
    start_check_in_round(keeper)
    amira.get_by_role("button", name="Good").click()
    expect(amira.get_by_text("Thank you for checking in.")).to_be_visible(timeout=LIVE)
    expect(amira.get_by_text(re.compile("but Mrs Doyle can.*Your word is just for Mrs Doyle."))).to_be_visible()
    expect(amira.get_by_text(re.compile("teacher"))).to_have_count(0)
    assert_accessible(axe, amira)
