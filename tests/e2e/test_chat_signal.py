"""Log a chat in and out of signal, as a midday assistant walks the playground: what the page says about
the signal is true as it changes, and "saved on this device" is never hidden by a lesser message."""
from playwright.sync_api import expect

from rrp_pwa.extensions import db
from tests.conftest import make_pupil, make_school, make_staff
from tests.e2e.conftest import PHONE, assert_accessible, go_offline
from tests.e2e.test_offline_capture import sign_in

NO_SIGNAL = ("No signal, so pupils can't be found here. Record offline finds them on this phone "
             "and sends the chat when you're back online.")


def settled(page, axe) -> None:
    page.wait_for_function("() => document.getAnimations().length === 0")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(axe, page)


def test_the_no_signal_notice_goes_when_the_signal_returns(cable, data_app, page, context, axe):
    """QA: on Log a chat with the network cut, a pupil search says there is no signal; with the network back,
    the notice stayed until dismissed. It goes when the signal returns."""
    school = make_school()
    midday = make_staff(school, ("support",), name="Pat Midday")
    make_pupil(school, "Amira", "Khan")
    db.session.commit()
    page.set_viewport_size(PHONE)
    sign_in(page, cable, midday)
    page.goto(cable.url + "/chats/new")
    go_offline(context, cable)
    page.get_by_label("Find a pupil").press_sequentially("am", delay=50)
    expect(page.get_by_role("alert")).to_have_text(NO_SIGNAL)
    settled(page, axe)

    go_offline(context, cable, False)
    expect(page.get_by_text(NO_SIGNAL)).to_have_count(0)
    page.get_by_label("Find a pupil").fill("")
    page.get_by_label("Find a pupil").press_sequentially("am", delay=50)
    expect(page.get_by_role("link", name="Amira Khan")).to_be_visible()
    settled(page, axe)


def test_saved_on_this_device_stays_in_sight_and_not_saved_names_only_what_is_missing(cable, data_app, page, context,
                                                                                       axe):
    """QA: after a chat saved with no signal, a pupil search's "No signal" notice took the place of "saved on this
    device", which tells the adult the chat is safe; and Save with no pupil said "choose the pupil, what happened
    and where" with both chips tapped. Now the later notices are said beneath it, the "No signal" one goes when
    the signal returns, and "Not saved" names only what is missing."""
    school = make_school()
    midday = make_staff(school, ("support",), name="Pat Midday")
    amira = make_pupil(school, "Amira", "Khan")
    db.session.commit()
    page.set_viewport_size(PHONE)
    sign_in(page, cable, midday)
    page.goto(f"{cable.url}/chats/new?pupil_id={amira.id}")
    page.get_by_role("radio", name="Unkind words").click()
    page.get_by_role("radio", name="Playground").click()

    go_offline(context, cable)
    page.get_by_role("button", name="Save chat").click()
    saved = page.locator("#request-errors").get_by_text("No signal, so this chat is saved on this device: "
                                                         "Quick chat · Amira Khan · Unkind words, Playground.")
    expect(saved).to_be_visible()
    expect(page.get_by_role("button", name="Remove Amira Khan")).to_have_count(0)

    page.wait_for_timeout(1600)  # past a double tap
    page.get_by_role("radio", name="Upset").click()
    page.get_by_role("radio", name="Field").click()
    page.get_by_role("button", name="Save chat").click()
    expect(page.get_by_role("alert")).to_have_text("Not saved: choose the pupil.")
    expect(saved).to_be_visible()
    settled(page, axe)

    page.get_by_label("Find a pupil").press_sequentially("am", delay=50)
    expect(page.get_by_role("alert")).to_have_text(NO_SIGNAL)
    expect(saved).to_be_visible()
    settled(page, axe)

    go_offline(context, cable, False)
    expect(page.get_by_text(NO_SIGNAL)).to_have_count(0)
    expect(saved).to_be_visible()
    page.get_by_role("button", name="Dismiss").click()
    expect(saved).to_have_count(0)
