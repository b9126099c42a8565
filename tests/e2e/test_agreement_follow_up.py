"""After "not kept", Hold a circle opens a restorative circle for the pupils the agreement was about, and the
agreement leaves the follow-ups needed (the circle is recorded as its follow-up)."""
from datetime import date, timedelta

from playwright.sync_api import expect

from rrp_pwa.agreements.rules import make_agreement
from rrp_pwa.conversations.restorative import start_conversation
from rrp_pwa.extensions import db
from rrp_pwa.models.agreements import Agreement
from rrp_pwa.models.circles import Circle
from tests.conftest import make_group, make_pupil, make_school, make_staff
from tests.e2e.conftest import PHONE, TABLET, assert_accessible
from tests.e2e.test_chat_flow import sign_in


def test_not_kept_to_a_restorative_circle_with_those_pupils(live_server, data_app, page, axe):
    school = make_school()
    teacher = make_staff(school, ("teacher",), name="Tara Teacher")
    amira, ben = make_pupil(school), make_pupil(school, "Ben", "Jones")
    make_group(school, "Year 6 Oak", pupils=[ben], staff=[teacher])
    cedar = make_group(school, pupils=[amira, ben], staff=[teacher])
    talk = start_conversation(school.id, teacher, "conversation", [(amira, "harmed"), (ben, "caused_harm")])
    db.session.flush()
    db.session.add(make_agreement(school.id, "conversation", talk.id, "Ben will give Amira space", pupils=[ben],
                                  created_by=teacher, review_on=date.today() - timedelta(days=1),
                                  today=date.today() - timedelta(days=15)))
    db.session.commit()
    cedar_id = cedar.id

    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, teacher)
    page.get_by_role("link", name="Reviews due").click()
    page.get_by_role("link", name="Ben will give Amira space").click()
    page.get_by_role("radio", name="Not kept").check()
    page.get_by_role("button", name="Save review").click()
    expect(page.get_by_role("heading", name="Next step")).to_be_visible()
    assert_accessible(axe, page)

    page.get_by_role("link", name="Hold a circle").click()
    page.get_by_role("heading", name="Start a circle").wait_for()
    expect(page.get_by_text("Following up the agreement")).to_be_visible()
    expect(page.get_by_role("radio", name="Restorative circle")).to_be_checked()
    expect(page.get_by_label("Who is it for?")).to_have_value(str(cedar_id))  # the class they share
    with_list = page.get_by_role("region", name="With")
    expect(with_list.get_by_role("listitem")).to_have_text(["Ben Jones", "Amira Khan"])
    assert_accessible(axe, page)
    page.get_by_role("button", name="Start the circle").click()

    expect(page.get_by_role("heading", name="Restorative circle")).to_be_visible()
    expect(page.get_by_text("This circle follows up the agreement “Ben will give Amira space”")).to_be_visible()
    circle = db.session.scalar(db.select(Circle))
    assert (circle.kind, circle.group.name) == ("restorative", "Year 5 Cedar")
    assert_accessible(axe, page)

    page.goto(f"{live_server.url}/agreements/due")
    follow_ups = page.get_by_role("region", name="Not kept: follow-up needed")
    expect(follow_ups.get_by_text("Every agreement that was not kept has been followed up.")).to_be_visible()
    expect(follow_ups.get_by_role("link", name="Ben will give Amira space")).to_have_count(0)
    assert_accessible(axe, page)
    agreement_id = db.session.scalar(db.select(Agreement.id))
    page.goto(f"{live_server.url}/agreements/{agreement_id}")
    expect(page.get_by_text("Followed up: Restorative circle held")).to_be_visible()
    expect(page.get_by_role("heading", name="Next step")).to_have_count(0)
    assert_accessible(axe, page)



def test_a_teacher_moves_an_agreements_review_on_a_phone(live_server, data_app, page, axe):
    school = make_school()
    teacher = make_staff(school, ("teacher",), name="Tara Teacher")
    ben = make_pupil(school, "Ben", "Jones")
    make_group(school, pupils=[ben], staff=[teacher])
    talk = start_conversation(school.id, teacher, "conversation", [(ben, "caused_harm")])
    db.session.flush()
    agreement = make_agreement(school.id, "conversation", talk.id, "Ben will say sorry to Amira", pupils=[ben],
                               created_by=teacher, review_on=date.today(), today=date.today() - timedelta(days=14))
    db.session.add(agreement)
    db.session.commit()
    later = date.today() + timedelta(days=7)

    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, teacher)
    page.get_by_role("link", name="Reviews due").click()
    page.get_by_role("link", name="Ben will say sorry to Amira").click()
    page.get_by_text("Review it on another day?").click()  # the summary that opens the form
    yesterday = date.today() - timedelta(days=1)
    page.get_by_label("Review it on").fill(yesterday.isoformat())
    page.get_by_role("button", name="Move the review").click()
    expect(page.get_by_text(f"The day you chose, {yesterday:%A %-d %B}, has passed: choose today or a later day.")) \
        .to_be_visible()
    assert_accessible(axe, page)

    page.get_by_label("Review it on").fill(later.isoformat())
    page.get_by_role("button", name="Move the review").click()
    expect(page.get_by_text(f"The review is now on {later:%A %-d %B}.")).to_be_visible()
    expect(page.get_by_text(later.strftime("%-d %b %Y"))).to_be_visible()
    assert_accessible(axe, page)
    page.goto(f"{live_server.url}/agreements/due")
    expect(page.get_by_role("link", name="Ben will say sorry to Amira")).to_have_count(0)  # not due today any more


def test_it_has_been_followed_up_asks_first_on_a_tablet(live_server, data_app, page, axe):
    """One stray tap on a tablet must not take a "not kept" agreement off the follow-up list for good:
    the pastoral lead is asked first; Cancel leaves it waiting, OK records it."""
    school = make_school()
    lead = make_staff(school, ("pastoral",), name="Pat Pastoral")
    ben = make_pupil(school, "Ben", "Jones")
    talk = start_conversation(school.id, lead, "conversation", [(ben, "caused_harm")])
    db.session.flush()
    agreement = make_agreement(school.id, "conversation", talk.id, "Ben will give Amira space", pupils=[ben],
                               created_by=lead, review_on=date.today(), today=date.today() - timedelta(days=14))
    db.session.add(agreement)
    db.session.commit()

    page.set_viewport_size(TABLET)
    sign_in(page, live_server.url, lead)
    page.goto(f"{live_server.url}/agreements/{agreement.id}")
    page.get_by_role("radio", name="Not kept").check()
    page.get_by_role("button", name="Save review").click()
    expect(page.get_by_role("heading", name="Next step")).to_be_visible()

    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="It has been followed up").click()
    expect(page.get_by_role("heading", name="Next step")).to_be_visible()
    assert asked and "follow-up list" in asked[0]
    page.goto(f"{live_server.url}/agreements/due")
    expect(page.get_by_role("list", name="Not kept: follow-up needed").get_by_role(
        "link", name="Ben will give Amira space")).to_be_visible()

    page.get_by_role("link", name="Ben will give Amira space").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="It has been followed up").click()
    expect(page.get_by_text("Recorded: the agreement has been followed up.")).to_be_visible()
    expect(page.get_by_role("heading", name="Next step")).to_have_count(0)
    assert_accessible(axe, page)
