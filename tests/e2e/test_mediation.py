"""Peer mediation in real Chromium: the mediation lead sets a mediator's PIN, two mediators sign
in on a shared tablet and run a mediation through every step with two pupils, press "Get an
adult" (the on-duty member of staff's home screen shows it live and they answer), finish, and
the lead reviews the record. axe-core checks every screen visited."""
import re
import time
from datetime import timedelta

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from playwright.sync_api import expect

from sqlalchemy import select

from rrp_pwa.extensions import db
from rrp_pwa.mediation.accounts import set_mediator_login
from rrp_pwa.mediation.alerts import get_adult
from rrp_pwa.mediation.flow import add_party, no_agreement, start_mediation
from rrp_pwa.mediation.team import SESSION_KEY
from rrp_pwa.models import Concern, Pupil, School, Staff
from rrp_pwa.models.mediation import Mediation, MediationParty
from tests.conftest import PASSWORD, make_pupil, make_school, make_staff
from tests.e2e.conftest import (PHONE, TABLET, assert_accessible, go_offline, requests_sent, wait_for_service_worker,
                                wait_until)
from tests.e2e.test_circle_early_tap import tap_before_the_scripts
from tests.e2e.test_circle_offline import expect_the_pupils_offline_page
from tests.e2e.test_offline_capture import CAPTURE_PAGE_KEPT, wait_for_pupil_list


@pytest.fixture
def brook(data_app):
    school = make_school()
    lead = make_staff(school, ("pastoral",), name="Pat Lead")
    duty = make_staff(school, ("support",), name="Sam Duty")
    make_pupil(school, "Ava", "Brown", peer_mediator=True)
    leo = make_pupil(school, "Leo", "Cole", peer_mediator=True)
    make_pupil(school, "Amira", "Khan")
    make_pupil(school, "Ben", "Jones")
    set_mediator_login(leo, "leo.c", "1357")
    db.session.commit()
    return {"lead": lead.email, "duty": duty.email}


def staff_sign_in(page, url, email, axe):
    page.goto(url + "/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name=re.compile("Hello")).wait_for()
    assert_accessible(axe, page)


def mediator_sign_in(page, username, pin, axe):
    page.get_by_label("Your username").fill(username)
    page.get_by_label("Your PIN").fill(pin)
    assert_accessible(axe, page)
    page.get_by_role("button", name="Sign in").click()


def next_screen(page, button, heading, axe):
    page.get_by_role("button", name=button).click()
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    assert_accessible(axe, page)


def test_a_peer_mediation_from_pin_to_review(live_server, brook, new_device, axe):
    url = live_server.url
    lead = new_device(viewport=TABLET).new_page()
    staff_sign_in(lead, url, brook["lead"], axe)
    lead.get_by_role("link", name=re.compile("^Peer mediation")).click()
    assert_accessible(axe, lead)
    lead.get_by_role("link", name="Mediators, PINs and badges").click()
    assert_accessible(axe, lead)
    lead.get_by_role("link", name="Set up Ava").click()
    assert_accessible(axe, lead)
    lead.get_by_label("Username").fill("ava.b")
    lead.get_by_label("New PIN").fill("4821")
    lead.get_by_role("button", name="Save username and PIN").click()
    expect(lead.get_by_role("status")).to_contain_text("Ava B. can now sign in as")
    assert_accessible(axe, lead)
    lead.get_by_role("link", name="Print all badges").click()
    expect(lead.get_by_role("img", name="Sign-in code for Ava B.")).to_be_visible()
    assert_accessible(axe, lead)

    duty = new_device(viewport=PHONE).new_page()
    staff_sign_in(duty, url, brook["duty"], axe)
    duty.get_by_role("link", name=re.compile("^Mediation duty")).click()
    duty.get_by_role("button", name="I'm on duty today").click()
    expect(duty.get_by_text("You are on duty for peer mediation today.")).to_be_visible()
    assert_accessible(axe, duty)
    duty.get_by_role("link", name="Home").click()
    alerts = duty.locator("#mediation-alert-list")
    expect(alerts).to_contain_text("No mediators need an adult right now.")
    assert_accessible(axe, duty)

    tablet = new_device(viewport=TABLET).new_page()
    tablet.goto(url + "/sign-in/mediator")
    mediator_sign_in(tablet, "ava.b", "4821", axe)
    expect(tablet.get_by_role("heading", name="Hello, Ava B.!")).to_be_visible()
    assert_accessible(axe, tablet)
    tablet.get_by_role("link", name="Add my partner").click()
    expect(tablet.get_by_role("heading", name="Add your partner")).to_be_visible()
    expect(tablet.get_by_text("Ava B. is signed in already.")).to_be_visible()
    expect(tablet.get_by_role("link", name="Go back without a partner")).to_be_visible()
    mediator_sign_in(tablet, "leo.c", "1357", axe)
    expect(tablet.get_by_role("heading", name="Hello, Ava B. and Leo C.!")).to_be_visible()
    tablet.get_by_label("Where are you? (optional)").fill("the library")
    next_screen(tablet, "Start a mediation", "Who is here?", axe)

    tablet.get_by_label("Type a first name").fill("Ami")
    tablet.get_by_role("button", name=re.compile("Choose Amira K.")).click()
    expect(tablet.get_by_role("button", name="Remove Amira K.")).to_be_visible()
    tablet.get_by_label("Type a first name").fill("Ben")
    tablet.get_by_role("button", name=re.compile("Choose Ben J.")).click()
    expect(tablet.get_by_text("Ben J.", exact=True)).to_be_visible()
    assert_accessible(axe, tablet)
    next_screen(tablet, "Next: ground rules", "Ground rules", axe)
    tablet.get_by_role("button", name="Amira K.: I agree").click()
    tablet.get_by_role("button", name="Ben J.: I agree").click()
    expect(tablet.get_by_text("Agreed")).to_have_count(2)
    next_screen(tablet, "Next: tell your stories", "Tell your stories", axe)
    tablet.get_by_label("Key words from Amira K.'s story").fill("ball, called names")

    tablet.get_by_role("button", name="Get an adult").click()
    expect(tablet.get_by_role("heading", name="An adult is coming")).to_be_visible()
    expect(tablet.get_by_text("can't be kept a secret")).to_be_visible()
    assert_accessible(axe, tablet)
    expect(alerts).to_contain_text("Mediators need an adult in the library", timeout=5000)
    expect(alerts).to_contain_text("Ava B. and Leo C.")
    assert_accessible(axe, duty)
    duty.get_by_role("button", name="I'm on my way").click()
    expect(alerts).to_contain_text("You're on your way")  # Sam's own phone
    expect(tablet.get_by_text("Sam Duty is on the way.")).to_be_visible(timeout=10000)
    assert_accessible(axe, tablet)
    next_screen(tablet, "The adult is here - carry on", "Tell your stories", axe)
    expect(alerts).to_contain_text("No mediators need an adult right now.", timeout=5000)

    expect(tablet.get_by_label("Key words from Amira K.'s story")).to_have_value("ball, called names")
    tablet.get_by_label("Key words from Ben J.'s story").fill("my turn")
    next_screen(tablet, "Next: feelings", "Feelings", axe)
    tablet.get_by_role("group", name="How does Amira K. feel?").get_by_label("Angry").check()
    tablet.get_by_role("group", name="How does Ben J. feel?").get_by_label("Left out").check()
    next_screen(tablet, "Next: ideas", "Ideas", axe)
    tablet.get_by_label("Ideas to make things right").fill("Take turns with the ball")
    next_screen(tablet, "Next: agreement", "Agreement", axe)
    tablet.get_by_label("What will Amira K. do?").fill("Give Ben a turn with the ball")
    tablet.get_by_label("What will Ben J. do?").fill("Use kind words")
    next_screen(tablet, "Save the agreements", "Agreement", axe)
    tablet.get_by_role("button", name="Amira K.: I agree").click()
    tablet.get_by_role("button", name="Ben J.: I agree").click()
    expect(tablet.get_by_text("Agreed")).to_have_count(2)
    assert_accessible(axe, tablet)
    tablet.get_by_role("button", name="Finish the mediation").click()
    expect(tablet.get_by_role("status")).to_contain_text("Well done!")
    expect(tablet.get_by_role("heading", name="Hello, peer mediator!")).to_be_visible()
    assert_accessible(axe, tablet)

    lead.get_by_role("link", name="Home").click()
    lead.get_by_role("link", name=re.compile("^Peer mediation")).click()
    lead.get_by_role("link", name="Review: Amira K. and Ben J.").click()
    expect(lead.get_by_text("Give Ben a turn with the ball (agreed)")).to_be_visible()
    expect(lead.get_by_text("ball, called names")).to_be_visible()
    assert_accessible(axe, lead)
    lead.get_by_role("link", name=re.compile(r"^Follow-up review on .* of Amira K.'s agreement$")).click()
    expect(lead.get_by_text("Give Ben a turn with the ball")).to_be_visible()
    expect(lead.get_by_role("heading", name="Review it now")).to_be_visible()
    assert_accessible(axe, lead)
    lead.go_back()
    lead.get_by_label("Review note (optional)").fill("Checked in with both at the end of lunch.")
    lead.get_by_role("button", name="Mark reviewed").click()
    expect(lead.get_by_text("Every mediation has been reviewed.")).to_be_visible()
    expect(lead.get_by_role("link", name="Amira K. and Ben J.")).to_be_visible()
    assert_accessible(axe, lead)


def test_a_tap_on_im_on_my_way_counts_while_the_alert_list_refreshes(live_server, brook, new_device, axe):
    ava, leo = (db.session.scalar(select(Pupil).where(Pupil.given_name == name)) for name in ("Ava", "Leo"))
    mediation = start_mediation(ava.school_id, [ava, leo], place="the library")
    db.session.add(mediation)
    get_adult(mediation, ava)
    db.session.commit()
    lead = new_device(viewport=PHONE).new_page()
    lead.clock.install()
    staff_sign_in(lead, live_server.url, brook["lead"], axe)  # nobody is on duty: the pastoral lead gets alerts
    on_my_way = lead.get_by_role("button", name="I'm on my way")
    expect(on_my_way).to_be_visible()

    # Her finger is on "I'm on my way" as the list refreshes itself (every 20 s); she lifts it after.
    box = on_my_way.bounding_box()
    lead.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    lead.mouse.down()
    lead.evaluate("""() => document.getElementById("mediation-alert-list").addEventListener(
        "htmx:afterSettle", () => { document.body.dataset.refreshed = "yes"; }, {once: true})""")
    lead.clock.fast_forward(20_000)
    expect(lead.locator("body[data-refreshed=yes]")).to_be_attached()
    lead.mouse.up()

    expect(lead.locator("#mediation-alert-list")).to_contain_text("You're on your way")
    assert_accessible(axe, lead)


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_mediator_screens_still_work_on_a_360_px_phone(live_server, brook, new_device, axe, scheme):
    page = new_device(viewport=PHONE, color_scheme=scheme).new_page()
    page.goto(live_server.url + "/mediate")
    expect(page).to_have_url(re.compile("/sign-in/mediator"))
    mediator_sign_in(page, "leo.c", "1357", axe)
    expect(page.get_by_role("heading", name="Hello, Leo C.!")).to_be_visible()
    no_sideways_scroll(page)
    assert_accessible(axe, page)
    next_screen(page, "Start a mediation", "Who is here?", axe)
    page.get_by_label("Type a first name").fill("Ami")
    choose = page.get_by_role("button", name=re.compile("Choose Amira K."))
    box = choose.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44
    choose.click()
    expect(page.get_by_role("button", name="Remove Amira K.")).to_be_visible()  # chosen: the screen has settled
    page.get_by_label("Type a first name").fill("Ben")
    page.get_by_role("button", name=re.compile("Choose Ben J.")).click()
    next_screen(page, "Next: ground rules", "Ground rules", axe)
    no_sideways_scroll(page)
    adult = page.get_by_role("button", name="Get an adult")
    assert adult.bounding_box()["height"] >= 44
    adult.click()
    expect(page.get_by_role("heading", name="An adult is coming")).to_be_visible()
    no_sideways_scroll(page)
    assert_accessible(axe, page)


@pytest.mark.parametrize("scripts", [True, False], ids=["scripts", "no-scripts"])
def test_enter_in_who_is_here_asks_the_server_once(live_server, brook, new_device, axe, scripts):
    """Enter in "Type a first name" sends one search. It sent two: htmx's search and the form's own Find, which
    loaded the step afresh (the focus leaving the search, the tablet's keyboard closing). With scripts, the
    matches come into the step and the focus stays in the search; without, Find brings them, as it always has.
    The pupil already chosen stays chosen."""
    leo, amira = (db.session.scalar(select(Pupil).where(Pupil.given_name == name)) for name in ("Leo", "Amira"))
    mediation = start_mediation(leo.school_id, [leo], place="the library")
    db.session.add(mediation)
    add_party(mediation, amira)
    db.session.commit()
    address = f"/mediate/{mediation.id}"

    tablet = new_device(viewport=TABLET, java_script_enabled=scripts).new_page()
    tablet.goto(live_server.url + "/sign-in/mediator")
    tablet.get_by_label("Your username").fill("leo.c")
    tablet.get_by_label("Your PIN").fill("1357")
    tablet.get_by_role("button", name="Sign in").click()
    expect(tablet.get_by_role("heading", name="Hello, Leo C.!")).to_be_visible()
    tablet.goto(live_server.url + address)
    search = tablet.get_by_role("searchbox", name="Type a first name")
    choose_ben = tablet.get_by_role("button", name=re.compile("Choose Ben J."))
    search.fill("Ben")
    if scripts:  # the matches come as the letters are typed: that search is answered before Enter is pressed
        expect(choose_ben).to_be_visible()
    with requests_sent(tablet) as sent:
        search.press("Enter")
        expect(choose_ben).to_be_visible()
    assert sent == ([address + "/pupils"] if scripts else [address])
    if scripts:
        expect(search).to_be_focused()
        expect(tablet).to_have_url(live_server.url + address)
    expect(search).to_have_value("Ben")
    expect(tablet.get_by_role("button", name="Remove Amira K.")).to_be_visible()
    if scripts:  # axe is a script
        assert_accessible(axe, tablet)


def leo_opens_the_mediation(device, live_server, axe):
    """Leo signs in on the mediators' tablet (``device``) and opens the mediation with Amira and Ben."""
    tablet = device.new_page()
    tablet.goto(live_server.url + "/sign-in/mediator")
    mediator_sign_in(tablet, "leo.c", "1357", axe)
    tablet.get_by_role("link", name="Amira K. and Ben J.").click()
    return tablet


def leos_mediation_at(step: str) -> None:
    """A mediation Leo is running with Amira and Ben, already at ``step`` (the ground rules agreed)."""
    leo, amira, ben = (db.session.scalar(select(Pupil).where(Pupil.given_name == name))
                       for name in ("Leo", "Amira", "Ben"))
    mediation = start_mediation(leo.school_id, [leo], place="the library")
    db.session.add(mediation)
    add_party(mediation, amira)
    add_party(mediation, ben)
    for party in mediation.parties:
        party.rules_agreed_at = mediation.started_at
    mediation.step = step
    db.session.commit()


def leos_mediation_ended_with_no_agreement() -> int:
    leos_mediation_at("ideas")
    mediation = db.session.scalars(select(Mediation).order_by(Mediation.id.desc())).first()
    no_agreement(mediation)
    db.session.commit()
    return mediation.id


def test_mediators_go_back_a_step_without_losing_what_they_typed(live_server, brook, new_device, axe):
    leos_mediation_at("stories")
    tablet = leo_opens_the_mediation(new_device(viewport=TABLET), live_server, axe)
    expect(tablet.get_by_role("heading", name="Tell your stories", exact=True)).to_be_visible()
    tablet.get_by_label("Key words from Amira K.'s story").fill("ball, called names")
    next_screen(tablet, "Back to the ground rules", "Ground rules", axe)
    expect(tablet.get_by_text("Agreed")).to_have_count(2)
    next_screen(tablet, "Next: tell your stories", "Tell your stories", axe)
    expect(tablet.get_by_label("Key words from Amira K.'s story")).to_have_value("ball, called names")
    tablet.get_by_label("Key words from Ben J.'s story").fill("my turn")
    next_screen(tablet, "Next: feelings", "Feelings", axe)
    next_screen(tablet, "Back to the stories", "Tell your stories", axe)
    expect(tablet.get_by_label("Key words from Ben J.'s story")).to_have_value("my turn")
    no_sideways_scroll(tablet)


def requests_in_flight(device) -> set:
    """The requests of ``device`` not yet answered, from now on: its pages' and its service worker's.
    After every page it loads, the browser asks for the service worker's script again (its update
    check) with the session cookie of that moment, and the answer can set that cookie again - over a
    sign-in made meanwhile, or over a cookie put back by leave_the_tablet_idle. A page's "networkidle"
    does not wait for it: it is not the page's request."""
    waiting = set()
    device.on("request", lambda request: waiting.add(request))
    device.on("requestfinished", lambda request: waiting.discard(request))
    device.on("requestfailed", lambda request: waiting.discard(request))
    return waiting


def wait_until_answered(tablet, waiting: set, quiet_ms: int = 500) -> None:
    """Wait until the tablet has had nothing in flight for ``quiet_ms`` (an update check starts just
    after the page it follows), as it would long before a person had typed or been idle for minutes."""
    quiet_since = None
    for _ in range(300):
        tablet.wait_for_timeout(100)
        if waiting:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif (time.monotonic() - quiet_since) * 1000 >= quiet_ms:
            return
    raise AssertionError(f"the tablet's requests were still not answered: {[r.url for r in waiting]}")


def leave_the_tablet_idle(tablet, waiting: set, minutes: int) -> None:
    """As if nobody had touched the tablet for ``minutes``: once its requests are answered (``waiting``:
    requests_in_flight; an answer arriving later would set the fresh cookie again), the session cookie's
    last-seen time goes back (signed with the live server's key, as its own answer would be)."""
    wait_until_answered(tablet, waiting)
    keyed = Flask("tablet")
    keyed.secret_key = "e2e-secret"  # tests/servers.py
    signer = SecureCookieSessionInterface().get_signing_serializer(keyed)
    cookie = next(c for c in tablet.context.cookies() if c["name"] == "rrp_session")
    stored = signer.loads(cookie["value"])
    stored[SESSION_KEY]["seen"] -= minutes * 60
    tablet.context.add_cookies([{**cookie, "value": signer.dumps(stored)}])


def test_the_mediators_tablet_with_no_signal_shows_the_pupils_offline_page(cable, brook, new_device, axe):
    """Review: the mediators' tablet reloaded with no signal showed the staff offline page (the Designated
    Safeguarding Lead, Record offline). It shows the pupils' page, which says the mediation is kept, and Try again
    brings the mediation back once the signal is."""
    leos_mediation_at("stories")
    tablet = leo_opens_the_mediation(new_device(viewport=TABLET), cable, axe)
    stories = tablet.get_by_role("heading", name="Tell your stories", exact=True)
    expect(stories).to_be_visible()
    wait_for_service_worker(tablet)
    mediation_url = tablet.url
    go_offline(tablet.context, cable)
    tablet.reload()
    expect_the_pupils_offline_page(tablet, axe)
    expect(tablet.get_by_text("A mediation is kept too")).to_be_visible()
    expect(tablet).to_have_url(mediation_url)
    go_offline(tablet.context, cable, False)
    tablet.get_by_role("link", name="Try again").click()
    expect(stories).to_be_visible()
    expect(tablet).to_have_url(mediation_url)


def test_words_typed_as_the_tablet_times_out_come_back_after_signing_in(live_server, brook, new_device, axe):
    leos_mediation_at("stories")
    device = new_device(viewport=TABLET)
    waiting = requests_in_flight(device)
    tablet = leo_opens_the_mediation(device, live_server, axe)
    tablet.get_by_label("Key words from Amira K.'s story").fill("ball, called names")
    tablet.get_by_label("Key words from Ben J.'s story").fill("it was my turn")
    leave_the_tablet_idle(tablet, waiting, 11)
    tablet.get_by_role("button", name="Next: feelings").click()
    expect(tablet.get_by_role("heading", name="Hello, peer mediator!")).to_be_visible()
    expect(tablet.get_by_text("Sign in again to keep what you typed.")).to_be_visible()
    # A person takes seconds to type: the tablet's own requests (the service worker's update check after
    # this page, whose answer re-sends the session cookie it was asked with) are answered by then.
    wait_until_answered(tablet, waiting)
    mediator_sign_in(tablet, "leo.c", "1357", axe)
    expect(tablet.get_by_role("heading", name="Tell your stories", exact=True)).to_be_visible()
    expect(tablet.get_by_text("What you typed is still here.")).to_be_visible()
    expect(tablet.get_by_label("Key words from Amira K.'s story")).to_have_value("ball, called names")
    expect(tablet.get_by_label("Key words from Ben J.'s story")).to_have_value("it was my turn")
    assert_accessible(axe, tablet)
    next_screen(tablet, "Next: feelings", "Feelings", axe)
    next_screen(tablet, "Back to the stories", "Tell your stories", axe)
    expect(tablet.get_by_label("Key words from Amira K.'s story")).to_have_value("ball, called names")


def test_the_lead_ends_a_mediation_left_unfinished_and_follows_it_up(live_server, brook, new_device, axe):
    leos_mediation_at("feelings")
    lead = new_device(viewport=PHONE).new_page()
    staff_sign_in(lead, live_server.url, brook["lead"], axe)
    lead.get_by_role("link", name=re.compile("^Peer mediation")).click()
    lead.get_by_role("link", name="Amira K. and Ben J. · the library").click()
    expect(lead.get_by_text("This mediation is still going on")).to_be_visible()
    assert_accessible(axe, lead)
    lead.once("dialog", lambda dialog: dialog.accept())
    lead.get_by_role("button", name="End the mediation").click()
    expect(lead.get_by_role("status")).to_contain_text("has been ended")
    expect(lead.get_by_text("No agreement - passed to staff")).to_be_visible()
    no_sideways_scroll(lead)
    assert_accessible(axe, lead)
    lead.get_by_role("button", name="Mark reviewed").click()  # reviewed, but not followed up yet: it stays listed
    expect(lead.get_by_role("status")).to_contain_text("It stays under No agreement: follow-up needed")
    waiting = lead.get_by_role("region", name="No agreement: follow-up needed (1)")
    no_sideways_scroll(lead)
    assert_accessible(axe, lead)
    waiting.get_by_role("link", name="Follow up: Amira K. and Ben J.").click()
    expect(lead.get_by_role("heading", name="Next step")).to_be_in_viewport()
    lead.get_by_role("link", name="Start a restorative conversation").click()
    expect(lead.get_by_role("button", name="Remove Amira Khan")).to_be_visible()
    expect(lead.get_by_role("button", name="Remove Ben Jones")).to_be_visible()
    expect(lead.get_by_text("Following up the peer mediation of")).to_contain_text(
        "between Amira K. and Ben J., which ended with no agreement")
    assert_accessible(axe, lead)
    lead.get_by_label("Amira Khan's role").select_option(label="Was harmed")
    lead.get_by_label("Ben Jones's role").select_option(label="Caused harm")
    lead.get_by_role("button", name="Start the conversation").click()
    expect(lead.get_by_role("heading", name="Restorative conversation", exact=True)).to_be_visible()
    lead.goto(live_server.url + "/mediation")
    expect(lead.get_by_role("region", name=re.compile("follow-up needed"))).to_have_count(0)
    lead.get_by_role("link", name="Amira K. and Ben J.").click()
    next_step = lead.get_by_role("region", name="Next step")
    expect(next_step).to_contain_text(
        re.compile(r"Followed up: Restorative conversation started\s+on \d+ \w+ \d{4} by Pat Lead"))
    expect(next_step.get_by_role("link", name="Restorative conversation")).to_be_visible()
    assert_accessible(axe, lead)


def test_the_lead_follows_up_a_mediation_on_a_phone_whoever_is_taken_off_and_picked_again(
        live_server, brook, new_device, axe):
    """The follow-up survives the picker with scripts (each Remove and pick sends the form back through htmx,
    and the address bar follows): it is said only while one of the mediation's pupils is chosen, and the
    conversation started records it. Another mediation is recorded as followed up another way, asked first."""
    first, second = leos_mediation_ended_with_no_agreement(), leos_mediation_ended_with_no_agreement()
    lead = new_device(viewport=PHONE).new_page()
    staff_sign_in(lead, live_server.url, brook["lead"], axe)
    lead.goto(f"{live_server.url}/mediation/records/{first}")
    next_step = lead.get_by_role("region", name="Next step")
    expect(next_step.get_by_role("button", name="It has been followed up")).to_be_visible()
    no_sideways_scroll(lead)
    assert_accessible(axe, lead)
    next_step.get_by_role("link", name="Start a restorative conversation").click()
    notice = lead.get_by_text("Following up the peer mediation of")
    expect(notice).to_be_visible()
    lead.get_by_role("button", name="Remove Ben Jones").click()
    expect(lead.get_by_role("button", name="Remove Ben Jones")).to_have_count(0)
    expect(notice).to_be_visible()  # Amira is still in it
    lead.get_by_role("button", name="Remove Amira Khan").click()
    expect(lead.get_by_role("button", name="Remove Amira Khan")).to_have_count(0)
    expect(notice).to_have_count(0)  # a conversation with neither of them is not the follow-up
    lead.get_by_label("Find a pupil").fill("Ben")
    lead.get_by_role("button", name=re.compile("^Ben Jones")).click()
    expect(lead.get_by_role("button", name="Remove Ben Jones")).to_be_visible()
    expect(notice).to_contain_text("between Amira K. and Ben J., which ended with no agreement")
    lead.reload()  # the address bar kept the follow-up with the pupils
    expect(notice).to_be_visible()
    no_sideways_scroll(lead)
    assert_accessible(axe, lead)
    lead.get_by_label("Ben Jones's role").select_option(label="Caused harm")
    lead.get_by_role("button", name="Start the conversation").click()
    expect(lead.get_by_role("heading", name="Restorative conversation", exact=True)).to_be_visible()
    lead.goto(f"{live_server.url}/mediation/records/{first}")
    expect(lead.get_by_role("region", name="Next step")).to_contain_text(
        re.compile(r"Followed up: Restorative conversation started\s+on \d+ \w+ \d{4} by Pat Lead"))

    lead.goto(f"{live_server.url}/mediation/records/{second}")
    lead.once("dialog", lambda dialog: dialog.accept())
    lead.get_by_role("button", name="It has been followed up").click()
    expect(lead.get_by_role("status")).to_contain_text("has been followed up")
    expect(lead.get_by_role("region", name="Next step")).to_contain_text(
        re.compile(r"Followed up\s+on \d+ \w+ \d{4} by Pat Lead"))
    no_sideways_scroll(lead)
    assert_accessible(axe, lead)


def test_mediators_choose_when_to_check_the_agreement_and_the_lead_moves_it(live_server, brook, new_device, axe):
    leos_mediation_at("agreement")
    today = db.session.scalar(select(School)).today()
    tablet = leo_opens_the_mediation(new_device(viewport=TABLET), live_server, axe)
    expect(tablet.get_by_role("heading", name="Agreement", exact=True)).to_be_visible()
    when = tablet.get_by_role("group", name="When will we check it is working?")
    expect(when.get_by_role("radio", name="In 2 weeks")).to_be_checked()
    assert_accessible(axe, tablet)
    one_week = when.get_by_text("In 1 week")
    assert one_week.locator("..").bounding_box()["height"] >= 44  # the choice tapped: its words' label
    one_week.click()
    tablet.get_by_label("What will Amira K. do?").fill("Give Ben a turn with the ball")
    tablet.get_by_label("What will Ben J. do?").fill("Use kind words")
    next_screen(tablet, "Save the agreements", "Agreement", axe)
    expect(tablet.get_by_role("group", name="When will we check it is working?")
           .get_by_role("radio", name="In 1 week")).to_be_checked()
    tablet.get_by_role("button", name="Amira K.: I agree").click()
    tablet.get_by_role("button", name="Ben J.: I agree").click()
    expect(tablet.get_by_text("Agreed")).to_have_count(2)
    tablet.get_by_role("button", name="Finish the mediation").click()
    expect(tablet.get_by_role("status")).to_contain_text("Well done!")

    lead = new_device(viewport=TABLET).new_page()
    staff_sign_in(lead, live_server.url, brook["lead"], axe)
    lead.get_by_role("link", name=re.compile("^Peer mediation")).click()
    lead.get_by_role("link", name="Review: Amira K. and Ben J.").click()
    in_a_week = today + timedelta(weeks=1)
    expect(lead.get_by_role("link", name=f"Follow-up review on {in_a_week:%-d %b} of Amira K.'s agreement")) \
        .to_be_visible()
    date_field = lead.get_by_label("Follow-up review of the agreements on")
    expect(date_field).to_have_value(in_a_week.isoformat())
    assert_accessible(axe, lead)
    date_field.fill((today - timedelta(days=1)).isoformat())
    lead.get_by_label("Review note (optional)").fill("Both calm at the end of lunch.")
    lead.get_by_role("button", name="Mark reviewed").click()
    passed = f"The day you chose, {today - timedelta(days=1):%A %-d %B}, has passed: choose today or a later day."
    expect(lead.get_by_text(passed)).to_be_visible()
    expect(lead.get_by_label("Review note (optional)")).to_have_value("Both calm at the end of lunch.")
    assert_accessible(axe, lead)
    in_three_weeks = today + timedelta(weeks=3)
    lead.get_by_label("Follow-up review of the agreements on").fill(in_three_weeks.isoformat())
    lead.get_by_role("button", name="Mark reviewed").click()
    expect(lead.get_by_text("Every mediation has been reviewed.")).to_be_visible()
    assert_accessible(axe, lead)
    lead.get_by_role("link", name="Amira K. and Ben J.").click()
    expect(lead.get_by_role("link", name=f"Follow-up review on {in_three_weeks:%-d %b} of Ben J.'s agreement")) \
        .to_be_visible()


def test_after_a_long_wait_for_an_adult_the_mediators_sign_in_again_and_lose_nothing(live_server, brook, new_device,
                                                                                     axe):
    """The tablet slept while they waited: its first "who is coming" check ends the idle session. The
    next tap leads to the mediator sign-in (not "Bad request"), and what was typed before "Get an adult"
    is still on the step."""
    leos_mediation_at("ideas")
    device = new_device(viewport=TABLET)
    waiting = requests_in_flight(device)
    tablet = leo_opens_the_mediation(device, live_server, axe)
    tablet.get_by_label("Ideas to make things right").fill("Take turns with the ball")
    tablet.get_by_role("button", name="Get an adult").click()
    expect(tablet.get_by_role("heading", name="An adult is coming")).to_be_visible()
    leave_the_tablet_idle(tablet, waiting, 11)
    with tablet.expect_response(lambda response: response.url.endswith("/status") and response.status == 401):
        pass  # the screen's own check, every 5 s
    tablet.get_by_role("button", name="The adult is here - carry on").click()
    expect(tablet.get_by_role("heading", name="Hello, peer mediator!")).to_be_visible()
    assert_accessible(axe, tablet)
    wait_until_answered(tablet, waiting)
    mediator_sign_in(tablet, "leo.c", "1357", axe)
    next_screen(tablet, "The adult is here - carry on", "Ideas", axe)
    expect(tablet.get_by_label("Ideas to make things right")).to_have_value("Take turns with the ball")


def test_get_an_adult_keeps_the_agreement_being_written_on_a_landscape_tablet(live_server, brook, new_device, axe):
    leos_mediation_at("agreement")
    tablet = leo_opens_the_mediation(new_device(viewport={"width": 1024, "height": 768}), live_server, axe)
    tablet.get_by_label("What will Amira K. do?").fill("Give Ben a turn with the ball")
    tablet.get_by_role("group", name="When will we check it is working?").get_by_text("In 4 weeks").click()
    next_screen(tablet, "Get an adult", "An adult is coming", axe)
    next_screen(tablet, "The adult is here - carry on", "Agreement", axe)
    expect(tablet.get_by_label("What will Amira K. do?")).to_have_value("Give Ben a turn with the ball")
    expect(tablet.get_by_label("What will Ben J. do?")).to_have_value("")
    expect(tablet.get_by_role("group", name="When will we check it is working?")
           .get_by_role("radio", name="In 4 weeks")).to_be_checked()
    expect(tablet.get_by_role("button", name="Amira K.: I agree")).to_have_count(0)


def test_back_from_the_agreement_step_keeps_what_was_written(live_server, brook, new_device, axe):
    leos_mediation_at("agreement")
    tablet = leo_opens_the_mediation(new_device(viewport=TABLET), live_server, axe)
    tablet.get_by_label("What will Amira K. do?").fill("Give Ben a turn with the ball")
    next_screen(tablet, "Back to ideas", "Ideas", axe)
    next_screen(tablet, "Next: agreement", "Agreement", axe)
    expect(tablet.get_by_label("What will Amira K. do?")).to_have_value("Give Ben a turn with the ball")
    no_sideways_scroll(tablet)


def test_get_an_adult_from_a_tablet_left_idle_still_tells_the_adults(live_server, brook, new_device, axe):
    """The pupils talked for a long while without anyone touching the tablet; then someone said
    something worrying. One tap still brings an adult; then the mediators sign in again."""
    leos_mediation_at("stories")
    lead = new_device(viewport=PHONE).new_page()
    staff_sign_in(lead, live_server.url, brook["lead"], axe)  # nobody is on duty: the pastoral lead gets alerts
    device = new_device(viewport=TABLET)
    waiting = requests_in_flight(device)
    tablet = leo_opens_the_mediation(device, live_server, axe)
    tablet.get_by_label("Key words from Amira K.'s story").fill("ball, called names")
    leave_the_tablet_idle(tablet, waiting, 15)
    tablet.get_by_role("button", name="Get an adult").click()
    expect(tablet.get_by_role("status")).to_contain_text("We have told the adults on duty.")
    expect(tablet.get_by_role("heading", name="Hello, peer mediator!")).to_be_visible()
    assert_accessible(axe, tablet)
    expect(lead.locator("#mediation-alert-list")).to_contain_text("Mediators need an adult in the library")
    wait_until_answered(tablet, waiting)
    mediator_sign_in(tablet, "leo.c", "1357", axe)
    expect(tablet.get_by_role("heading", name="An adult is coming")).to_be_visible()
    next_screen(tablet, "The adult is here - carry on", "Tell your stories", axe)
    expect(tablet.get_by_label("Key words from Amira K.'s story")).to_have_value("ball, called names")


def agreements_saved(new_device, live_server, axe):
    """Leo's mediation at its agreement step on a tablet, each pupil's words typed and saved; the tablet."""
    leos_mediation_at("agreement")
    tablet = leo_opens_the_mediation(new_device(viewport=TABLET), live_server, axe)
    tablet.get_by_label("What will Amira K. do?").fill("Give Ben a turn with the ball")
    tablet.get_by_label("What will Ben J. do?").fill("Use kind words")
    next_screen(tablet, "Save the agreements", "Agreement", axe)
    return tablet


def test_i_agree_after_changing_the_words_asks_to_save_them_first(live_server, brook, new_device, axe):
    tablet = agreements_saved(new_device, live_server, axe)
    tablet.get_by_label("What will Ben J. do?").fill("Use kind words and say sorry")
    tablet.get_by_role("button", name="Ben J.: I agree").click()
    expect(tablet.get_by_role("alert")).to_contain_text("Ben J.'s agreement was changed on the screen")
    expect(tablet.get_by_label("What will Ben J. do?")).to_have_value("Use kind words and say sorry")
    assert_accessible(axe, tablet)
    next_screen(tablet, "Save the agreements", "Agreement", axe)
    tablet.get_by_role("button", name="Ben J.: I agree").click()
    expect(tablet.get_by_text("Ben J.: Use kind words and say sorry")).to_be_visible()
    expect(tablet.get_by_text("Agreed")).to_have_count(1)


def test_finish_after_changing_the_words_keeps_them_and_asks_to_save_them_first(live_server, brook, new_device, axe):
    tablet = agreements_saved(new_device, live_server, axe)
    tablet.get_by_role("button", name="Amira K.: I agree").click()
    tablet.get_by_role("button", name="Ben J.: I agree").click()
    expect(tablet.get_by_text("Agreed")).to_have_count(2)
    tablet.get_by_label("What will Ben J. do?").fill("Use kind words and say sorry")
    tablet.get_by_role("button", name="Finish the mediation").click()
    expect(tablet.get_by_role("alert")).to_contain_text("Ben J.'s agreement was changed on the screen")
    expect(tablet.get_by_label("What will Ben J. do?")).to_have_value("Use kind words and say sorry")
    expect(tablet.get_by_role("heading", name="Agreement", exact=True)).to_be_visible()
    assert_accessible(axe, tablet)
    next_screen(tablet, "Save the agreements", "Agreement", axe)
    expect(tablet.get_by_text("Ben J.: Use kind words and say sorry")).to_be_visible()
    expect(tablet.get_by_role("button", name="Finish the mediation")).to_have_count(0)
    tablet.get_by_role("button", name="Ben J.: I agree").click()
    tablet.get_by_role("button", name="Finish the mediation").click()
    expect(tablet.get_by_role("status")).to_contain_text("Well done!")


def test_we_cant_agree_asks_before_what_is_written_goes(live_server, brook, new_device, axe):
    leos_mediation_at("agreement")
    tablet = leo_opens_the_mediation(new_device(viewport=TABLET), live_server, axe)
    tablet.get_by_label("What will Amira K. do?").fill("Give Ben a turn with the ball")
    asked = []
    tablet.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    tablet.get_by_role("button", name="We can't agree - an adult will take over").click()
    expect(tablet.get_by_label("What will Amira K. do?")).to_have_value("Give Ben a turn with the ball")
    assert asked and "What is written for the agreements will not be kept." in asked[0]
    expect(tablet.get_by_role("heading", name="Agreement", exact=True)).to_be_visible()
    tablet.once("dialog", lambda dialog: dialog.accept())
    tablet.get_by_role("button", name="We can't agree - an adult will take over").click()
    expect(tablet.get_by_role("status")).to_contain_text("an adult will come and take over")
    assert_accessible(axe, tablet)


def test_the_pupil_list_of_staff_who_handed_the_tablet_on_is_not_left_for_the_mediators(cable, brook, new_device, axe):
    """Sam, on midday duty, used the mediators' tablet: his home screen got Record offline ready (his pupil list and
    the page). He hands it on without signing out, and Leo signs in, which ends Sam's session. The mediators'
    screens forget Sam's pupil list, as the staff sign-in page would: with no signal, Record offline's address
    shows the app's offline page, not the school's pupils."""
    sam = db.session.scalar(select(Staff).where(Staff.email == brook["duty"]))
    device = new_device(viewport=TABLET)
    tablet = device.new_page()
    staff_sign_in(tablet, cable.url, brook["duty"], axe)
    assert wait_for_pupil_list(tablet, sam.id) == sam.id
    wait_until(tablet, CAPTURE_PAGE_KEPT)
    wait_for_service_worker(tablet)
    tablet.goto(cable.url + "/sign-in/mediator")
    mediator_sign_in(tablet, "leo.c", "1357", axe)
    expect(tablet.get_by_role("heading", name=re.compile("Hello, Leo"))).to_be_visible()
    tablet.wait_for_load_state("load")
    assert_accessible(axe, tablet)
    assert wait_for_pupil_list(tablet, None) is None
    go_offline(device, cable)
    tablet.goto(cable.url + "/capture")
    expect(tablet.get_by_role("heading", name="You're offline")).to_be_visible()
    assert "Amira" not in tablet.content()


def test_we_cant_agree_tapped_before_the_scripts_is_asked_on_a_page_of_its_own(live_server, brook, new_device, axe):
    """A slow tablet still loading its scripts (rrp_pwa/asking.py): "We can't agree" tapped at once does not end
    the mediation unasked. A page asks the same question, under the tablet's own top bar; "No" goes back with
    nothing lost, and its yes ends the mediation."""
    leos_mediation_at("agreement")
    tablet = leo_opens_the_mediation(new_device(viewport=PHONE, base_url=live_server.url, service_workers="block"),
                                     live_server, axe)
    expect(tablet.get_by_role("heading", name="Agreement", exact=True)).to_be_visible()
    mediation_path = re.search(r"/mediate/\d+", tablet.url).group(0)
    cant_agree = "We can't agree - an adult will take over"

    tap_before_the_scripts(tablet, mediation_path, cant_agree)
    expect(tablet.get_by_role("heading", name="End the mediation without an agreement?")).to_be_visible()
    expect(tablet.get_by_text("What is written for the agreements will not be kept.")).to_be_visible()
    expect(tablet.get_by_role("link", name="Leo C.")).to_be_visible()  # the tablet's top bar, not the staff's
    no_sideways_scroll(tablet)
    assert_accessible(axe, tablet)
    tablet.get_by_role("link", name="No, go back to the mediation").click()
    expect(tablet.get_by_role("heading", name="Agreement", exact=True)).to_be_visible()
    expect(tablet.get_by_label("What will Amira K. do?")).to_be_visible()  # still going

    tap_before_the_scripts(tablet, mediation_path, cant_agree)
    tablet.get_by_role("button", name=cant_agree).click()
    expect(tablet.get_by_role("status")).to_contain_text("an adult will come and take over")


LANDSCAPE_TABLET = {"width": 1280, "height": 800}


def test_we_cant_agree_calls_the_adult_on_duty_and_tells_the_mediators_what_happens_next(live_server, brook,
                                                                                        new_device, axe):
    """"We can't agree" ends the mediation with no agreement: the adult on duty's home screen is alerted live, as
    for "Get an adult", and the mediators are thanked for trying and told an adult will come and take over - not
    "Well done! The mediation is finished", as after an agreement. The adult who answers takes it over."""
    duty = new_device(viewport=PHONE).new_page()
    staff_sign_in(duty, live_server.url, brook["duty"], axe)
    duty.get_by_role("link", name=re.compile("^Mediation duty")).click()
    duty.get_by_role("button", name="I'm on duty today").click()
    duty.get_by_role("link", name="Home").click()
    alerts = duty.locator("#mediation-alert-list")
    expect(alerts).to_contain_text("No mediators need an adult right now.")

    leos_mediation_at("agreement")
    tablet = leo_opens_the_mediation(new_device(viewport=LANDSCAPE_TABLET), live_server, axe)
    tablet.once("dialog", lambda dialog: dialog.accept())
    tablet.get_by_role("button", name="We can't agree - an adult will take over").click()
    told = tablet.get_by_role("status")
    expect(told).to_contain_text("Thank you for trying")
    expect(told).to_contain_text("an adult will come and take over")
    expect(told).not_to_contain_text("Well done!")
    expect(tablet.get_by_role("heading", name="Hello, peer mediator!")).to_be_visible()
    assert_accessible(axe, tablet)

    expect(alerts).to_contain_text("No agreement: mediators need an adult to take over in the library",
                                   timeout=5000)
    expect(alerts).to_contain_text("with Amira K. and Ben J.")
    assert_accessible(axe, duty)
    duty.get_by_role("button", name="I'm on my way").click()
    expect(alerts).to_contain_text("You're taking over the mediation with Amira K. and Ben J. in the library")
    assert_accessible(axe, duty)


def test_i_agree_comes_back_at_the_agreements_with_the_focus_there(live_server, brook, new_device, axe):
    """On a landscape tablet the agreement step is taller than the screen: after "Name: I agree" the page comes back
    at the agreements to tap (their heading has the focus), not at its top with "Agreed" and "Finish the
    mediation" out of sight below."""
    leos_mediation_at("agreement")
    tablet = leo_opens_the_mediation(new_device(viewport=LANDSCAPE_TABLET), live_server, axe)
    tablet.get_by_label("What will Amira K. do?").fill("Give Ben a turn with the ball")
    tablet.get_by_label("What will Ben J. do?").fill("Use kind words")
    next_screen(tablet, "Save the agreements", "Agreement", axe)
    taps = tablet.get_by_role("heading", name=re.compile("Read each agreement out"))
    tablet.get_by_role("button", name="Amira K.: I agree").click()
    expect(taps).to_be_focused()
    expect(tablet.get_by_text("Agreed")).to_be_in_viewport()
    assert tablet.evaluate("window.scrollY") > 0
    assert_accessible(axe, tablet)
    tablet.get_by_role("button", name="Ben J.: I agree").click()
    expect(taps).to_be_focused()
    expect(tablet.get_by_role("button", name="Finish the mediation")).to_be_in_viewport()
    assert_accessible(axe, tablet)


def test_i_agree_to_the_ground_rules_comes_back_at_the_taps_on_a_phone(live_server, brook, new_device, axe):
    """On a phone the ground rules fill the screen: after "Name: I agree" the page came back at its top, the next
    person's I agree out of sight below. It comes back at the two people, the focus on them."""
    leos_mediation_at("rules")
    for party in db.session.scalars(select(MediationParty)):
        party.rules_agreed_at = None
    db.session.commit()
    tablet = leo_opens_the_mediation(new_device(viewport=PHONE), live_server, axe)
    expect(tablet.get_by_role("heading", name="Ground rules", exact=True)).to_be_visible()
    tablet.get_by_role("button", name="Amira K.: I agree").click()
    taps = tablet.get_by_role("list", name="Who agrees to the ground rules")
    expect(taps).to_be_focused()
    expect(tablet.get_by_role("button", name="Ben J.: I agree")).to_be_in_viewport()
    assert tablet.evaluate("window.scrollY") > 0
    assert_accessible(axe, tablet)
    tablet.get_by_role("button", name="Ben J.: I agree").click()
    expect(taps).to_be_focused()
    expect(tablet.get_by_text("Agreed")).to_have_count(2)


def test_choosing_a_person_comes_back_to_the_search_box(live_server, brook, new_device, axe):
    """"Who is here?": after choosing the first person the focus is back in "Type a first name", ready for the
    second; after the second, on the two people chosen (then "Next: ground rules")."""
    leo = db.session.scalar(select(Pupil).where(Pupil.given_name == "Leo"))
    mediation = start_mediation(leo.school_id, [leo], place="the library")
    db.session.add(mediation)
    db.session.commit()
    tablet = new_device(viewport=LANDSCAPE_TABLET).new_page()
    tablet.goto(live_server.url + "/sign-in/mediator")
    mediator_sign_in(tablet, "leo.c", "1357", axe)
    expect(tablet.get_by_role("heading", name="Hello, Leo C.!")).to_be_visible()
    tablet.goto(live_server.url + f"/mediate/{mediation.id}")
    search = tablet.get_by_role("searchbox", name="Type a first name")
    search.fill("Ami")
    tablet.get_by_role("button", name=re.compile("Choose Amira K.")).click()
    expect(tablet.get_by_role("button", name="Remove Amira K.")).to_be_visible()
    expect(search).to_be_focused()
    expect(search).to_have_value("")
    assert_accessible(axe, tablet)
    search.fill("Ben")
    tablet.get_by_role("button", name=re.compile("Choose Ben J.")).click()
    expect(tablet.get_by_role("list", name="Chosen")).to_be_focused()
    expect(tablet.get_by_role("button", name="Next: ground rules")).to_be_in_viewport()
    assert_accessible(axe, tablet)
    tablet.get_by_role("button", name="Remove Ben J.").click()
    expect(search).to_be_focused()


def test_two_pupils_with_the_same_short_name_are_told_apart_through_the_mediation(live_server, brook, new_device,
                                                                                  axe):
    """QA: two Mayas in Year 3 both showed as "Maya C." on every step, and the worry's "Who is it about?"
    offered "Maya C." twice: a worry could reach the DSL about the wrong girl. They are "Maya Ch." and
    "Maya Cl." throughout, as in the search, on the staff alert too."""
    school = db.session.scalar(select(School))
    make_staff(school, ("dsl",), name="Dee Lead")
    chen = make_pupil(school, "Maya", "Chen", year_group="Year 3")
    clarke = make_pupil(school, "Maya", "Clarke", year_group="Year 3")
    db.session.commit()
    lead = new_device(viewport=PHONE).new_page()
    staff_sign_in(lead, live_server.url, brook["lead"], axe)  # nobody is on duty: the pastoral lead gets alerts

    tablet = new_device(viewport=TABLET).new_page()
    tablet.goto(live_server.url + "/sign-in/mediator")
    mediator_sign_in(tablet, "leo.c", "1357", axe)
    next_screen(tablet, "Start a mediation", "Who is here?", axe)
    chosen = tablet.get_by_role("list", name="Chosen")
    for maya, count in (("Maya Ch.", 1), ("Maya Cl.", 2)):  # the other Maya, offered as she will be shown
        tablet.get_by_label("Type a first name").fill("Maya")
        tablet.get_by_role("button", name=f"Choose {maya} (Year 3)").click()
        expect(chosen.get_by_role("listitem")).to_have_count(count)
    expect(chosen.get_by_role("button", name="Remove Maya Ch.")).to_be_visible()
    expect(chosen.get_by_role("button", name="Remove Maya Cl.")).to_be_visible()
    assert_accessible(axe, tablet)
    next_screen(tablet, "Next: ground rules", "Ground rules", axe)
    tablet.get_by_role("button", name="Maya Ch.: I agree").click()
    tablet.get_by_role("button", name="Maya Cl.: I agree").click()
    expect(tablet.get_by_text("Agreed")).to_have_count(2)
    next_screen(tablet, "Next: tell your stories", "Tell your stories", axe)
    tablet.get_by_label("Key words from Maya Ch.'s story").fill("took my pencil case")
    tablet.get_by_label("Key words from Maya Cl.'s story").fill("it was mine")

    next_screen(tablet, "Get an adult", "An adult is coming", axe)
    expect(lead.locator("#mediation-alert-list")).to_contain_text("with Maya Ch. and Maya Cl.")
    assert_accessible(axe, lead)
    about = tablet.get_by_role("group", name="Who is it about?")
    expect(about.get_by_role("radio")).to_have_count(3)
    about.get_by_role("radio", name="Maya Cl.", exact=True).check()
    tablet.get_by_label("What did you see or hear?").fill("Maya said she is scared to go home")
    tablet.get_by_role("button", name="Tell the safeguarding lead").click()
    expect(tablet.get_by_text("Your worry has gone to the safeguarding lead")).to_be_visible()
    assert_accessible(axe, tablet)
    db.session.expire_all()
    assert db.session.scalar(select(Concern)).pupil_id == clarke.id != chen.id

    next_screen(tablet, "The adult is here - carry on", "Tell your stories", axe)
    next_screen(tablet, "Next: feelings", "Feelings", axe)
    tablet.get_by_role("group", name="How does Maya Ch. feel?").get_by_label("Angry").check()
    tablet.get_by_role("group", name="How does Maya Cl. feel?").get_by_label("Sad").check()
    next_screen(tablet, "Next: ideas", "Ideas", axe)
    next_screen(tablet, "Next: agreement", "Agreement", axe)
    tablet.get_by_label("What will Maya Ch. do?").fill("Give the pencil case back")
    tablet.get_by_label("What will Maya Cl. do?").fill("Ask first")
    next_screen(tablet, "Save the agreements", "Agreement", axe)
    expect(tablet.get_by_text("Maya Ch.: Give the pencil case back")).to_be_visible()
    tablet.get_by_role("button", name="Maya Cl.: I agree").click()
    expect(tablet.get_by_text("Agreed")).to_have_count(1)
    expect(tablet.get_by_role("button", name="Maya Ch.: I agree")).to_be_visible()
    assert "Maya C." not in tablet.get_by_role("main").inner_text()
    assert_accessible(axe, tablet)


LINES_OF_TEXT = """(el) => { const range = document.createRange(); range.selectNodeContents(el);
    return new Set([...range.getClientRects()].map((rect) => Math.round(rect.top))).size; }"""


@pytest.mark.parametrize("width", [360, 800, 1024, 1280])
def test_when_to_check_keeps_each_choice_on_one_line_with_a_full_size_radio(live_server, brook, new_device, axe,
                                                                              width):
    """QA: at 800 and 1280 px "In 1 week" broke into "In 1 / week" and the radios shrank to 18-21 px."""
    leos_mediation_at("agreement")
    tablet = leo_opens_the_mediation(new_device(viewport={"width": width, "height": 900}), live_server, axe)
    when = tablet.get_by_role("group", name="When will we check it is working?")
    expect(when.get_by_role("radio")).to_have_count(3)
    for choice in ("In 1 week", "In 2 weeks", "In 4 weeks"):
        assert when.get_by_text(choice, exact=True).evaluate(LINES_OF_TEXT) == 1, f"{choice} wraps at {width} px"
        radio = when.get_by_role("radio", name=choice).bounding_box()
        assert radio["width"] >= 23.5 and radio["height"] >= 23.5, f"{choice}'s radio at {width} px: {radio}"
        assert when.get_by_text(choice, exact=True).locator("..").bounding_box()["height"] >= 44
    no_sideways_scroll(tablet)
    assert_accessible(axe, tablet)
