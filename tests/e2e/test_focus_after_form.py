"""Where the focus is on the page that comes after a form sent without htmx (Post/Redirect/Get, or a refused form
shown again): on a phone such a page is long, and a keyboard or screen-reader user must not be sent back to its top.
The first field to put right, with what is wrong read out; else the section the form was in; else what was done."""
import re
from datetime import date, timedelta

from playwright.sync_api import expect

from rrp_pwa.agreements.rules import make_agreement
from rrp_pwa.conversations.restorative import start_conversation
from rrp_pwa.extensions import db
from tests.conftest import make_group, make_pupil, make_school, make_staff
from tests.e2e.conftest import PHONE, assert_accessible
from tests.e2e.test_chat_flow import sign_in
from tests.e2e.test_circle_flow import start_a_circle


def test_a_round_refused_puts_the_focus_on_the_question(new_device, live_server, axe, cedar_class):
    keeper = start_a_circle(new_device, live_server, PHONE, "Let people in as soon as they join (auto-admit)")
    keeper.get_by_role("button", name="Start the round").click()  # no question
    question = keeper.get_by_label("Or type a question")
    expect(keeper).to_have_url(re.compile(r"/circles/\d+#round-h$"))
    expect(question).to_be_focused()  # not the section's heading, nor the top of the page
    expect(question).to_have_accessible_description(
        re.compile("Please check the highlighted field.*Choose a question from the bank or type one."))
    assert_accessible(axe, keeper)


def test_after_a_keepers_form_is_saved_the_focus_is_back_at_its_section(new_device, live_server, axe, cedar_class):
    keeper = start_a_circle(new_device, live_server, PHONE, "Let people in as soon as they join (auto-admit)")
    keeper.get_by_label("Or type a question").fill("What made you smile today?")
    keeper.get_by_role("button", name="Start the round").click()
    rounds = keeper.get_by_role("heading", name="Rounds")
    expect(keeper.get_by_text("The round has started.")).to_be_visible()
    expect(rounds).to_be_focused()
    expect(rounds).to_have_accessible_description("The round has started.")
    assert_accessible(axe, keeper)

    keeper.get_by_text("Record an agreement").click()
    keeper.get_by_label("What has been agreed").fill("We listen to whoever holds the piece")
    keeper.get_by_role("button", name="Save the agreement").click()
    agreements = keeper.get_by_role("heading", name="Agreements")
    expect(keeper).to_have_url(re.compile(r"/circles/\d+#agree-h$"))
    expect(agreements).to_be_focused()
    expect(agreements).to_have_accessible_description("The agreement is on everyone's screen.")
    assert_accessible(axe, keeper)

    amira = new_device(viewport=PHONE, base_url=live_server.url).new_page()
    amira.goto(keeper.get_by_role("link", name="Join link").get_attribute("href"))
    amira.get_by_label("Amira S.").check()
    amira.get_by_role("button", name="Join the circle").click()
    keeper.get_by_text("Raise a concern").click()
    expect(keeper.get_by_label("Who is it about?").get_by_role("option", name="Amira S.")).to_be_attached()
    keeper.get_by_label("Who is it about?").select_option(label="Amira S.")
    keeper.get_by_label("What you saw or heard, in the words used").fill("Amira said she is scared to go home.")
    keeper.get_by_role("button", name="Send to the DSL").click()
    sent = keeper.get_by_role("status").filter(has_text="Your concern")
    expect(sent).to_be_focused()  # what was done, read out: the page has no section to go back to
    assert_accessible(axe, keeper)


def agreement_to_review(review_on: date):
    school = make_school()
    teacher = make_staff(school, ("teacher",), name="Tara Teacher")
    ben = make_pupil(school, "Ben", "Jones")
    make_group(school, pupils=[ben], staff=[teacher])
    talk = start_conversation(school.id, teacher, "conversation", [(ben, "caused_harm")])
    db.session.flush()
    agreement = make_agreement(school.id, "conversation", talk.id, "Ben will say sorry to Amira", pupils=[ben],
                               created_by=teacher, review_on=review_on, today=date.today() - timedelta(days=14))
    db.session.add(agreement)
    db.session.commit()
    return teacher, agreement.id


def test_a_review_with_no_outcome_puts_the_focus_on_the_choice(live_server, data_app, page, axe):
    teacher, agreement_id = agreement_to_review(date.today())
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, teacher)
    page.goto(f"{live_server.url}/agreements/{agreement_id}")
    page.wait_for_load_state("load")
    expect(page.locator("body")).to_be_focused()  # a page opened as usual: the focus is not moved

    page.get_by_role("button", name="Save review").click()  # no outcome chosen
    kept = page.get_by_role("radio", name="Kept", exact=True)
    expect(kept).to_be_focused()
    expect(kept).to_have_accessible_description(
        re.compile("Please check the highlighted field.*Choose kept, partly kept or not kept."))
    assert_accessible(axe, page)


def test_partly_kept_with_a_past_day_is_said_beside_that_day(live_server, data_app, page, axe):
    teacher, agreement_id = agreement_to_review(date.today())
    yesterday = date.today() - timedelta(days=1)
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, teacher)
    page.goto(f"{live_server.url}/agreements/{agreement_id}")
    page.get_by_role("radio", name="Partly kept").check()
    again = page.get_by_label("If partly kept: review it again on")
    again.fill(yesterday.isoformat())
    page.get_by_role("button", name="Save review").click()
    expect(again).to_be_focused()
    # beside the date it is about, and saying which: not at the top of the form
    expect(again).to_have_accessible_description(re.compile(re.escape(
        f"Partly kept: choose a day after today to review it again ({yesterday:%A %-d %B} has passed).")))
    expect(page.get_by_role("alert").filter(has_text="Partly kept")).to_have_count(0)
    expect(again).to_have_value(yesterday.isoformat())
    assert_accessible(axe, page)


def test_moving_the_review_to_a_past_day_says_it_is_the_day_typed(live_server, data_app, page, axe):
    teacher, agreement_id = agreement_to_review(date.today())
    yesterday = date.today() - timedelta(days=1)
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, teacher)
    page.goto(f"{live_server.url}/agreements/{agreement_id}")
    page.get_by_text("Review it on another day?").click()
    page.get_by_label("Review it on", exact=True).fill(yesterday.isoformat())
    page.get_by_role("button", name="Move the review").click()
    moved = page.get_by_label("Review it on", exact=True)
    expect(moved).to_be_focused()
    expect(moved).to_have_accessible_description(
        f"The day you chose, {yesterday:%A %-d %B}, has passed: choose today or a later day.")
    assert_accessible(axe, page)


def test_the_first_pupil_picked_leaves_the_focus_in_the_search(live_server, data_app, page, axe):
    school = make_school()
    assistant = make_staff(school, ("support",), name="Mo Midday")
    make_pupil(school)
    db.session.commit()

    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, assistant)
    page.goto(f"{live_server.url}/chats/new")
    page.get_by_label("Find a pupil").press_sequentially("am", delay=50)
    page.get_by_role("link", name="Amira Khan").click()
    expect(page.get_by_role("button", name="Remove Amira Khan")).to_be_visible()
    # the link tapped has gone: the focus is in the search, as after every later pick, not at the top of the page
    expect(page.get_by_role("searchbox", name="Add another pupil")).to_be_focused()
    assert_accessible(axe, page)
