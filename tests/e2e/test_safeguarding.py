"""Safeguarding in real Chromium: the DSL closes and reopens a concern (asked first) and its history
says so; a concern or a mediator's "Get an adult" tapped with no signal is not lost with a failed page
load - the screen says what to do now and keeps what was written, which is sent once there is signal;
whoever raised a concern sees whether the DSL has seen it, and nothing more."""
import re
from datetime import timezone
from zoneinfo import ZoneInfo

from playwright.sync_api import expect
from sqlalchemy import func, select

from rrp_pwa.extensions import db
from rrp_pwa.mediation.accounts import set_mediator_login
from rrp_pwa.mediation.flow import start_mediation
from rrp_pwa.models.mediation import Mediation
from rrp_pwa.models.safeguarding import Concern
from rrp_pwa.safeguarding.concerns import raise_concern
from tests.conftest import make_group, make_pupil, make_school, make_staff
from tests.e2e.conftest import PHONE, TABLET, assert_accessible, go_offline, wait_for_service_worker
from tests.e2e.test_chat_flow import sign_in, the_dsl_reads
from tests.e2e.test_mediation import mediator_sign_in

NOTE = "Amira said: my brother locks me out at night"


def settled(page) -> None:
    """The message has finished sliding in (axe would measure colours halfway through the fade)."""
    page.wait_for_function("() => document.getAnimations().every((a) => a.playState !== 'running')")


def test_the_dsl_reopens_a_closed_concern_after_being_asked(live_server, data_app, page, axe):
    school = make_school()
    dsl = make_staff(school, ("dsl",), name="Dee Lead")
    teacher = make_staff(school, ("teacher",), name="Tara Teacher")
    concern = raise_concern(school.id, NOTE, "chat", pupil=make_pupil(school), raised_by_staff=teacher)
    db.session.add(concern)
    db.session.commit()

    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, dsl)
    page.goto(f"{live_server.url}/safeguarding/concerns/{concern.id}")
    page.get_by_label("What was done or decided?").fill("Spoke to Amira and her mum; no further worry.")
    page.get_by_label("This closes the concern (the note says the outcome)").check()
    page.get_by_role("button", name="Record it").click()
    expect(page.get_by_text("Concern closed.")).to_be_visible()
    assert_accessible(axe, page)

    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Reopen").click()
    expect(page.get_by_role("button", name="Reopen")).to_be_visible()  # said no: still closed
    db.session.expire_all()
    assert db.session.get(Concern, concern.id).status == "closed"

    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Reopen").click()
    expect(page.get_by_text("Concern reopened.")).to_be_visible()
    assert questions and questions[0].startswith("Reopen this concern?")
    expect(page.get_by_role("button", name="Reopen")).to_have_count(0)
    history = page.get_by_role("region", name="What was done").get_by_role("listitem")
    expect(history).to_have_count(2)
    expect(history.nth(0)).to_contain_text("closed the concern")
    expect(history.nth(1)).to_contain_text("Reopened the concern")
    expect(history.nth(1)).to_contain_text("Dee Lead")
    expect(page.get_by_label("This closes the concern (the note says the outcome)")).to_be_visible()
    assert_accessible(axe, page)
    page.get_by_role("link", name="Back to concerns").click()
    expect(page.get_by_role("link", name="Amira Khan")).to_be_visible()
    expect(page.get_by_text("Closed", exact=True)).to_have_count(0)
    db.session.expire_all()
    assert db.session.get(Concern, concern.id).status == "seen"


def test_the_dsl_marks_a_concern_seen_stays_on_it_and_follows_it_to_its_record_and_pupil(live_server, data_app,
                                                                                         page, axe):
    from rrp_pwa.conversations.chats import record_quick_chat

    school = make_school()
    dsl = make_staff(school, ("dsl",), name="Dee Lead")
    assistant = make_staff(school, ("support",), name="Mo Midday")
    arjun = make_pupil(school, "Arjun", "Okafor")
    chat = record_quick_chat(school.id, assistant, [arjun], "Upset", "Playground")
    db.session.commit()
    concern = raise_concern(school.id, NOTE, "chat", chat.id, pupil=arjun, raised_by_staff=assistant)
    db.session.add(concern)
    db.session.commit()

    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, dsl)
    page.goto(f"{live_server.url}/safeguarding/concerns/{concern.id}")
    page.get_by_role("button", name="Mark seen").click()
    expect(page.get_by_text("Marked seen: the concern about Arjun Okafor.")).to_be_visible()
    expect(page.get_by_label("What was done or decided?")).to_be_visible()  # still on the concern
    trail = page.get_by_role("region", name="Who has opened or changed this")
    expect(trail.get_by_text("Opened by Dee Lead")).to_have_count(1)
    expect(trail.get_by_text("Marked seen by Dee Lead")).to_have_count(1)
    assert_accessible(axe, page)

    page.get_by_role("link", name="A quick chat").click()
    expect(page).to_have_url(f"{live_server.url}/chats/{chat.id}")
    page.go_back()
    page.get_by_role("heading", name="Concern about Arjun Okafor").get_by_role("link", name="Arjun Okafor").click()
    expect(page.get_by_role("heading", name="Arjun Okafor", exact=True)).to_be_visible()
    page.go_back()

    page.set_viewport_size(TABLET)
    page.get_by_role("link", name="Back to concerns").click()
    expect(page.get_by_role("listitem").filter(has=page.get_by_role("link", name="Arjun Okafor"))
           ).to_contain_text("Being followed up")
    assert_accessible(axe, page)


def test_a_concern_sent_with_no_signal_is_kept_on_screen_and_sent_later(cable, data_app, page, context, axe):
    school = make_school()
    teacher = make_staff(school, ("teacher",), name="Tara Teacher")
    make_staff(school, ("dsl",), name="Dee Lead")
    amira = make_pupil(school)
    make_group(school, pupils=[amira], staff=[teacher])
    db.session.commit()

    page.set_viewport_size(PHONE)
    sign_in(page, cable.url, teacher)
    page.goto(f"{cable.url}/pupils/{amira.id}")
    wait_for_service_worker(page)
    go_offline(context, cable)
    page.get_by_role("link", name="Raise a concern").click()  # the offline page stands in for the form
    expect(page.get_by_role("heading", name="You're offline")).to_be_visible()
    expect(page.get_by_text("tell the Designated Safeguarding Lead in person now")).to_be_visible()
    assert_accessible(axe, page)
    go_offline(context, cable, False)
    page.get_by_role("link", name="Try again").click()
    page.get_by_label("What did you see or hear?").fill(NOTE)
    go_offline(context, cable)
    page.get_by_role("button", name="Send to the DSL").click()
    message = page.get_by_role("alert").filter(has_text="It may not have been sent")
    expect(message).to_contain_text("Tell the Designated Safeguarding Lead in person now")
    expect(message).to_be_in_viewport()
    expect(page.get_by_label("What did you see or hear?")).to_have_value(NOTE)
    expect(page.get_by_role("heading", name="Raise a concern")).to_be_visible()
    settled(page)
    assert_accessible(axe, page)
    assert db.session.scalar(select(Concern.id)) is None

    go_offline(context, cable, False)
    page.get_by_role("button", name="Send to the DSL").click()
    expect(page.get_by_text("Your concern has gone to the Designated Safeguarding Lead")).to_be_visible()
    assert db.session.scalar(select(Concern.note)) == NOTE


def test_get_an_adult_and_a_worry_with_no_signal_tell_the_mediators_what_to_do(cable, data_app, new_device, axe):
    school = make_school()
    make_staff(school, ("pastoral",), name="Pat Lead")
    make_staff(school, ("dsl",), name="Dee Lead")
    ava = make_pupil(school, "Ava", "Brown", peer_mediator=True)
    leo = make_pupil(school, "Leo", "Cole", peer_mediator=True)
    set_mediator_login(leo, "leo.c", "1357")
    mediation = start_mediation(school.id, [leo, ava], place="the library")
    db.session.add(mediation)
    db.session.commit()

    context = new_device(viewport=TABLET)
    tablet = context.new_page()
    tablet.goto(cable.url + "/sign-in/mediator")
    mediator_sign_in(tablet, "leo.c", "1357", axe)
    tablet.goto(f"{cable.url}/mediate/{mediation.id}")
    go_offline(context, cable)
    tablet.get_by_role("button", name="Get an adult").click()
    message = tablet.get_by_role("alert").filter(has_text="No signal")
    expect(message).to_contain_text("Go and get an adult now")
    settled(tablet)
    assert_accessible(axe, tablet)

    go_offline(context, cable, False)
    tablet.get_by_role("button", name="Dismiss").click()
    tablet.get_by_role("button", name="Get an adult").click()
    expect(tablet.get_by_role("heading", name="An adult is coming")).to_be_visible()
    db.session.expire_all()
    assert db.session.get(Mediation, mediation.id).paused_at is not None

    tablet.get_by_label("What did you see or hear?").fill("Ben said his dad hits him")
    go_offline(context, cable)
    tablet.get_by_role("button", name="Tell the safeguarding lead").click()
    expect(tablet.get_by_role("alert").filter(has_text="Not sent")).to_contain_text("Tell an adult now")
    expect(tablet.get_by_label("What did you see or hear?")).to_have_value("Ben said his dad hits him")
    settled(tablet)
    assert_accessible(axe, tablet)
    go_offline(context, cable, False)
    tablet.get_by_role("button", name="Tell the safeguarding lead").click()
    expect(tablet.get_by_text("Your worry has gone to the safeguarding lead")).to_be_visible()
    assert db.session.scalar(select(Concern.note)) == "Ben said his dad hits him"
    expect(tablet).to_have_url(re.compile(f"/mediate/{mediation.id}$"))


def test_a_midday_assistant_sees_when_the_dsl_has_seen_their_concern(cable, data_app, page, context, new_device, axe):
    """On a 360 px phone: the assistant raises a concern and sees it is not yet seen; the DSL opens it
    and marks it seen; the assistant sees who saw it and when - never the note - and the list is not
    kept on the phone for anyone to open without signal."""
    school = make_school()
    assistant = make_staff(school, ("support",), name="Mo Midday")
    dsl = make_staff(school, ("dsl",), name="Dee Lead")
    amira = make_pupil(school)
    db.session.commit()

    page.set_viewport_size(PHONE)
    sign_in(page, cable.url, assistant)
    expect(page.get_by_role("link", name=re.compile("^Concerns you raised"))).to_have_count(0)
    page.goto(f"{cable.url}/concerns/new?pupil_id={amira.id}&context=chat")
    page.get_by_label("What did you see or hear?").fill(NOTE)
    page.get_by_role("button", name="Send to the DSL").click()
    expect(page.get_by_text("Concerns you raised, on your home screen, shows when they have seen it.")).to_be_visible()
    settled(page)
    assert_accessible(axe, page)
    page.get_by_role("link", name=re.compile("^Concerns you raised")).click()
    concern = page.get_by_role("listitem").filter(has_text="Amira Khan")
    expect(concern).to_contain_text("Not yet seen by the DSL.")
    expect(concern).to_contain_text("tell the DSL in person")
    expect(page.get_by_text(NOTE)).to_have_count(0)
    assert_accessible(axe, page)

    office = new_device(viewport=PHONE).new_page()
    sign_in(office, cable.url, dsl)
    office.get_by_role("link", name="1 new concern").first.click()
    office.get_by_role("link", name="Amira Khan").click()
    expect(office.get_by_text(NOTE)).to_be_visible()
    assert_accessible(axe, office)
    office.get_by_role("button", name="Mark seen").click()
    expect(office.get_by_text("Marked seen: the concern about Amira Khan.")).to_be_visible()
    settled(office)
    assert_accessible(axe, office)

    page.reload()
    db.session.expire_all()
    seen_at = db.session.scalar(select(Concern.seen_at))
    seen_at = (seen_at if seen_at.tzinfo else seen_at.replace(tzinfo=timezone.utc)).astimezone(ZoneInfo("Europe/London"))
    concern = page.get_by_role("listitem").filter(has_text="Amira Khan")
    expect(concern).to_contain_text(f"Seen by Dee Lead at {seen_at:%H:%M} on {seen_at.day} {seen_at:%b %Y}")
    expect(concern).not_to_contain_text("Not yet seen")
    expect(page.get_by_text(NOTE)).to_have_count(0)
    assert_accessible(axe, page)

    wait_for_service_worker(page)
    cached = page.evaluate("""async () => {
        const urls = [];
        for (const name of await caches.keys()) {
          for (const request of await (await caches.open(name)).keys()) urls.push(request.url);
        }
        return urls;
    }""")
    assert cached and not [url for url in cached if "/concerns" in url]
    go_offline(context, cable)
    page.goto(f"{cable.url}/concerns/raised")
    expect(page.get_by_role("heading", name="You're offline")).to_be_visible()
    expect(page.get_by_text("Amira Khan")).to_have_count(0)


def test_the_concern_panel_with_no_signal_says_to_tell_the_dsl_and_keeps_the_chat_and_the_concern(
        cable, data_app, page, context, axe):
    """Mid-chat, with no signal: Raise a concern says to tell the DSL in person (the form can't open); once it
    is open, Send to the DSL says the same and keeps what was written. Back in signal it is sent, and the
    chat being written was never touched."""
    school = make_school()
    assistant = make_staff(school, ("support",), name="Mo Midday")
    make_staff(school, ("dsl",), name="Dee Lead")
    amira = make_pupil(school)
    db.session.commit()

    page.set_viewport_size(PHONE)
    sign_in(page, cable.url, assistant)
    page.goto(f"{cable.url}/chats/new?pupil_id={amira.id}")
    page.get_by_role("radio", name="Unkind words").click()
    go_offline(context, cable)
    page.get_by_role("link", name="Raise a concern").click()
    message = page.get_by_role("alert").filter(has_text="No signal")
    expect(message).to_contain_text("Tell the Designated Safeguarding Lead in person now")
    expect(page).to_have_url(f"{cable.url}/chats/new?pupil_id={amira.id}")
    settled(page)
    assert_accessible(axe, page)

    go_offline(context, cable, False)
    page.get_by_role("button", name="Dismiss").click()
    page.get_by_role("link", name="Raise a concern").click()
    form = page.get_by_role("form", name="Raise a concern")
    form.get_by_label("What did you see or hear?").fill(NOTE)
    go_offline(context, cable)
    form.get_by_role("button", name="Send to the DSL").click()
    expect(page.get_by_role("alert").filter(has_text="It may not have been sent")).to_contain_text(
        "Tell the Designated Safeguarding Lead in person now")
    expect(form.get_by_label("What did you see or hear?")).to_have_value(NOTE)
    expect(page.get_by_role("radio", name="Unkind words")).to_be_checked()
    settled(page)
    assert_accessible(axe, page)
    assert db.session.scalar(select(Concern.id)) is None

    go_offline(context, cable, False)
    form.get_by_role("button", name="Send to the DSL").click()
    expect(page.get_by_role("status").filter(has_text="Sent to the DSL.")).to_be_focused()
    expect(page.get_by_role("radio", name="Unkind words")).to_be_checked()
    assert db.session.scalar(select(Concern.note)) == NOTE


def test_a_concern_whose_answer_was_lost_is_sent_again_and_reaches_the_dsl_once(
        live_server, data_app, page, new_device, axe):
    """On slow school Wi-Fi, Send to the DSL reaches the server - the concern is stored - but its answer never
    comes back, so the phone cannot say it was sent. The assistant taps Send to the DSL again: the panel says
    it was sent, and the DSL's queue has the concern once (it used to have it twice: two alerts, two
    records to close)."""
    school = make_school()
    assistant = make_staff(school, ("support",), name="Mo Midday")
    dsl = make_staff(school, ("dsl",), name="Dee Lead")
    amira = make_pupil(school)
    db.session.commit()
    lost = []

    def answer_lost_once(route):
        if route.request.method == "POST" and not lost:
            lost.append(route.fetch())  # the server gets it and answers; the answer is lost on the way back
            route.abort()
        else:
            route.continue_()

    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, assistant)
    page.goto(f"{live_server.url}/chats/new?pupil_id={amira.id}")
    page.route("**/concerns/new**", answer_lost_once)
    page.get_by_role("link", name="Raise a concern").click()
    form = page.get_by_role("form", name="Raise a concern")
    form.get_by_label("What did you see or hear?").fill(NOTE)
    form.get_by_role("button", name="Send to the DSL").click()
    expect(page.get_by_role("alert").filter(has_text="It may not have been sent")).to_contain_text(
        "send it again when you have signal (the DSL gets it only once)")
    expect(form.get_by_label("What did you see or hear?")).to_have_value(NOTE)
    assert lost and lost[0].status == 200
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Concern.id))) == 1  # stored, though the phone never heard
    settled(page)
    assert_accessible(axe, page)

    form.get_by_role("button", name="Send to the DSL").click()
    sent = page.get_by_role("status").filter(has_text="Sent to the DSL.")
    expect(sent).to_be_focused()
    expect(sent).to_contain_text("Your concern has gone to the Designated Safeguarding Lead")
    settled(page)
    assert_accessible(axe, page)
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Concern.id))) == 1

    the_dsl_reads(new_device(viewport=PHONE), live_server.url, dsl, "Amira Khan", NOTE, axe)
