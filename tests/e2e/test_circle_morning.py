"""A teacher's morning circle from a phone, as the pupils read it on their own phones and tablets:
the words on each screen read as sentences, whatever the names; and the keeper's phone shows the
talking piece without scrolling past the code to join once pupils are in."""
import re

from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, TABLET, assert_accessible
from tests.e2e.test_circle_flow import FINISHED, LIVE, start_a_circle
from tests.e2e.test_circle_live import AUTO_ADMIT, join_at, join_link


def test_a_name_ending_in_an_initial_ends_the_sentence_with_one_full_stop(new_device, live_server, axe, cedar_class):
    keeper = start_a_circle(new_device, live_server, PHONE, AUTO_ADMIT)
    url = join_link(keeper)
    amira = join_at(new_device, url, "Amira S.", viewport=TABLET)
    ben = join_at(new_device, url, "Ben J.", viewport=PHONE)
    # Amira is next after the keeper: Ben's phone names her, as a sentence ("Amira S.", not "Amira S..").
    expect(ben.locator("#p-piece")).to_contain_text("Next: Amira S. Listen while they speak.")
    assert ".." not in ben.locator("#p-piece").inner_text()
    assert_accessible(axe, ben)
    amira.goto(url)  # the QR code scanned again: the way back to her seat
    expect(amira.get_by_text(re.compile(r"^You're in this circle already, as Amira S\.$"))).to_be_visible()
    assert_accessible(axe, amira)


def test_a_late_joiner_can_agree_to_the_circle_agreements_made_before_they_came(new_device, live_server, axe,
                                                                                cedar_class):
    keeper = start_a_circle(new_device, live_server, PHONE, AUTO_ADMIT)
    url = join_link(keeper)
    amira = join_at(new_device, url, "Amira S.", viewport=PHONE)
    keeper.get_by_text("Record an agreement").click()
    keeper.get_by_label("Circle agreement (how we will be together)").check()
    keeper.get_by_label("What has been agreed").fill("We listen to whoever holds the piece")
    keeper.get_by_role("button", name="Save the agreement").click()
    amira.get_by_role("button", name=re.compile(r"^I agree\W+We listen to whoever holds the piece$")).click()
    expect(keeper.locator("#k-agreements")).to_contain_text("1 of 1 agreed")

    chloe = join_at(new_device, url, "Chloe P.", viewport=TABLET)  # late, on the class tablet
    expect(chloe.get_by_role("heading", name="Our agreements")).to_be_visible()
    agree = chloe.get_by_role("button", name=re.compile(r"^I agree\W+We listen to whoever holds the piece$"))
    expect(agree).to_be_visible()
    expect(keeper.locator("#k-agreements")).to_contain_text("1 of 2 agreed")
    assert_accessible(axe, chloe)
    agree.click()
    expect(chloe.locator("#p-agreements")).to_contain_text("2 of 2 agreed")
    expect(keeper.locator("#k-agreements")).to_contain_text("2 of 2 agreed")
    expect(amira.locator("#p-agreements")).to_contain_text("2 of 2 agreed")
    assert_accessible(axe, keeper)


def test_take_the_piece_back_is_offered_only_while_someone_else_holds_it(new_device, live_server, axe, cedar_class):
    keeper = start_a_circle(new_device, live_server, PHONE, AUTO_ADMIT)
    amira = join_at(new_device, join_link(keeper), "Amira S.", viewport=TABLET)
    take_back = keeper.get_by_role("button", name="Take the piece back")
    expect(keeper.get_by_text("You have the talking piece.")).to_be_visible()
    expect(take_back).to_have_count(0)  # the keeper has it: nothing to take back

    keeper.get_by_role("button", name="Give the piece to Amira S.").click()
    expect(amira.get_by_text("You have the talking piece")).to_be_visible()
    assert_accessible(axe, keeper)
    take_back.click()
    expect(amira.get_by_text("Ms Keeper has the talking piece")).to_be_visible()
    expect(take_back).to_have_count(0)
    # the button tapped has gone: the focus is on what happened, not lost at the top of the page
    expect(keeper.get_by_role("status").filter(has_text="You have the talking piece.")).to_be_focused()
    assert_accessible(axe, keeper)


def test_a_pupils_focus_is_not_lost_when_the_keeper_takes_the_piece_back(new_device, live_server, axe, cedar_class):
    """A pupil using a keyboard or a screen reader is on "I've finished" when the keeper takes the piece
    back: the button goes, and the focus moves to who has the piece now, not to the top of the page."""
    keeper = start_a_circle(new_device, live_server, PHONE, AUTO_ADMIT)
    amira = join_at(new_device, join_link(keeper), "Amira S.", viewport=PHONE)
    keeper.get_by_role("button", name=FINISHED).click()
    finished = amira.get_by_role("button", name=FINISHED)
    finished.focus()
    expect(finished).to_be_focused()
    keeper.get_by_role("button", name="Take the piece back").click()
    expect(finished).to_have_count(0)
    expect(amira.get_by_text("Ms Keeper has the talking piece")).to_be_focused()
    assert_accessible(axe, amira)


def in_first_screenful(page, locator) -> bool:
    """Whether ``locator`` is wholly in view on the page as it loads, before any scrolling."""
    box = locator.bounding_box()
    return page.evaluate("window.scrollY") == 0 and box is not None and box["y"] + box["height"] <= PHONE["height"]


def test_with_pupils_in_the_keepers_phone_folds_the_code_so_the_talking_piece_is_in_view(new_device, live_server, axe,
                                                                                         cedar_class):
    """At 360 px the code to join (QR code, code, link) is about 700 px tall. Open while nobody has been
    let in; once pupils are in, the page loads with it folded: who is waiting comes first, then the
    talking piece, in the first screenful. The keeper's own choice (open or folded) survives live updates."""
    keeper = start_a_circle(new_device, live_server, PHONE, "Morning / check-in circle")
    link = keeper.get_by_role("link", name="Join link")
    expect(link).to_be_visible()  # nobody in yet: the code is there to scan
    expect(keeper.get_by_text("Hide the code to join")).to_be_visible()
    code = keeper.locator(".join-code").inner_text()
    url = join_link(keeper)
    assert_accessible(axe, keeper)

    amira = join_at(new_device, url, "Amira S.", viewport=PHONE)
    keeper.get_by_role("button", name="Let Amira S. in").click()
    expect(amira.get_by_text("Ms Keeper has the talking piece")).to_be_visible(timeout=LIVE)
    expect(link).to_be_visible()  # a live change does not fold it behind the keeper's back
    join_at(new_device, url, "Ben J.", viewport=PHONE)

    keeper.goto(keeper.url)  # the page loads (or is loaded again) with a pupil in and one waiting
    let_in = keeper.get_by_role("button", name="Let Ben J. in")
    expect(let_in).to_be_visible()
    expect(link).to_be_hidden()
    expect(keeper.get_by_text(code, exact=True)).to_be_hidden()
    piece = keeper.get_by_role("heading", name="The talking piece")
    assert in_first_screenful(keeper, keeper.get_by_role("heading", name="Waiting to join"))
    assert in_first_screenful(keeper, let_in)
    assert in_first_screenful(keeper, piece), "the talking piece is in view without scrolling past the code"
    assert in_first_screenful(keeper, keeper.get_by_text("You have the talking piece."))
    assert keeper.get_by_role("heading", name="Waiting to join").bounding_box()["y"] < piece.bounding_box()["y"]
    assert_accessible(axe, keeper)

    keeper.get_by_text("Show the code to join").click()  # a latecomer at the door
    expect(keeper.get_by_text(code, exact=True)).to_be_visible()
    expect(link).to_be_visible()
    expect(keeper.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    assert_accessible(axe, keeper)
    join_at(new_device, url, "Chloe P.", viewport=PHONE)
    expect(keeper.get_by_role("button", name="Let Chloe P. in")).to_be_visible(timeout=LIVE)
    let_in.click()
    expect(keeper.get_by_role("list", name="Seats in circle order")).to_contain_text("Ben J.", timeout=LIVE)
    expect(link).to_be_visible()  # still open after the live updates

    keeper.get_by_text("Hide the code to join").click()
    expect(link).to_be_hidden()
    keeper.get_by_role("button", name="Let Chloe P. in").click()
    keeper.get_by_role("button", name=FINISHED).click()
    expect(amira.get_by_text("You have the talking piece")).to_be_visible(timeout=LIVE)
    expect(keeper.get_by_text("Amira S. has the talking piece")).to_be_visible(timeout=LIVE)
    expect(keeper.get_by_role("list", name="Seats in circle order")).to_contain_text("Chloe P.")
    expect(link).to_be_hidden()  # still folded after the live updates
    expect(keeper.get_by_text("Show the code to join")).to_be_visible()
    expect(keeper.get_by_text("Hide the code to join")).to_be_hidden()
    assert_accessible(axe, keeper)


def no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def test_a_long_word_a_keeper_or_a_pupil_types_wraps_on_a_phone(new_device, live_server, axe, cedar_class):
    """A question typed with no spaces ("What/does/kindness/look/like...", a pasted link), an agreement the same,
    and an ad hoc circle's first name typed long: each wraps on a 360 px phone. The question pushed the keeper's
    and every pupil's page 914 px wide, sideways, until the circle closed."""
    keeper = start_a_circle(new_device, live_server, PHONE, AUTO_ADMIT)
    amira = join_at(new_device, join_link(keeper), "Amira S.", viewport=PHONE)
    question = "What/does/kindness/look/like/at/playtime/and/lunchtime/when/someone/is/alone?"
    keeper.get_by_label("Or type a question").fill(question)
    keeper.get_by_role("button", name="Start the round").click()
    expect(amira.get_by_text(question)).to_be_visible()
    keeper.get_by_text("Record an agreement").click()
    keeper.get_by_label("Circle agreement (how we will be together)").check()
    agreed = "We-listen-to-whoever-holds-the-talking-piece-and-nobody-interrupts-them"
    keeper.get_by_label("What has been agreed").fill(agreed)
    keeper.get_by_role("button", name="Save the agreement").click()
    expect(amira.get_by_role("button", name=re.compile(r"^I agree"))).to_be_visible()
    for page in (keeper, amira):
        no_sideways_scroll(page)
    assert_accessible(axe, amira)
    keeper.once("dialog", lambda dialog: dialog.accept())
    keeper.get_by_role("button", name="Close the circle").click()
    expect(keeper.get_by_role("heading", name=re.compile("summary"))).to_be_visible()
    no_sideways_scroll(keeper)

    keeper.goto("/circles/new")
    keeper.get_by_label("Who is it for?").select_option(label="Ad hoc: people type their first name")
    keeper.get_by_label(AUTO_ADMIT).check()
    keeper.get_by_role("button", name="Start the circle").click()
    visitor = new_device(viewport=PHONE).new_page()
    visitor.goto(join_link(keeper))
    name = "Maximilian-Alexander-Bartholomew-Smythe"
    visitor.get_by_label("Your first name").fill(name)
    visitor.get_by_role("button", name="Join the circle").click()
    expect(visitor.get_by_text(f"You are {name}")).to_be_visible()
    expect(keeper.get_by_role("list", name="Seats in circle order")).to_contain_text(name)
    keeper.get_by_role("button", name=f"Give the piece to {name}").click()
    expect(visitor.get_by_text("You have the talking piece")).to_be_visible()
    expect(keeper.get_by_text(f"{name} has the talking piece.")).to_be_visible()
    for page in (keeper, visitor):
        no_sideways_scroll(page)
    assert_accessible(axe, keeper)
