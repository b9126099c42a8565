"""Offline capture in Chromium: records made with the network off survive a reload, reach the
server once when the connection returns, and a lost answer or a refusal loses nothing."""
import contextlib
import re
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect
from sqlalchemy import select

from rrp_pwa.conversations.chats import record_quick_chat
from rrp_pwa.extensions import db
from rrp_pwa.models import CheckIn
from rrp_pwa.models.conversations import QuickChat
from rrp_pwa.models.mediation import Mediation
from tests.conftest import PASSWORD, make_group, make_pupil, make_school, make_staff
from tests.e2e.conftest import (PHONE, TABLET, assert_accessible, go_offline, sign_out, wait_for_service_worker,
                                wait_until)


def set_up_class():
    school = make_school()
    teacher = make_staff(school, ("teacher",), name="Sam Teacher")
    amira, ben = make_pupil(school, "Amira", "Khan"), make_pupil(school, "Ben", "Osei")
    mediator = make_pupil(school, "Mia", "Reed", peer_mediator=True)
    make_group(school, pupils=[amira, ben, mediator], staff=[teacher])
    db.session.commit()
    return teacher, amira, ben


def sign_in(page, server, staff):
    page.goto(server.url + "/sign-in")
    page.get_by_label("Email").fill(staff.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name=f"Hello, {staff.name}").wait_for()


# The capture page is in the phone's cache (not only the cache made for it: caches.open makes it at
# once, and the page is put in a moment later - going offline in between opened the offline page).
CAPTURE_PAGE_KEPT = "() => caches.open('rrp-capture').then((cache) => cache.match('/capture')).then(Boolean)"


def offers(form, label: str, pupil: str, field: str = "Pupil"):
    """Whether typing the first letters of ``pupil``'s name in ``field`` offers them; the search is
    emptied again afterwards."""
    search = form.get_by_label(field, exact=True)
    search.fill(pupil[:2])
    found = form.get_by_role("button", name=pupil, exact=True)
    if label == "offered":
        expect(found).to_be_visible()
    else:
        expect(search).to_have_value(pupil[:2])
        expect(found).to_have_count(0)
    search.fill("")


def choose(form, field: str, pupil: str, who: str):
    """Find ``pupil`` as a user does: the first letters of the name in ``field``, then a tap on the name."""
    form.get_by_label(field, exact=True).fill(pupil[:3])
    form.get_by_role("button", name=pupil, exact=True).click()
    expect(form.get_by_role("button", name=f"Change {who}: {pupil}")).to_be_visible()


def open_capture(page, server, axe):
    page.goto(server.url + "/capture")
    chat = page.get_by_role("form", name="Quick chat")
    offers(chat, "offered", "Amira Khan")  # the pupil list is on the phone
    expect(page.get_by_role("radio", name="Playground")).to_be_visible()
    assert_accessible(axe, page)
    return chat


def capture_kept(page) -> None:
    """Record offline, open in ``page``, is kept on the phone to open with no signal: the service worker
    controls the page and has the page in its cache. Opened before the worker took control, the page was
    not kept by it (nor, if the home screen's copy was cut short, at all): it is opened again, as the
    next visit would. The worker puts its copy in the cache just after answering: waited for here."""
    wait_for_service_worker(page)
    if not page.evaluate(CAPTURE_PAGE_KEPT):
        page.reload()
    wait_until(page, CAPTURE_PAGE_KEPT, timeout_s=10)

def capture_kept_for_the_class(page, cable, axe):
    """The class's teacher signed in on a phone, on Record offline, kept to open with no signal; the
    teacher and the class's two pupils (``set_up_class``)."""
    people = set_up_class()
    page.set_viewport_size(PHONE)
    sign_in(page, cable, people[0])
    open_capture(page, cable, axe)
    capture_kept(page)
    return people

def log_chat(page, pupil: str, what: str = "Unkind words", where: str = "Playground"):
    chat = page.get_by_role("form", name="Quick chat")
    choose(chat, "Pupil", pupil, "pupil")
    chat.get_by_role("radio", name=what).check()
    chat.get_by_role("radio", name=where).check()
    chat.get_by_role("button", name="Save chat").click()


def chat_refused_as_left(page, context, cable, pupil) -> None:
    """A chat about ``pupil`` saved with no signal; they leave the school before the phone is back in
    signal, and Sync now brings the school's refusal, shown beside the chat."""
    name = pupil.display_name
    go_offline(context, cable)
    log_chat(page, name)
    pupil.archived = True
    db.session.commit()
    go_offline(context, cable, False)
    page.get_by_role("button", name="Sync now").click()
    expect(page.get_by_text(f"{name} has left the school, so this can't be recorded for them.")).to_be_visible()


def log_checkin(page, pupil: str, feeling: str):
    form = page.get_by_role("form", name="Check-in")
    choose(form, "Pupil", pupil, "pupil")
    form.get_by_role("radio", name=feeling).check()
    form.get_by_role("button", name="Save check-in").click()


def log_mediation(page):
    form = page.get_by_role("form", name="Peer mediation")
    choose(form, "Mediator", "Mia Reed", "mediator")
    choose(form, "First pupil in the disagreement", "Amira Khan", "first pupil")
    form.get_by_label("What the first pupil agreed to do").fill("Take turns in goal")
    choose(form, "Second pupil in the disagreement", "Ben Osei", "second pupil")
    form.get_by_label("What the second pupil agreed to do").fill("Take turns in goal")
    form.get_by_role("button", name="Save mediation").click()


def stored(with_mediations=False):
    db.session.expire_all()
    chats = db.session.scalars(select(QuickChat)).all()
    checkins = db.session.scalars(select(CheckIn)).all()
    mediations = db.session.scalars(select(Mediation)).all()
    db.session.rollback()
    return (chats, checkins, mediations) if with_mediations else (chats, checkins)


def test_records_made_offline_survive_a_reload_and_reach_the_server_once(cable, data_app, page, context, axe):
    teacher, amira, ben = capture_kept_for_the_class(page, cable, axe)

    go_offline(context, cable)
    expect(page.get_by_text("Offline: saving on this device")).to_be_visible()
    log_chat(page, "Amira Khan")
    expect(page.get_by_text("1 waiting to sync")).to_be_visible()
    log_checkin(page, "Ben Osei", "Not great")
    expect(page.get_by_text("2 waiting to sync")).to_be_visible()
    log_mediation(page)
    expect(page.get_by_text("3 waiting to sync")).to_be_visible()
    expect(page.get_by_text("Quick chat · Amira Khan · Unkind words, Playground · waiting")).to_be_visible()
    assert_accessible(axe, page)

    page.reload()  # the app is reopened with no signal: the service worker serves the capture page
    expect(page.get_by_role("heading", name="Record offline")).to_be_visible()
    expect(page.get_by_text("3 waiting to sync")).to_be_visible()  # still on the device, nothing lost
    assert_accessible(axe, page)
    assert stored(with_mediations=True) == ([], [], [])

    go_offline(context, cable, False)
    # Back in signal: Background Sync (the service worker) or opening the app sends the outbox.
    page.goto(cable.url + "/capture")
    expect(page.get_by_text("0 waiting to sync")).to_be_visible()
    assert_accessible(axe, page)
    chats, checkins, mediations = stored(with_mediations=True)
    assert [(c.what, c.where, [p.id for p in c.pupils]) for c in chats] == [("Unkind words", "Playground", [amira.id])]
    assert [(m.outcome, sorted(p.pupil_id for p in m.parties)) for m in mediations] == [
        ("agreed", sorted([amira.id, ben.id]))]
    assert [(c.pupil_id, c.value, c.low) for c in checkins] == [(ben.id, 2, True)]
    assert chats[0].client_uuid and checkins[0].client_uuid


def test_a_lost_answer_after_the_server_stored_it_still_gives_one_record(live_server, data_app, new_device, axe):
    # Without the service worker: Background Sync would resend from the worker, which page.route
    # cannot cut; this test is about the page's own resend after a lost answer.
    page = new_device(service_workers="block", viewport=TABLET).new_page()
    teacher, amira, _ = set_up_class()
    sign_in(page, live_server, teacher)
    open_capture(page, live_server, axe)
    answers_lost = []

    def commit_then_cut(route):
        route.fetch()  # the server receives and commits the batch...
        answers_lost.append(True)
        route.abort("connectionreset")  # ...but the device never hears back

    page.route("**/api/v1/sync", commit_then_cut)
    log_chat(page, "Amira Khan", what="Game dispute", where="Field")
    expect(page.get_by_text("Couldn't reach the school's system. Trying again shortly.")).to_be_visible()
    expect(page.get_by_text("1 waiting to sync")).to_be_visible()
    assert len(stored()[0]) == 1 and answers_lost
    page.unroute("**/api/v1/sync")
    page.get_by_role("button", name="Sync now").click()
    expect(page.get_by_text("0 waiting to sync")).to_be_visible()
    assert_accessible(axe, page)
    chats, _ = stored()
    assert len(chats) == 1 and chats[0].what == "Game dispute"


LAYOUT_SHIFTS = """window.layoutShifts = [];
new PerformanceObserver(function (list) {
  list.getEntries().forEach(function (shift) { if (!shift.hadRecentInput) window.layoutShifts.push(shift.value); });
}).observe({ type: "layout-shift", buffered: true });"""


def test_record_offline_does_not_jump_as_it_loads_and_keeps_a_chip_tapped_early(live_server, data_app, new_device,
                                                                                 axe):
    """Lighthouse (mobile, a 412 x 823 phone) measured a layout shift of 0.34 on Record offline: the chat's
    chips were drawn by the page's script once it had the pupil list, pushing the rest of the form (Save
    chat) down the screen. They are in the page now, to tap at once; the script draws them again without
    losing a chip tapped first."""
    context = new_device(viewport={"width": 412, "height": 823})
    context.add_init_script(LAYOUT_SHIFTS)
    held = []
    context.route("**/api/v1/capture", lambda route: held.append(route))  # the pupil list is slow (poor Wi-Fi)
    page = context.new_page()
    teacher, amira, _ = set_up_class()
    sign_in(page, live_server, teacher)
    page.goto(live_server.url + "/capture")
    chat = page.get_by_role("form", name="Quick chat")
    chat.get_by_role("radio", name="Physical").check(timeout=5_000)  # before the pupil list has come
    context.unroute("**/api/v1/capture")
    for route in held:  # the home page's own request went as the page was left
        with contextlib.suppress(PlaywrightError):
            route.continue_()
    offers(chat, "offered", "Amira Khan")
    page.wait_for_timeout(500)
    assert sum(page.evaluate("window.layoutShifts")) < 0.05
    expect(chat.get_by_role("radio", name="Physical")).to_be_checked()
    expect(chat.get_by_role("radio", name="Nothing yet")).to_be_checked()
    assert_accessible(axe, page)


def test_a_refused_record_stays_beside_its_reason_and_sign_out_asks_first(cable, data_app, page, context, axe):
    teacher, amira, _ = set_up_class()
    page.set_viewport_size(PHONE)
    sign_in(page, cable, teacher)
    open_capture(page, cable, axe)
    chat_refused_as_left(page, context, cable, amira)  # a chat about Amira; she leaves the school meanwhile
    expect(page.get_by_text("1 waiting to sync")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Discard: Quick chat"))).to_be_visible()
    assert_accessible(axe, page)
    assert stored() == ([], [])

    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    with page.expect_event("dialog"):  # asked once the outbox is counted afresh: not at once
        page.get_by_role("button", name="Sign out").click()
    assert questions and "1 record has not been sent yet" in questions[0]
    expect(page.get_by_text("1 waiting to sync")).to_be_visible()  # still here, still signed in
    page.once("dialog", lambda dialog: dialog.accept())
    sign_out(page)
    cached = page.evaluate("""() => new Promise((resolve) => {
        const open = indexedDB.open("rrp-outbox", 1);
        open.onsuccess = () => {
          const db = open.result;
          const tx = db.transaction(["items", "meta"]);
          const items = tx.objectStore("items").getAll();
          const pupils = tx.objectStore("meta").get("capture");
          tx.oncomplete = () => resolve({items: items.result.length, pupils: pupils.result || null});
        };
      })""")
    assert cached == {"items": 1, "pupils": None}  # the record is kept; the pupil list is gone
    assert_accessible(axe, page)


def two_teachers_on_one_phone():
    school = make_school()
    sam = make_staff(school, ("teacher",), name="Sam Teacher", email="sam@example.org")
    kim = make_staff(school, ("teacher",), name="Kim Other", email="kim@example.org")
    amira, ben = make_pupil(school, "Amira", "Khan"), make_pupil(school, "Ben", "Osei")
    make_group(school, pupils=[amira, ben], staff=[sam, kim])
    db.session.commit()
    return sam, kim


def wait_for_chats(count: int, timeout_s: float = 15.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        chats, _ = stored()
        if len(chats) >= count:
            return chats
        time.sleep(0.25)
    return stored()[0]


def pupil_list_on_device(page):
    """Whose pupil list this device holds (a staff id), "cached page only" if just the capture page is
    cached, or None (functions, not expressions: the app's CSP refuses eval)."""
    return page.evaluate("""() => Promise.all([
        caches.has("rrp-capture"),
        new Promise((resolve) => {
            const open = indexedDB.open("rrp-outbox", 1);
            open.onsuccess = () => {
                const get = open.result.transaction("meta").objectStore("meta").get("capture");
                get.onsuccess = () => { open.result.close(); resolve(get.result ? get.result.value.staff_id : null); };
            };
        })]).then((found) => found[1] !== null ? found[1] : (found[0] ? "cached page only" : null))""")


def wait_for_pupil_list(page, owner, timeout_s: float = 10.0):
    deadline = time.monotonic() + timeout_s
    while pupil_list_on_device(page) != owner and time.monotonic() < deadline:
        time.sleep(0.2)
    return pupil_list_on_device(page)


def test_a_record_left_waiting_on_a_shared_phone_waits_for_its_maker(cable, data_app, page, context, axe):
    """Sam logs a chat with no signal; Sam's session ends by itself (no Sign out). Kim signs in on the
    same phone: Sam's chat is neither counted nor sent as Kim's, and Sam's pupil list goes. When Sam
    next signs in, it is sent as Sam's."""
    sam, kim = two_teachers_on_one_phone()
    page.set_viewport_size(PHONE)
    sign_in(page, cable, sam)
    open_capture(page, cable, axe)
    go_offline(context, cable)
    log_chat(page, "Amira Khan")
    expect(page.get_by_text("1 waiting to sync")).to_be_visible()
    context.clear_cookies()  # Sam's session ends without the Sign out button (the idle timeout)
    go_offline(context, cable, False)
    sign_in(page, cable, kim)
    expect(page.get_by_text("waiting to sync")).to_have_count(0)
    assert wait_for_pupil_list(page, kim.id) == kim.id  # Kim's own (her home gets it ready), never Sam's
    assert_accessible(axe, page)
    sign_out(page)
    sign_in(page, cable, sam)
    chats = wait_for_chats(1)
    assert [(c.staff_id, [p.given_name for p in c.pupils]) for c in chats] == [(sam.id, ["Amira"])]


def test_a_session_that_ended_by_itself_leaves_no_pupil_list_behind(cable, data_app, page, context, axe):
    sam, _ = two_teachers_on_one_phone()
    page.set_viewport_size(PHONE)
    sign_in(page, cable, sam)
    wait_for_service_worker(page)
    open_capture(page, cable, axe)  # the pupil list and the capture page are now on the phone
    assert pupil_list_on_device(page) == sam.id
    context.clear_cookies()  # the idle timeout: the next tap on the phone shows the sign-in page
    page.goto(cable.url + "/")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert wait_for_pupil_list(page, None) is None


def test_a_pupil_list_left_on_a_phone_for_more_than_a_school_day_is_forgotten_with_no_signal(
        cable, data_app, page, context, axe):
    """The phone goes into a drawer with no signal after the playground; opened the next morning, still
    with no signal, it no longer holds the class list, and says why."""
    sam, _ = two_teachers_on_one_phone()
    page.set_viewport_size(PHONE)
    sign_in(page, cable, sam)
    wait_for_service_worker(page)
    open_capture(page, cable, axe)
    assert pupil_list_on_device(page) == sam.id
    go_offline(context, cable)
    page.clock.install(time=datetime.now() + timedelta(hours=13))
    page.goto(cable.url + "/capture")
    expect(page.get_by_text("Your pupil list was more than 12 hours old, so it has been removed")).to_be_visible()
    chat = page.get_by_role("form", name="Quick chat")
    offers(chat, "not offered", "Amira Khan")
    assert wait_for_pupil_list(page, None) is None  # nothing of the class is left on the phone
    assert_accessible(axe, page)


def test_records_kept_through_sign_out_are_sent_at_the_next_sign_in(live_server, data_app, new_device, axe):
    # No service worker: its Background Sync would send from the worker, which page.route cannot cut.
    page = new_device(service_workers="block", viewport=PHONE).new_page()
    sam, _ = two_teachers_on_one_phone()
    sign_in(page, live_server, sam)
    page.route("**/api/v1/sync", lambda route: route.abort("connectionreset"))  # poor Wi-Fi in the playground
    open_capture(page, live_server, axe)
    log_chat(page, "Amira Khan")
    expect(page.get_by_text("1 waiting to sync")).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())  # "...They stay on this device and send when you next sign in."
    sign_out(page)
    page.unroute("**/api/v1/sync")
    sign_in(page, live_server, sam)  # back in the staffroom, good signal: Sam's home page sends it
    chats = wait_for_chats(1)
    assert [(c.staff_id, [p.given_name for p in c.pupils]) for c in chats] == [(sam.id, ["Amira"])]
    expect(page.get_by_text("waiting to sync")).to_be_hidden()  # Home's badge goes once it is sent


def test_record_offline_opens_with_no_signal_when_only_home_was_opened_with_signal(cable, data_app, page, context, axe):
    """Signed in in the staffroom (Home only), then out to the playground: Record offline opens and
    offers the class, though it was never opened before."""
    sam, _ = two_teachers_on_one_phone()
    page.set_viewport_size(PHONE)
    sign_in(page, cable, sam)
    wait_for_service_worker(page)
    assert wait_for_pupil_list(page, sam.id) == sam.id
    # the home screen fetches the pupil list and the capture page side by side: both are on the phone
    wait_until(page, CAPTURE_PAGE_KEPT, timeout_s=10)
    go_offline(context, cable)
    page.goto(cable.url + "/capture")
    chat = page.get_by_role("form", name="Quick chat")
    offers(chat, "offered", "Amira Khan")
    assert_accessible(axe, page)
    log_chat(page, "Amira Khan")
    expect(page.get_by_text("1 waiting to sync")).to_be_visible()
    go_offline(context, cable, False)
    chats = wait_for_chats(1)
    assert [(c.staff_id, [p.given_name for p in c.pupils]) for c in chats] == [(sam.id, ["Amira"])]


def test_record_offline_cut_short_on_the_first_home_visit_is_kept_on_the_next(cable, data_app, page, context, axe):
    """Home fetches the pupil list and the capture page side by side. The page's fetch was cut short (the
    teacher tapped on at once; a blip) while the list came: with a list on the phone, no later home visit
    fetched the page again, and out in the playground Record offline opened the offline page. Now the next
    home visit fetches it."""
    sam, _ = two_teachers_on_one_phone()
    page.set_viewport_size(PHONE)

    def cut_short(route):
        if route.request.resource_type == "document":
            route.continue_()
        else:
            route.abort()
    def the_capture_page(url):
        return urlparse(url).path == "/capture"
    page.route(the_capture_page, cut_short)
    with page.expect_event("requestfailed", lambda r: the_capture_page(r.url)):
        sign_in(page, cable, sam)
    wait_for_service_worker(page)
    assert wait_for_pupil_list(page, sam.id) == sam.id
    assert not page.evaluate(CAPTURE_PAGE_KEPT)
    page.unroute(the_capture_page)

    page.get_by_role("link", name="Home").first.click()
    wait_until(page, CAPTURE_PAGE_KEPT, timeout_s=10)
    go_offline(context, cable)
    page.goto(cable.url + "/capture")
    offers(page.get_by_role("form", name="Quick chat"), "offered", "Amira Khan")
    assert_accessible(axe, page)


def test_a_refused_record_is_changed_as_its_reason_says_and_sent_as_the_same_record(cable, data_app, page, context, axe):
    """Amira leaves the school while a chat about her waits; the school's system refuses it. "Change it"
    puts the chat back in its form; the teacher chooses Ben, who is still at the school, and saves."""
    school = make_school()
    teacher = make_staff(school, ("teacher",), name="Sam Teacher")
    amira, ben = make_pupil(school, "Amira", "Khan"), make_pupil(school, "Ben", "Osei")
    make_group(school, "Year 5 Cedar", pupils=[amira], staff=[teacher])
    make_group(school, "Football club", pupils=[ben], staff=[teacher], kind="club")
    db.session.commit()
    page.set_viewport_size(PHONE)
    sign_in(page, cable, teacher)
    open_capture(page, cable, axe)
    chat_refused_as_left(page, context, cable, amira)  # a chat about Amira; she leaves the school meanwhile
    made_id = page.evaluate("""() => new Promise((resolve) => {
        const open = indexedDB.open("rrp-outbox", 1);
        open.onsuccess = () => {
            const all = open.result.transaction("items").objectStore("items").getAll();
            all.onsuccess = () => { open.result.close(); resolve(all.result.map((i) => i.uuid)); };
        };
    })""")
    page.get_by_role("button", name=re.compile("^Change it: Quick chat")).click()
    chat = page.get_by_role("form", name="Quick chat")
    expect(chat.get_by_role("radio", name="Unkind words")).to_be_checked()  # what it held is back
    expect(chat.get_by_label("Pupil", exact=True)).to_be_visible()  # Amira is not listed now: no pupil chosen
    expect(chat.get_by_role("button", name="Change pupil: Amira Khan")).to_have_count(0)
    offers(chat, "not offered", "Amira Khan")
    assert_accessible(axe, page)
    choose(chat, "Pupil", "Ben Osei", "pupil")
    chat.get_by_role("button", name="Save chat").click()
    chats = wait_for_chats(1)
    assert [(c.client_uuid, [p.given_name for p in c.pupils], c.what) for c in chats] == [
        (made_id[0], ["Ben"], "Unkind words")]
    expect(page.get_by_text("Everything has been sent.")).to_be_visible()


@pytest.mark.parametrize("device_clock", [timedelta(hours=3), timedelta(days=-2)], ids=["fast", "slow"])
def test_a_phone_with_a_wrong_clock_still_sends_a_chat_dated_when_it_happened(
        live_server, data_app, new_device, axe, device_clock):
    """The phone's clock is 3 hours fast, or 2 days slow: the chat is accepted and filed under today.
    (No service worker: in a test only the page's clock is moved, a real phone moves both.)"""
    page = new_device(service_workers="block", viewport=PHONE).new_page()
    teacher, amira, _ = set_up_class()
    page.clock.install(time=datetime.now() + device_clock)
    sign_in(page, live_server, teacher)
    open_capture(page, live_server, axe)
    log_chat(page, "Amira Khan")
    expect(page.get_by_text("Everything has been sent.")).to_be_visible()
    expect(page.get_by_text("0 waiting to sync")).to_be_visible()
    chats, _ = stored()
    assert len(chats) == 1
    assert abs(chats[0].happened_at.replace(tzinfo=timezone.utc) - datetime.now(timezone.utc)) < timedelta(minutes=2)


def test_a_chat_about_a_pupil_who_left_is_refused_shown_from_any_page_and_discarded_after_asking(
        cable, data_app, page, context, axe):
    """A midday assistant logs a chat with no signal; meanwhile the pupil leaves the school. Back in
    signal, Home says the chat was not accepted and leads to it; the reason names the pupil; Discard
    asks first, and a "no" keeps it."""
    school = make_school()
    midday = make_staff(school, ("support",), name="Pat Midday")
    amira, ben = make_pupil(school, "Amira", "Khan"), make_pupil(school, "Ben", "Osei")
    make_group(school, pupils=[amira, ben], staff=[midday])
    db.session.commit()
    page.set_viewport_size({"width": 360, "height": 740})
    sign_in(page, cable, midday)
    open_capture(page, cable, axe)
    chat_refused_as_left(page, context, cable, amira)  # a chat about Amira; she leaves the school meanwhile
    page.get_by_role("button", name="Sync now").click()  # nothing else to send: no endless "Sending…"
    expect(page.get_by_text("1 not accepted: see the reason beside each.")).to_be_visible()
    expect(page.get_by_text("Sending…")).to_have_count(0)

    page.get_by_role("link", name="Home").click()
    badge = page.get_by_role("link", name="1 waiting to sync (1 not accepted: needs you)")
    expect(badge).to_be_visible()
    assert_accessible(axe, page)
    badge.click()
    expect(page.get_by_role("heading", name="Record offline")).to_be_visible()
    discard = page.get_by_role("button", name=re.compile("^Discard: Quick chat · Amira Khan"))
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    discard.click()
    expect(discard).to_be_visible()  # "no": it stays
    assert questions and "It has not been saved on the school's system" in questions[0]
    page.once("dialog", lambda dialog: dialog.accept())
    discard.click()
    expect(page.get_by_text("0 waiting to sync")).to_be_visible()
    page.get_by_role("link", name="Home").click()
    expect(page.get_by_role("heading", name="Hello, Pat Midday")).to_be_visible()
    expect(page.get_by_text("waiting to sync")).to_have_count(0)
    assert stored() == ([], [])


def test_a_double_tap_on_save_makes_one_chat_and_the_next_chat_can_start_at_once(live_server, data_app, new_device, axe):
    """Standing up in the playground, Save gets a double tap: one chat, not two. The form is empty
    at once, so the next pupil's chat can be started straight away without its choices being wiped."""
    page = new_device(service_workers="block", viewport=PHONE).new_page()
    teacher, amira, ben = set_up_class()
    sign_in(page, live_server, teacher)
    chat = open_capture(page, live_server, axe)
    choose(chat, "Pupil", "Amira Khan", "pupil")
    chat.get_by_role("radio", name="Unkind words").check()
    chat.get_by_role("radio", name="Playground").check()
    chat.get_by_role("button", name="Save chat").dblclick()
    log_chat(page, "Ben Osei", what="Game dispute", where="Field")
    expect(page.get_by_text("Everything has been sent.")).to_be_visible()
    expect(page.get_by_text("0 waiting to sync")).to_be_visible()
    expect(chat.get_by_text("Choose a pupil.")).to_have_count(0)  # Ben's choices were not wiped
    time.sleep(1)  # anything more would have been sent by now
    assert sorted((c.pupils[0].given_name, c.what) for c in stored()[0]) == [("Amira", "Unkind words"),
                                                                               ("Ben", "Game dispute")]
    assert_accessible(axe, page)


def test_record_offline_left_open_overnight_no_longer_shows_the_class_list(cable, data_app, page, context, axe):
    """Record offline is left open on a phone put away with no signal; 13 hours later the page itself
    no longer offers the class, not only the copy stored on the device."""
    sam, _ = two_teachers_on_one_phone()
    page.set_viewport_size(PHONE)
    page.clock.install(time=datetime.now())
    sign_in(page, cable, sam)
    chat = open_capture(page, cable, axe)
    go_offline(context, cable)
    page.clock.fast_forward("13:00:00")
    expect(page.get_by_text("Your pupil list was more than 12 hours old, so it has been removed")).to_be_visible()
    offers(chat, "not offered", "Amira Khan")
    offers(page.get_by_role("form", name="Check-in"), "not offered", "Amira Khan")
    assert wait_for_pupil_list(page, None) is None
    assert_accessible(axe, page)


def test_sign_out_with_no_signal_says_it_did_not_sign_out_and_works_back_in_signal(cable, data_app, page, context, axe):
    """Sign out tapped in the playground with no signal used to show the browser's error page while
    the session went on, for the next person on the phone to pick up as Sam."""
    sam, _ = two_teachers_on_one_phone()
    page.set_viewport_size(PHONE)
    sign_in(page, cable, sam)
    wait_for_service_worker(page)
    open_capture(page, cable, axe)
    go_offline(context, cable)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("alert")).to_contain_text("Not signed out: there is no signal.")
    expect(page.get_by_role("heading", name="Record offline")).to_be_visible()
    assert wait_for_pupil_list(page, None) is None  # the class list goes all the same
    page.wait_for_function("() => document.getAnimations().length === 0")  # the message has slid in
    assert_accessible(axe, page)
    go_offline(context, cable, False)
    sign_out(page)
    page.goto(cable.url + "/")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def test_wifi_that_stalls_instead_of_failing_still_gives_the_pupil_list_and_sends_later(
        live_server, data_app, new_device, axe):
    """Playground Wi-Fi that takes a request and never answers: Record offline gives up waiting for a
    fresh pupil list and uses the one on the phone, and a send that hangs is given up and tried again
    (before, the page waited for ever: no pupils, and Sync now did nothing)."""
    page = new_device(service_workers="block", viewport=PHONE).new_page()
    teacher, amira, _ = set_up_class()
    page.clock.install(time=datetime.now())
    sign_in(page, live_server, teacher)
    open_capture(page, live_server, axe)  # the pupil list is now on the phone
    stalled = []
    page.route("**/api/v1/capture", lambda route: stalled.append(route))  # never answered
    page.route("**/api/v1/sync", lambda route: stalled.append(route))
    page.reload()
    page.clock.fast_forward("00:09")
    chat = page.get_by_role("form", name="Quick chat")
    offers(chat, "offered", "Amira Khan")
    expect(page.get_by_text("0 waiting to sync")).to_be_visible()
    log_chat(page, "Amira Khan")
    expect(page.get_by_text("1 waiting to sync")).to_be_visible()
    page.clock.fast_forward("00:16")
    expect(page.get_by_text("Couldn't reach the school's system. Trying again shortly.")).to_be_visible()
    page.unroute("**/api/v1/sync")
    page.clock.fast_forward("00:05")
    expect(page.get_by_text("0 waiting to sync")).to_be_visible()
    assert [c.pupils[0].given_name for c in stored()[0]] == ["Amira"]
    assert len(stalled) >= 2


def chat_about_amira_filled_in(page, server, midday) -> str:
    """Sign ``midday`` in and fill in Log a chat about Amira Khan, all but Save; return the form's client_uuid."""
    sign_in(page, server, midday)
    return fill_in_chat_about_amira(page)


def fill_in_chat_about_amira(page) -> str:
    """From the home screen, Log a chat about Amira Khan filled in, all but Save; the form's client_uuid."""
    page.get_by_role("link", name="Log a chat").first.click()
    page.get_by_label("Find a pupil").press_sequentially("am", delay=50)
    page.get_by_role("link", name="Amira Khan").click()
    expect(page.get_by_role("button", name="Remove Amira Khan")).to_be_visible()
    form_id = page.locator("input[name=client_uuid]").input_value()
    page.get_by_role("radio", name="Unkind words").click()
    page.get_by_role("radio", name="Playground").click()
    return form_id


def test_log_a_chat_saved_as_the_signal_drops_is_kept_on_the_phone_and_sent_once(cable, data_app, page, context, axe):
    """A midday assistant picks the pupil on Log a chat, the Wi-Fi drops, she taps Save: the chat is
    kept in the outbox (not lost behind the browser's error page) and sent, once, back in signal."""
    school = make_school()
    midday = make_staff(school, ("support",), name="Pat Midday")
    amira = make_pupil(school, "Amira", "Khan")
    make_group(school, pupils=[amira], staff=[midday])
    db.session.commit()
    page.set_viewport_size({"width": 360, "height": 740})
    form_id = chat_about_amira_filled_in(page, cable, midday)
    go_offline(context, cable)
    page.get_by_role("button", name="Save chat").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "No signal, so this chat is saved on this device: Quick chat · Amira Khan · Unkind words, Playground.")
    expect(page.get_by_role("link", name="1 waiting to sync")).to_be_visible()
    expect(page.get_by_role("heading", name="Log a chat")).to_be_visible()
    page.wait_for_function("() => document.getAnimations().length === 0")
    assert_accessible(axe, page)
    page.get_by_role("button", name="Save chat").click()  # a double tap on the form now empty: nothing more is kept
    expect(page.get_by_role("link", name="1 waiting to sync")).to_be_visible()
    assert stored() == ([], [])
    go_offline(context, cable, False)
    wait_for_chats(1)
    expect(page.get_by_text("waiting to sync")).to_be_hidden()
    time.sleep(1)  # a second send would have landed by now
    assert [(c.client_uuid, c.staff_id, c.what, c.where) for c in stored()[0]] == [
        (form_id, midday.id, "Unkind words", "Playground")]


def test_a_midday_assistant_in_no_class_records_a_chat_offline_about_any_pupil(cable, data_app, page, context, axe):
    """She supervises the whole playground and is in no class: Log a chat takes any pupil, and so does
    Record offline now (its pupil list was empty). A check-in stays for pupils of one's own groups."""
    school = make_school()
    midday = make_staff(school, ("support",), name="Pat Midday")
    amira = make_pupil(school, "Amira", "Khan")
    make_pupil(school, "Lee", "Gone", archived=True)
    db.session.commit()
    page.set_viewport_size(PHONE)
    sign_in(page, cable, midday)
    wait_for_service_worker(page)
    chat = open_capture(page, cable, axe)
    offers(chat, "not offered", "Lee Gone")
    expect(page.get_by_text("You record check-ins for the pupils in your groups, and you have none yet.")).to_be_visible()
    go_offline(context, cable)
    log_chat(page, "Amira Khan")
    expect(page.get_by_text("1 waiting to sync")).to_be_visible()
    expect(page.get_by_text("Quick chat · Amira Khan · Unkind words, Playground · waiting")).to_be_visible()
    assert_accessible(axe, page)
    go_offline(context, cable, False)
    wait_for_chats(1)
    expect(page.get_by_text("0 waiting to sync")).to_be_visible()
    expect(page.get_by_text("Everything has been sent.")).to_be_visible()
    assert_accessible(axe, page)
    assert [(c.staff_id, [p.id for p in c.pupils]) for c in stored()[0]] == [(midday.id, [amira.id])]


@pytest.mark.parametrize("wifi", ["never_answers", "answer_lost"])
def test_log_a_chat_and_sign_out_on_wifi_that_gets_nothing_through_lose_nothing(live_server, data_app, new_device, axe,
                                                                               wifi):
    """The phone believes it is online but nothing gets through (the edge of the playground). Save on
    Log a chat used to end on the browser's error page with the chat lost, and Sign out likewise. Now
    the chat is kept on the phone under the form's own id and sent, once, when the signal is back -
    also when the server did get the first Save and only its answer was lost - and Sign out says it
    did not sign out, leaving the waiting chat where it is."""
    page = new_device(service_workers="block", viewport=PHONE).new_page()  # page.route sees every request
    page.on("dialog", lambda dialog: dialog.accept())  # "1 record has not been sent yet. Sign out anyway?"
    school = make_school()
    midday = make_staff(school, ("support",), name="Pat Midday")
    make_pupil(school, "Amira", "Khan")
    db.session.commit()
    form_id = chat_about_amira_filled_in(page, live_server, midday)
    held = []

    def chat_post(route):
        if route.request.method != "POST":
            route.continue_()
        elif wifi == "never_answers":
            held.append(route)
        else:
            route.fetch()  # the server stores the chat; its answer never reaches the phone
            route.abort("connectionreset")

    page.route("**/chats/new*", chat_post)
    page.route("**/api/v1/sync", lambda route: route.abort("timedout"))
    page.route("**/sign-out", lambda route: held.append(route))
    assert page.evaluate("() => navigator.onLine")
    page.get_by_role("button", name="Save chat").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "No answer: the connection is too slow, so this chat is saved on this device: "
        "Quick chat · Amira Khan · Unkind words, Playground. It sends itself when the signal is back.", timeout=15000)
    expect(page.get_by_role("link", name="1 waiting to sync")).to_be_visible()
    expect(page.get_by_role("heading", name="Log a chat")).to_be_visible()  # not the browser's error page
    page.wait_for_function("() => document.getAnimations().length === 0")
    assert_accessible(axe, page)
    assert len(stored()[0]) == (0 if wifi == "never_answers" else 1)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Not signed out: no answer, the connection is too slow. You are still signed in on this device", timeout=15000)
    expect(page.get_by_role("link", name="1 waiting to sync")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.wait_for_function("() => document.getAnimations().length === 0")
    assert_accessible(axe, page)

    page.unroute("**/chats/new*")
    page.unroute("**/api/v1/sync")
    page.unroute("**/sign-out")
    wait_for_chats(1, timeout_s=60)  # the outbox tries again by itself
    # ... after its back-off, which the failed tries above have grown (at most MAX_DELAY, 60 s, in
    # static/js/outbox.js): with the answer lost, the chat is stored already and this is the wait for it
    expect(page.get_by_text("waiting to sync")).to_be_hidden(timeout=65000)
    time.sleep(1)  # a second send would have landed by now
    assert [(c.client_uuid, c.staff_id, c.what, c.where) for c in stored()[0]] == [
        (form_id, midday.id, "Unkind words", "Playground")]
    sign_out(page)
    page.goto(live_server.url + "/")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def test_a_record_saved_while_the_last_one_is_still_sending_is_sent_too(live_server, data_app, new_device, axe):
    """On slow playground Wi-Fi a midday assistant saves a chat and, while it is still on its way, a
    check-in. The chat's answer said "Everything has been sent." beside "1 waiting to sync", and the
    check-in waited for Sync now or the next page. Now it is sent straight after, by itself."""
    # Without the service worker, as the lost-answer test: page.route holds the page's own send.
    page = new_device(service_workers="block", viewport=PHONE).new_page()
    teacher, amira, ben = set_up_class()
    sign_in(page, live_server, teacher)
    open_capture(page, live_server, axe)
    on_its_way = []

    def slow_first_send(route):
        if on_its_way:
            route.continue_()
        else:
            on_its_way.append(route)  # slow Wi-Fi: the first send goes through when the test says

    page.route("**/api/v1/sync", slow_first_send)
    log_chat(page, "Amira Khan")
    expect(page.get_by_text("1 waiting to sync")).to_be_visible()
    log_checkin(page, "Ben Osei", "Not great")
    expect(page.get_by_text("2 waiting to sync")).to_be_visible()
    assert len(on_its_way) == 1  # the chat's send, still unanswered
    on_its_way[0].continue_()
    expect(page.get_by_text("0 waiting to sync")).to_be_visible()
    expect(page.get_by_text("Everything has been sent.")).to_be_visible()
    assert_accessible(axe, page)
    chats, checkins = stored()
    assert [c.pupils[0].id for c in chats] == [amira.id] and [c.pupil_id for c in checkins] == [ben.id]


def test_log_a_chat_searched_with_no_signal_points_to_record_offline(cable, data_app, page, context, axe):
    """A midday assistant opens Log a chat, walks out of signal and types a pupil's name: she was told
    only "No connection just now. Try again when you have signal." Now she is told the pupil cannot be
    found there and given Record offline, where the pupil is found on the phone and the chat kept."""
    school = make_school()
    midday = make_staff(school, ("support",), name="Pat Midday")
    amira = make_pupil(school, "Amira", "Khan")
    db.session.commit()
    page.set_viewport_size(PHONE)
    sign_in(page, cable, midday)
    wait_for_service_worker(page)
    assert wait_for_pupil_list(page, midday.id) == midday.id
    wait_until(page, CAPTURE_PAGE_KEPT, timeout_s=10)
    page.get_by_role("link", name="Log a chat").first.click()
    expect(page.get_by_role("heading", name="Log a chat")).to_be_visible()
    go_offline(context, cable)
    page.get_by_label("Find a pupil").press_sequentially("am", delay=50)
    alert = page.get_by_role("alert")
    expect(alert).to_have_text("No signal, so pupils can't be found here. Record offline finds them on this phone "
                               "and sends the chat when you're back online.")
    page.wait_for_function("() => document.getAnimations().length === 0")
    assert_accessible(axe, page)
    alert.get_by_role("link", name="Record offline").click()
    expect(page.get_by_role("heading", name="Record offline")).to_be_visible()
    log_chat(page, "Amira Khan")
    expect(page.get_by_text("1 waiting to sync")).to_be_visible()
    go_offline(context, cable, False)
    chats = wait_for_chats(1)
    assert [(c.staff_id, [p.id for p in c.pupils]) for c in chats] == [(midday.id, [amira.id])]


def test_log_a_chat_kept_with_no_signal_leaves_the_screen_ready_for_the_next_chat(cable, data_app, page, context, axe):
    """A midday assistant saves Log a chat with no signal. The pupil, the chips and the note all stayed on the form, so
    she could not tell it was kept, and the next chat could not start there. Now the form is emptied as after a save
    with signal, the chat is listed in Your chats today as waiting to send, Log another chat leads to Record offline
    (a Recently chosen pupil tapped with no signal says the same, not the offline page), and back in signal each
    chat is sent once."""
    school = make_school()
    midday = make_staff(school, ("support",), name="Pat Midday")
    amira, ben = make_pupil(school, "Amira", "Khan"), make_pupil(school, "Ben", "Osei")
    yesterday = record_quick_chat(school.id, midday, [ben], "Left out", "Field",
                                  happened_at=datetime.now(timezone.utc) - timedelta(days=1))
    db.session.commit()
    yesterday = yesterday.id
    page.set_viewport_size(PHONE)
    sign_in(page, cable, midday)
    wait_for_service_worker(page)
    assert wait_for_pupil_list(page, midday.id) == midday.id
    wait_until(page, CAPTURE_PAGE_KEPT, timeout_s=10)
    form_id = fill_in_chat_about_amira(page)
    page.get_by_text("What was agreed (optional)").first.click()
    page.get_by_role("radio", name="Said sorry").click()
    page.get_by_label("Short note (optional)").fill("By the bins")

    go_offline(context, cable)
    page.get_by_role("button", name="Save chat").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("No signal, so this chat is saved on this device: "
                                  "Quick chat · Amira Khan · Unkind words, Playground. It sends itself when you're back online.")
    expect(alert.get_by_role("link", name="Log another chat")).to_have_attribute("href", "/capture")
    # ready for the next chat, as after a save with signal
    expect(page.get_by_role("button", name="Remove Amira Khan")).to_have_count(0)
    expect(page.get_by_role("searchbox", name="Find a pupil")).to_have_value("")
    for chip in ("Unkind words", "Playground"):
        expect(page.get_by_role("radio", name=chip)).not_to_be_checked()
    expect(page.get_by_role("radio", name="Said sorry")).to_be_hidden()  # folded again, as the form starts
    page.get_by_text("What was agreed (optional)").first.click()
    expect(page.get_by_role("radio", name="Said sorry")).not_to_be_checked()
    expect(page.get_by_label("Short note (optional)")).to_have_value("")
    expect(page).to_have_url(cable.url + "/chats/new")
    assert page.locator("input[name=client_uuid]").input_value() not in ("", form_id)
    # the chat kept is in sight, waiting
    expect(page.get_by_role("link", name="1 waiting to sync")).to_be_visible()
    today = page.get_by_role("region", name="Your chats today")
    expect(today.get_by_role("listitem").filter(has_text="waiting to send")).to_have_text(
        "Quick chat · Amira Khan · Unkind words, Playground · waiting to send")
    page.wait_for_function("() => document.getAnimations().length === 0")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(axe, page)

    page.wait_for_timeout(1600)  # past a double tap: Save on the emptied form keeps nothing more
    page.get_by_role("button", name="Save chat").click()
    expect(alert).to_contain_text("Not saved: choose the pupil, what happened and where.")
    expect(page.get_by_role("link", name="1 waiting to sync")).to_be_visible()

    page.get_by_role("button", name="Ben Osei").click()  # Recently chosen, with no signal
    expect(alert).to_contain_text("No signal, so pupils can't be found here. Record offline finds them on this phone")
    expect(page.get_by_role("heading", name="Log a chat")).to_be_visible()
    alert.get_by_role("link", name="Record offline").click()
    expect(page.get_by_role("heading", name="Record offline")).to_be_visible()
    expect(page.get_by_text("Quick chat · Amira Khan · Unkind words, Playground · waiting")).to_be_visible()
    log_chat(page, "Ben Osei", "Left out", "Field")
    expect(page.get_by_text("2 waiting to sync")).to_be_visible()
    assert [c.id for c in stored()[0]] == [yesterday]

    go_offline(context, cable, False)
    wait_for_chats(3)
    expect(page.get_by_text("0 waiting to sync")).to_be_visible()
    time.sleep(1)  # a second send would have landed by now
    chats = sorted((c for c in stored()[0] if c.id != yesterday), key=lambda c: c.pupils[0].given_name)
    assert [(c.pupils[0].id, c.what, c.where, c.agreed, c.note) for c in chats] == [
        (amira.id, "Unkind words", "Playground", "Said sorry", "By the bins"), (ben.id, "Left out", "Field", None, None)]
    assert chats[0].client_uuid == form_id


def test_a_recently_chosen_pupil_tapped_with_no_signal_points_to_record_offline(cable, data_app, page, context, axe):
    """Log a chat opened in signal, no pupil chosen yet; out of signal the assistant taps a Recently chosen pupil. It
    opened the offline page in place of Log a chat; now she is told, as by the search, that Record offline finds
    pupils on this phone, and stays where she is."""
    school = make_school()
    midday = make_staff(school, ("support",), name="Pat Midday")
    ben = make_pupil(school, "Ben", "Osei")
    record_quick_chat(school.id, midday, [ben], "Left out", "Field",
                      happened_at=datetime.now(timezone.utc) - timedelta(days=1))
    db.session.commit()
    page.set_viewport_size(PHONE)
    sign_in(page, cable, midday)
    wait_for_service_worker(page)
    page.get_by_role("link", name="Log a chat").first.click()
    expect(page.get_by_role("heading", name="Log a chat")).to_be_visible()
    go_offline(context, cable)
    page.get_by_role("link", name="Ben Osei").click()
    alert = page.get_by_role("alert")
    expect(alert).to_have_text("No signal, so pupils can't be found here. Record offline finds them on this phone "
                               "and sends the chat when you're back online.")
    expect(page.get_by_role("heading", name="Log a chat")).to_be_visible()
    expect(page).to_have_url(cable.url + "/chats/new")
    page.wait_for_function("() => document.getAnimations().length === 0")
    assert_accessible(axe, page)
