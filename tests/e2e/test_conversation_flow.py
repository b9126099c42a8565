"""A teacher runs a restorative conversation with an agreement, later reviews it as not kept and
starts the pre-filled follow-up; a concern raised by a teacher reaches the DSL's queue only."""
import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from rrp_pwa.agreements.rules import review_agreement
from rrp_pwa.conversations.chats import record_quick_chat
from rrp_pwa.conversations.restorative import finish, save_answers, start_conversation
from rrp_pwa.extensions import db
from rrp_pwa.models.agreements import Agreement
from rrp_pwa.models.conversations import Conversation
from tests.conftest import make_group, make_pupil, make_school, make_staff
from tests.e2e.conftest import PHONE, TABLET, assert_accessible, sign_out
from rrp_pwa.models.safeguarding import Concern
from tests.e2e.test_chat_flow import checked_screen, find_pupil, raise_concern_in_place, sign_in, the_dsl_reads


def tara_with_amira_and_ben(dsl: bool = False):
    """Tara Teacher and her class's Amira Khan and Ben Jones (and Dee Lead, the DSL, if ``dsl``): the
    teacher, Amira, Ben and the DSL or None."""
    school = make_school()
    teacher = make_staff(school, ("teacher",), name="Tara Teacher")
    lead = make_staff(school, ("dsl",), name="Dee Lead") if dsl else None
    amira, ben = make_pupil(school), make_pupil(school, "Ben", "Jones")
    make_group(school, pupils=[amira, ben], staff=[teacher])
    db.session.commit()
    return teacher, amira, ben, lead


def test_conversation_agreement_not_kept_and_the_follow_up(live_server, data_app, page, axe):
    teacher, amira, ben, _ = tara_with_amira_and_ben()

    page.set_viewport_size(TABLET)
    sign_in(page, live_server.url, teacher)
    page.goto(f"{live_server.url}/pupils/{amira.id}")
    page.get_by_role("link", name="Start a conversation").click()
    page.get_by_role("heading", name="Start a restorative conversation").wait_for()
    page.get_by_label("Add another pupil").press_sequentially("be", delay=50)
    page.get_by_role("button", name="Ben Jones").click()
    expect(page.get_by_role("button", name="Remove Ben Jones")).to_be_visible()
    assert_accessible(axe, page)
    page.get_by_label("Amira Khan's role").select_option(label="Was harmed")
    page.get_by_label("Ben Jones's role").select_option(label="Caused harm")
    page.get_by_label("What happened (optional, short)").fill("Pushing in the lunch queue")
    page.get_by_role("button", name="Start the conversation").click()

    page.get_by_role("heading", name="Restorative conversation").wait_for()
    assert_accessible(axe, page)
    ben_answers = page.get_by_role("group", name="Ben Jones (Caused harm)")
    ben_answers.get_by_label("What happened?").fill("I pushed Amira")
    page.get_by_role("group", name="Amira Khan (Was harmed)").get_by_label(
        "What has been the hardest thing for you?").fill("Everyone laughed")
    page.get_by_role("button", name="Save and continue").click()

    page.get_by_role("heading", name="Agreement").wait_for()
    assert_accessible(axe, page)
    page.get_by_label("What has been agreed").fill("Ben will wait his turn and say sorry to Amira")
    page.get_by_role("checkbox", name="Ben Jones").check()
    page.get_by_label("Review the agreement on").fill(date.today().isoformat())
    page.get_by_role("button", name="Finish").click()
    expect(page.get_by_text("Restorative conversation finished with an agreement.")).to_be_visible()
    expect(page.get_by_text("I pushed Amira")).to_be_visible()
    assert_accessible(axe, page)

    page.get_by_role("link", name="Home").click()
    page.get_by_role("link", name="Reviews due").click()
    page.get_by_role("heading", name="Reviews due").wait_for()
    assert_accessible(axe, page)
    page.get_by_role("link", name="Ben will wait his turn and say sorry to Amira").click()
    page.get_by_role("heading", name="Agreement", exact=True).wait_for()
    assert_accessible(axe, page)
    page.get_by_role("radio", name="Not kept").check()
    page.get_by_label("Note (optional)").fill("Pushed in again on Tuesday")
    page.get_by_role("button", name="Save review").click()
    expect(page.get_by_role("heading", name="Next step")).to_be_visible()
    assert_accessible(axe, page)

    page.get_by_role("link", name="Start a restorative conversation").click()
    page.get_by_role("heading", name="Start a restorative conversation").wait_for()
    expect(page.get_by_role("button", name="Remove Ben Jones")).to_be_visible()
    expect(page.get_by_label("Ben Jones's role")).to_be_visible()
    assert_accessible(axe, page)
    assert db.session.scalar(db.select(Agreement.status)) == "not_kept"


def test_a_teachers_concern_reaches_the_dsl_and_not_the_teacher(live_server, data_app, page, axe):
    school = make_school()
    teacher = make_staff(school, ("teacher",), name="Tara Teacher")
    dsl = make_staff(school, ("dsl",), name="Dee Lead")
    amira = make_pupil(school)
    make_group(school, pupils=[amira], staff=[teacher])
    db.session.commit()

    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, teacher)
    page.goto(f"{live_server.url}/pupils/{amira.id}")
    assert_accessible(axe, page)
    page.get_by_role("link", name="Raise a concern").click()
    page.get_by_role("heading", name="Raise a concern").wait_for()
    expect(page.get_by_text("can't be kept secret")).to_be_visible()
    assert_accessible(axe, page)
    page.get_by_label("What did you see or hear?").fill("Amira said: my brother locks me out at night")
    page.get_by_role("button", name="Send to the DSL").click()
    expect(page.get_by_text("Your concern has gone to the Designated Safeguarding Lead")).to_be_visible()
    expect(page.get_by_text("my brother locks me out")).to_have_count(0)
    assert_accessible(axe, page)
    page.goto(f"{live_server.url}/safeguarding/concerns")
    page.get_by_role("heading", name="Not allowed").wait_for()
    expect(page.get_by_text("my brother locks me out")).to_have_count(0)
    assert_accessible(axe, page)

    page.goto(live_server.url + "/")
    sign_out(page)
    sign_in(page, live_server.url, dsl)
    assert_accessible(axe, page)
    page.get_by_role("link", name="Safeguarding concerns").click()
    expect(page.get_by_text("1 new concern.")).to_be_visible()
    assert_accessible(axe, page)
    page.get_by_role("link", name="Amira Khan").click()
    expect(page.get_by_text("Amira said: my brother locks me out at night")).to_be_visible()
    expect(page.get_by_text("Tara Teacher")).to_be_visible()
    assert_accessible(axe, page)
    page.get_by_role("button", name="Mark seen").click()
    expect(page.get_by_text("Marked seen: the concern about Amira Khan.")).to_be_visible()  # still on it
    assert_accessible(axe, page)
    page.get_by_role("link", name="Back to concerns").click()
    expect(page.get_by_text("No new concerns.")).to_be_visible()
    assert_accessible(axe, page)


BEN_SAID = "Ben said: my dad's friend says he'll hurt me if I tell"


def answers_kept(page) -> None:
    expect(page.get_by_role("group", name="Ben Jones (Caused harm)").get_by_label("What happened?")).to_have_value(
        "I pushed Amira")
    expect(page.get_by_role("group", name="Amira Khan (Was harmed)").get_by_label(
        "What has been the hardest thing for you?")).to_have_value("Everyone laughed")


def test_the_concern_panel_on_start_a_conversation_follows_the_pupils_added_and_taken_off(
        live_server, data_app, page, axe):
    """On Start a restorative conversation, a teacher opens Raise a concern for Amira and writes what she heard,
    then adds Ben to the conversation and takes Amira off: Who is it about? offers the conversation's pupils as
    they are, choosing nobody while there are two, and Ben once he is the only one. What is written in the
    concern, and Ben's role, stay; the concern goes to the DSL about Ben."""
    teacher, amira, ben, _ = tara_with_amira_and_ben(dsl=True)

    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, teacher)
    page.goto(f"{live_server.url}/conversations/new?pupil_id={amira.id}")
    page.get_by_role("link", name="Raise a concern").click()
    form = page.get_by_role("form", name="Raise a concern")
    form.get_by_label("What did you see or hear?").fill(BEN_SAID)
    who = form.get_by_label("Who is it about?")
    expect(who.locator("option")).to_have_text(["Amira Khan", "Someone else / not listed"])

    find_pupil(page, "Add another pupil", "be", True)
    page.get_by_role("button", name="Ben Jones").click()
    expect(page.get_by_role("button", name="Remove Ben Jones")).to_be_visible()
    expect(who.locator("option")).to_have_text(
        ["Choose who it is about", "Amira Khan", "Ben Jones", "Someone else / not listed"])
    expect(who.locator("option:checked")).to_have_text("Choose who it is about")
    expect(form.get_by_label("What did you see or hear?")).to_have_value(BEN_SAID)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(axe, page)

    page.get_by_label("Ben Jones's role").select_option(label="Caused harm")
    page.get_by_role("button", name="Remove Amira Khan").click()
    expect(page.get_by_role("button", name="Remove Amira Khan")).to_have_count(0)
    expect(who.locator("option")).to_have_text(["Ben Jones", "Someone else / not listed"])
    expect(who.locator("option:checked")).to_have_text("Ben Jones")
    expect(form.get_by_label("What did you see or hear?")).to_have_value(BEN_SAID)
    expect(page.get_by_label("Ben Jones's role").locator("option:checked")).to_have_text("Caused harm")
    assert_accessible(axe, page)

    form.get_by_role("button", name="Send to the DSL").click()
    expect(page.get_by_role("status").filter(has_text="Sent to the DSL.")).to_be_focused()
    assert db.session.query(Concern.pupil_id, Concern.note).one() == (ben.id, BEN_SAID)


def test_a_concern_raised_on_the_questions_keeps_every_answer_typed(live_server, data_app, page, new_device, axe):
    """A teacher types answers on a conversation's Questions, hears a disclosure and raises a concern: every
    answer is still there (they all came back empty), through a Cancel and a refused send too, and Save and
    continue keeps them. With two pupils, nobody is chosen for the concern until the teacher chooses; the
    DSL reads it, about the child chosen."""
    teacher, amira, ben, dsl = tara_with_amira_and_ben(dsl=True)

    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, teacher)
    page.goto(f"{live_server.url}/conversations/new?pupil_id={amira.id}&pupil_id={ben.id}")
    page.get_by_label("Amira Khan's role").select_option(label="Was harmed")
    page.get_by_label("Ben Jones's role").select_option(label="Caused harm")
    page.get_by_role("button", name="Start the conversation").click()
    page.get_by_role("heading", name="Restorative conversation").wait_for()
    page.get_by_role("group", name="Ben Jones (Caused harm)").get_by_label("What happened?").fill("I pushed Amira")
    page.get_by_role("group", name="Amira Khan (Was harmed)").get_by_label(
        "What has been the hardest thing for you?").fill("Everyone laughed")

    page.get_by_role("link", name="Raise a concern").click()
    form = page.get_by_role("form", name="Raise a concern")
    form.get_by_label("What did you see or hear?").fill("Ben said")
    form.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("form", name="Raise a concern")).to_have_count(0)
    expect(page.get_by_role("link", name="Raise a concern")).to_be_focused()
    answers_kept(page)

    page.get_by_role("link", name="Raise a concern").click()
    form.get_by_label("What did you see or hear?").fill(BEN_SAID)
    form.get_by_role("button", name="Send to the DSL").click()
    expect(form.get_by_text("Choose who the concern is about")).to_be_visible()
    expect(form.get_by_label("Who is it about?")).to_be_focused()
    expect(form.get_by_label("What did you see or hear?")).to_have_value(BEN_SAID)
    assert_accessible(axe, page)
    assert db.session.query(Concern).count() == 0
    form.get_by_role("button", name="Cancel").click()

    raise_concern_in_place(page, axe, BEN_SAID, about="Ben Jones")
    answers_kept(page)
    conversation = db.session.query(Conversation).one()
    concern = db.session.query(Concern).one()
    assert (concern.pupil_id, concern.context_kind, concern.context_id, concern.note) == (
        ben.id, "conversation", conversation.id, BEN_SAID)

    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("heading", name="Agreement").wait_for()
    expect(page.get_by_text("gone to the Designated Safeguarding Lead")).to_have_count(0)
    assert_accessible(axe, page)
    db.session.expire_all()
    answers = {p.label: [a.answer for a in p.answers] for p in db.session.get(Conversation, conversation.id).participants}
    assert answers == {"Amira Khan": ["Everyone laughed"], "Ben Jones": ["I pushed Amira"]}

    the_dsl_reads(new_device(viewport=TABLET), live_server.url, dsl, "Ben Jones", BEN_SAID, axe)


def test_a_concern_raised_in_a_conference_preparation_keeps_the_notes(live_server, data_app, page, axe):
    """Conference preparation uses the same card: the notes typed for each person stay, and are saved."""
    school = make_school()
    lead = make_staff(school, ("pastoral",), name="Pat Pastoral")
    make_staff(school, ("dsl",), name="Dee Lead")
    amira, ben = make_pupil(school), make_pupil(school, "Ben", "Jones")
    conference = start_conversation(school.id, lead, "conference", [(amira, "harmed"), (ben, "caused_harm")])
    db.session.commit()

    page.set_viewport_size(TABLET)
    sign_in(page, live_server.url, lead)
    page.goto(f"{live_server.url}/conversations/{conference.id}/preparation")
    page.get_by_label("Amira Khan").fill("Wants her mum there")
    page.get_by_label("Ben Jones").fill("Ready to say sorry")
    raise_concern_in_place(page, axe, BEN_SAID, about="Ben Jones")
    expect(page.get_by_label("Amira Khan")).to_have_value("Wants her mum there")
    expect(page.get_by_label("Ben Jones")).to_have_value("Ready to say sorry")
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("heading", name="Conference: the meeting").wait_for()
    assert_accessible(axe, page)
    db.session.expire_all()
    notes = [p.preparation_note for p in db.session.get(Conversation, conference.id).participants]
    assert notes == ["Wants her mum there", "Ready to say sorry"]
    concern = db.session.query(Concern).one()
    assert (concern.pupil_id, concern.context_kind, concern.context_id) == (ben.id, "conference", conference.id)


def test_a_later_by_when_date_moves_the_suggested_review_with_it(live_server, data_app, page, axe):
    """The review date comes filled in (two weeks ahead). A teacher who sets 'by when' a month ahead and
    leaves that suggestion alone finishes at once, reviewed on the 'by when' day, as the field's help says
    (it was refused: 'The review date can't be before the 'by when' date', a date the teacher never chose)."""
    school = make_school()
    teacher = make_staff(school, ("teacher",), name="Tara Teacher")
    ben = make_pupil(school, "Ben", "Jones")
    make_group(school, pupils=[ben], staff=[teacher])
    db.session.commit()
    by_when = school.today() + timedelta(days=30)

    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, teacher)
    page.goto(f"{live_server.url}/conversations/new?pupil_id={ben.id}")
    page.get_by_label("Ben Jones's role").select_option(label="Caused harm")
    page.get_by_role("button", name="Start the conversation").click()
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("heading", name="Agreement").wait_for()
    expect(page.get_by_label("Review the agreement on")).to_have_value((school.today() + timedelta(days=14)).isoformat())
    page.get_by_label("What has been agreed").fill("Ben will help set up the lunch hall for a month")
    page.get_by_role("checkbox", name="Ben Jones").check()

    page.get_by_label("By when (optional)").fill(by_when.isoformat())
    page.get_by_role("button", name="Finish").click()  # the review date left as it came
    expect(page.get_by_text("Restorative conversation finished with an agreement.")).to_be_visible()
    expect(page.get_by_text(f"review {by_when:%-d %b %Y}")).to_be_visible()
    assert db.session.scalar(db.select(Agreement.review_on)) == by_when


def test_a_long_unbroken_link_in_what_was_written_fits_a_360px_phone(live_server, data_app, page, axe):
    """A link pasted into a chat's note, a conversation's summary and answers or an agreement wraps: none of
    the pages showing them scrolls sideways on a phone (they did, to over 1,000 px)."""
    school = make_school()
    lead = make_staff(school, ("pastoral",), name="Pat Pastoral")
    amira, ben = make_pupil(school), make_pupil(school, "Ben", "Jones")
    link = "https://padlet.example/year5cedar/" + "lunchqueue" * 8
    chat = record_quick_chat(school.id, lead, [amira, ben], "Unkind words", "Playground", note=link)
    talk = start_conversation(school.id, lead, "conversation", [(amira, "harmed"), (ben, "caused_harm")], summary=link)
    db.session.flush()
    save_answers(talk, {p.id: [link] for p in talk.participants})
    agreement = finish(talk, lead, f"Ben will read {link}", [talk.participants[1].id], review_on=date.today())
    db.session.flush()
    review_agreement(agreement, "partly_kept", link, lead, review_again_on=date.today() + timedelta(days=7))
    agreement.review_on = date.today()
    db.session.commit()

    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, lead)
    for url in (f"/chats/{chat.id}", f"/conversations/{talk.id}", f"/agreements/{agreement.id}", "/agreements/due",
                f"/pupils/{ben.id}"):
        page.goto(live_server.url + url)
        expect(page.get_by_text(link).first).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], url
        assert_accessible(axe, page)


def adult(page, n: int):
    return page.get_by_role("group", name=f"Adult {n}")


def start_choices_kept(page) -> None:
    expect(page.get_by_label("Ben Jones's role")).to_have_value("caused_harm")
    expect(adult(page, 1).get_by_label("Name")).to_have_value("Mrs Jones")
    expect(adult(page, 1).get_by_label("Role")).to_have_value("parent_carer")
    expect(adult(page, 2).get_by_label("Name")).to_have_value("Mr Patel")
    expect(adult(page, 2).get_by_label("Role")).to_have_value("other_adult")
    expect(page.get_by_label("What happened (optional, short)")).to_have_value("Pushing in the lunch queue")


@pytest.mark.parametrize("scripts", [True, False], ids=["scripts", "no-scripts"])
def test_adding_and_removing_a_pupil_keeps_the_roles_and_notes(live_server, data_app, new_device, axe, scripts):
    """A teacher gives each pupil a role, names the adults and writes what happened, then adds a pupil and takes
    another off: every role, name and word stays (they were lost, the page loaded afresh with only the pupils),
    and Start begins one conference with them. The same without scripts."""
    school = make_school()
    teacher = make_staff(school, ("pastoral",), name="Pat Pastoral")
    make_pupil(school)
    ben = make_pupil(school, "Ben", "Jones")
    make_pupil(school, "Chloe", "Patel")
    db.session.commit()

    page = new_device(viewport=PHONE, java_script_enabled=scripts).new_page()
    sign_in(page, live_server.url, teacher)
    page.goto(f"{live_server.url}/conversations/new?kind=conference&pupil_id={ben.id}")
    page.get_by_role("heading", name="Start a conference").wait_for()
    find_pupil(page, "Add another pupil", "am", scripts)
    page.get_by_role("button", name="Amira Khan").click()
    page.get_by_label("Amira Khan's role").select_option(label="Was harmed")
    page.get_by_label("Ben Jones's role").select_option(label="Caused harm")
    adult(page, 1).get_by_label("Name").fill("Mrs Jones")
    adult(page, 2).get_by_label("Name").fill("Mr Patel")
    adult(page, 2).get_by_label("Role").select_option(label="Other adult")
    page.get_by_label("What happened (optional, short)").fill("Pushing in the lunch queue")

    find_pupil(page, "Add another pupil", "ch", scripts)
    page.get_by_role("button", name="Chloe Patel").click()
    expect(page.get_by_role("button", name="Remove Chloe Patel")).to_be_visible()
    start_choices_kept(page)
    expect(page.get_by_label("Amira Khan's role")).to_have_value("harmed")
    expect(page.get_by_label("Chloe Patel's role")).to_have_value("")
    expect(page.get_by_text("Choose Chloe Patel's role.")).to_have_count(0)  # not refused: nothing was sent to save
    checked_screen(axe, page, scripts)

    page.get_by_role("button", name="Remove Amira Khan").click()
    expect(page.get_by_label("Amira Khan's role")).to_have_count(0)
    start_choices_kept(page)
    page.get_by_label("Chloe Patel's role").select_option(label="Witness")
    checked_screen(axe, page, scripts)
    # a conversation after all, then a conference again: nothing typed goes (the switch was a link)
    page.get_by_role("button", name="Hold a conversation instead").click()
    expect(page.get_by_role("heading", name="Start a restorative conversation")).to_be_visible()
    start_choices_kept(page)
    expect(page.get_by_label("Chloe Patel's role")).to_have_value("witness")
    page.get_by_role("button", name="Hold a conference instead").click()
    expect(page.get_by_role("heading", name="Start a conference")).to_be_visible()
    start_choices_kept(page)
    expect(page.get_by_label("Chloe Patel's role")).to_have_value("witness")
    checked_screen(axe, page, scripts)
    assert db.session.query(Conversation).count() == 0

    page.get_by_role("button", name="Start the conference").click()
    page.get_by_role("heading", name="Conference: preparation").wait_for()
    checked_screen(axe, page, scripts)
    conference = db.session.query(Conversation).one()
    assert (conference.kind, conference.summary) == ("conference", "Pushing in the lunch queue")
    assert [(p.label, p.role) for p in conference.participants] == [
        ("Ben Jones", "caused_harm"), ("Chloe Patel", "witness"), ("Mrs Jones", "parent_carer"),
        ("Mr Patel", "other_adult")]


@pytest.mark.parametrize("viewport", [PHONE, TABLET], ids=["phone-360", "tablet"])
def test_every_problem_with_an_agreement_shows_at_once_beside_its_field(live_server, data_app, page, axe, viewport):
    """Nobody ticked and both dates passed (the review before the 'by when'): one Finish says all of it, each
    message beside its field, which is marked invalid and described by it; what was typed is still there.
    Put right in one go, the next Finish saves the agreement."""
    school = make_school()
    teacher = make_staff(school, ("teacher",), name="Tara Teacher")
    ben = make_pupil(school, "Ben", "Jones")
    make_group(school, pupils=[ben], staff=[teacher])
    talk = start_conversation(school.id, teacher, "conversation", [(ben, "caused_harm")])
    db.session.commit()

    page.set_viewport_size(viewport)
    sign_in(page, live_server.url, teacher)
    page.goto(f"{live_server.url}/conversations/{talk.id}/agreement")
    page.get_by_label("What has been agreed").fill("Ben will say sorry to Amira")
    page.get_by_label("By when (optional)").fill((date.today() - timedelta(days=28)).isoformat())
    page.get_by_label("Review the agreement on").fill((date.today() - timedelta(days=59)).isoformat())
    page.get_by_role("button", name="Finish").click()

    expect(page.get_by_role("alert")).to_have_text("Please check the highlighted fields.")
    expect(page.get_by_role("group", name="Who agreed to it")).to_have_accessible_description(
        "Choose who the agreement is for.")
    by_when, review_on = page.get_by_label("By when (optional)"), page.get_by_label("Review the agreement on")
    expect(by_when).to_have_attribute("aria-invalid", "true")
    expect(by_when).to_have_accessible_description("The 'by when' date has passed: choose today or a later day.")
    expect(review_on).to_have_attribute("aria-invalid", "true")
    expect(review_on).to_have_accessible_description(re.compile(
        "The review date has passed: choose today or a later day. The review date can't be before the 'by when' date."))
    expect(page.get_by_label("What has been agreed")).to_have_value("Ben will say sorry to Amira")
    expect(page.get_by_label("What has been agreed")).to_have_attribute("aria-invalid", "false")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert_accessible(axe, page)

    page.get_by_role("checkbox", name="Ben Jones").check()
    by_when.fill("")
    review_on.fill(date.today().isoformat())
    page.get_by_role("button", name="Finish").click()
    expect(page.get_by_text("Restorative conversation finished with an agreement.")).to_be_visible()
    assert_accessible(axe, page)
    assert db.session.scalar(db.select(Agreement.what)) == "Ben will say sorry to Amira"
