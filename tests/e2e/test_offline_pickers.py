"""Record offline in a big school, on a 360 px phone with no signal: a pupil is found by typing the first
letters of a name (as on Log a chat), from the list kept on the phone, and a typed-up mediation says when
its agreements will be checked."""
import time
from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from rrp_pwa.extensions import db
from rrp_pwa.models.agreements import Agreement
from tests.conftest import make_pupil, make_school, make_staff
from tests.e2e.conftest import PHONE, assert_accessible, go_offline, sign_out, wait_for_service_worker
from tests.e2e.test_offline_capture import sign_in, stored, wait_for_chats, wait_for_pupil_list

GIVEN = ["Noah", "Olivia", "Leo", "Isla", "Oscar", "Ivy", "Jack", "Freya", "Harry", "Ella", "George", "Lily", "Theo",
         "Poppy", "Finn", "Grace", "Louis", "Evie", "Toby", "Sofia", "Zac", "Ruby", "Dylan", "Maya", "Ethan"]
FAMILY = ["Parker", "Evans", "Wright", "Turner", "Lewis", "Scott", "Green", "Young", "Walker", "Price", "Moore",
          "Dixon", "Lloyd", "Fisher", "Mason", "Powell", "Stone", "Ward", "Wells", "Fox", "Gray", "Lane", "Marsh",
          "Nash", "Pike", "Quinn", "Reid", "Shaw", "Tate", "Vale", "Webb", "Yates", "Ellis", "Fry", "Gill", "Dunn",
          "Cole", "Day", "Ford", "Penn"]


def whole_school_on_the_playground():
    """A midday assistant in no class (she may record a chat about any pupil), 1,000 other pupils, two
    Amira Khans in different years, and Bobby Hale, whose given name is Robert."""
    school = make_school()
    midday = make_staff(school, ("support",), name="Pat Midday")
    for n, (given, family) in enumerate((g, f) for g in GIVEN for f in FAMILY):
        make_pupil(school, given, family, year_group=f"Year {n % 6 + 1}")
    amira3 = make_pupil(school, "Amira", "Khan", year_group="Year 3")
    amira5 = make_pupil(school, "Amira", "Khan", year_group="Year 5")
    bobby = make_pupil(school, "Robert", "Hale", preferred_name="Bobby")
    db.session.commit()
    return midday, amira3, amira5, bobby


def capture_on_the_phone(page, cable, staff) -> None:
    """``staff`` signed in on a phone, on Record offline with the pupil list kept on it."""
    page.set_viewport_size(PHONE)
    sign_in(page, cable, staff)
    wait_for_service_worker(page)
    page.goto(cable.url + "/capture")
    assert wait_for_pupil_list(page, staff.id) == staff.id


def fits_the_phone(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_a_pupil_is_found_by_typing_with_no_signal_and_the_chat_syncs_with_that_pupil(cable, data_app, page, context,
                                                                                       axe):
    """Six lists of every pupil (1,020 names each for the demo's midday assistant) were slow to draw on a
    phone and no way to find Amira: now she types "am", sees the two Amira Khans told apart by year group,
    taps hers, and the chat reaches the school's record about that Amira."""
    midday, _, amira5, bobby = whole_school_on_the_playground()
    capture_on_the_phone(page, cable, midday)
    chat = page.get_by_role("form", name="Quick chat")
    expect(page.locator("option")).to_have_count(0)  # nothing drawn for 1,000 pupils at load
    expect(chat.get_by_role("list")).to_have_count(0)
    assert_accessible(axe, page)

    go_offline(context, cable)
    expect(page.get_by_text("Offline: saving on this device")).to_be_visible()
    chat.get_by_role("radio", name="Unkind words").check()
    chat.get_by_role("radio", name="Playground").check()
    chat.get_by_role("button", name="Save chat").click()
    expect(chat.get_by_role("alert")).to_have_text("Choose a pupil.")  # a chat needs its pupil
    search = chat.get_by_role("searchbox", name="Pupil", exact=True)
    expect(search).to_be_focused()

    search.press_sequentially("am", delay=50)
    expect(chat.get_by_role("status").filter(has_text="match")).to_have_text("2 pupils match.")
    matches = chat.get_by_role("list").get_by_role("button")
    expect(matches).to_have_text(["Amira Khan (Year 3)", "Amira Khan (Year 5)"])
    assert fits_the_phone(page)
    assert_accessible(axe, page)
    matches.nth(1).click()
    change = chat.get_by_role("button", name="Change pupil: Amira Khan (Year 5)")
    expect(change).to_be_focused()
    expect(search).to_be_hidden()

    change.click()  # the wrong Amira after all? Change, and find her by her family name, with the keyboard
    expect(search).to_be_focused()
    expect(search).to_have_value("")
    search.press_sequentially("kh", delay=50)
    expect(matches).to_have_count(2)
    search.press("ArrowDown")
    expect(matches.nth(0)).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(change).to_be_focused()

    other = chat.get_by_role("searchbox", name="And another pupil (optional)")
    other.press_sequentially("bob", delay=50)  # the name he is known by (his given name is not on the phone)
    expect(chat.get_by_role("status").filter(has_text="match")).to_have_text("1 pupil matches.")
    other.press("Enter")  # the only match
    expect(chat.get_by_role("button", name="Change the other pupil: Bobby Hale")).to_be_focused()

    party = page.get_by_role("form", name="Peer mediation").get_by_role("searchbox", name="First pupil in the disagreement")
    party.fill("o")
    expect(page.get_by_text("pupils match: the first 12 are shown, type more of the name.")).to_be_visible()
    expect(page.get_by_role("form", name="Peer mediation").get_by_role("list").get_by_role("button")).to_have_count(12)
    party.fill("zz")
    expect(page.get_by_text("No pupil's name starts with “zz”.")).to_be_visible()
    assert fits_the_phone(page)
    assert_accessible(axe, page)
    party.fill("")

    chat.get_by_role("button", name="Save chat").click()
    expect(page.get_by_text("1 waiting to sync")).to_be_visible()
    expect(page.get_by_text("Quick chat · Amira Khan (Year 5) and Bobby Hale · Unkind words, Playground · waiting")
           ).to_be_visible()
    expect(search).to_be_visible()  # the form is empty for the next chat
    assert_accessible(axe, page)
    assert stored() == ([], [])

    go_offline(context, cable, False)
    chats = wait_for_chats(1)
    expect(page.get_by_text("0 waiting to sync")).to_be_visible()
    assert [(c.staff_id, sorted(p.id for p in c.pupils)) for c in chats] == [(midday.id, sorted([amira5.id, bobby.id]))]
    assert_accessible(axe, page)


def wait_for_mediation_agreements(timeout_s: float = 15.0) -> list:
    deadline = time.monotonic() + timeout_s
    while True:
        db.session.expire_all()
        found = db.session.scalars(select(Agreement).where(Agreement.source_kind == "mediation")).all()
        db.session.rollback()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.25)


def test_a_mediation_typed_up_with_no_signal_is_checked_in_four_weeks_as_chosen(cable, data_app, page, context, axe):
    """The adult on duty types up the mediators' paper with no signal and chooses "In 4 weeks", as the
    mediators would have on their tablet; once synced, both agreements come up for review four weeks on."""
    school = make_school()
    adult = make_staff(school, ("support",), name="Pat Midday")
    make_pupil(school, "Mia", "Reed", peer_mediator=True)
    make_pupil(school, "Amira", "Khan")
    make_pupil(school, "Ben", "Osei")
    db.session.commit()
    capture_on_the_phone(page, cable, adult)
    form = page.get_by_role("form", name="Peer mediation")
    weeks = form.get_by_role("group", name="When will we check it is working?")
    expect(weeks.get_by_role("radio", name="In 2 weeks")).to_be_checked()  # unless chosen, as on the tablet
    go_offline(context, cable)

    mediator = form.get_by_role("searchbox", name="Mediator", exact=True)
    mediator.fill("am")
    expect(form.get_by_text("No mediator's name starts with “am”.")).to_be_visible()  # Amira is no mediator
    mediator.fill("mi")
    form.get_by_role("button", name="Mia Reed", exact=True).click()
    form.get_by_role("searchbox", name="First pupil in the disagreement").fill("am")
    form.get_by_role("button", name="Amira Khan", exact=True).click()
    form.get_by_role("searchbox", name="Second pupil in the disagreement").fill("amira")
    form.get_by_role("button", name="Amira Khan", exact=True).click()
    form.get_by_label("What the first pupil agreed to do").fill("Take turns in goal")
    form.get_by_label("What the second pupil agreed to do").fill("Take turns in goal")
    weeks.get_by_role("radio", name="In 4 weeks").check()
    form.get_by_role("button", name="Save mediation").click()
    expect(form.get_by_role("alert")).to_have_text("Choose the two pupils in the disagreement.")
    second = form.get_by_role("button", name="Change second pupil: Amira Khan")
    expect(second).to_be_focused()
    assert fits_the_phone(page)
    assert_accessible(axe, page)
    second.click()
    form.get_by_role("searchbox", name="Second pupil in the disagreement").fill("be")
    form.get_by_role("button", name="Ben Osei", exact=True).click()
    form.get_by_role("button", name="Save mediation").click()
    expect(page.get_by_text("1 waiting to sync")).to_be_visible()
    expect(page.get_by_text("Peer mediation · Amira Khan and Ben Osei · waiting")).to_be_visible()
    expect(weeks.get_by_role("radio", name="In 2 weeks")).to_be_checked()  # an empty form for the next one
    assert_accessible(axe, page)

    go_offline(context, cable, False)
    agreements = wait_for_mediation_agreements()
    expect(page.get_by_text("0 waiting to sync")).to_be_visible()
    assert [(a.what, a.review_on) for a in agreements] == [("Take turns in goal", school.today() + timedelta(weeks=4))] * 2
    assert_accessible(axe, page)


def recently_offered(form, field: str):
    """What the search ``field`` offers as soon as it is tapped, before any letter is typed."""
    search = form.get_by_role("searchbox", name=field, exact=True)
    search.click()
    expect(search).to_be_focused()
    return search, form.get_by_role("list").get_by_role("button")


def test_the_pupils_just_recorded_about_are_offered_first_on_this_phone_for_this_person_only(
        cable, data_app, page, context, axe):
    """A midday assistant logs three chats about the same two pupils: she typed their names every time.
    Now, once she has saved one chat about Amira and Bobby, tapping a pupil search offers them first (not
    the one already chosen in the chat); another person signed in on the phone is offered nobody."""
    midday, _, amira5, bobby = whole_school_on_the_playground()
    other = make_staff(midday.school, ("support",), name="Kim Midday", email="kim@example.org")
    db.session.commit()
    capture_on_the_phone(page, cable, midday)
    go_offline(context, cable)
    chat = page.get_by_role("form", name="Quick chat")
    search, offered = recently_offered(chat, "Pupil")
    expect(offered).to_have_count(0)  # nothing recorded on this phone yet
    search.press_sequentially("amira", delay=30)
    chat.get_by_role("button", name="Amira Khan (Year 5)").click()
    chat.get_by_role("searchbox", name="And another pupil (optional)").fill("bob")
    chat.get_by_role("button", name="Bobby Hale").click()
    chat.get_by_role("radio", name="Unkind words").check()
    chat.get_by_role("radio", name="Playground").check()
    chat.get_by_role("button", name="Save chat").click()
    expect(page.get_by_text("1 waiting to sync")).to_be_visible()

    for n in (2, 3):  # the second and third chats: two taps each to choose them
        search, offered = recently_offered(chat, "Pupil")
        expect(offered).to_have_text(["Amira Khan (Year 5)", "Bobby Hale"])
        expect(chat.get_by_role("status").filter(has_text="Recently")).to_have_text(
            "Recently chosen: tap one, or type the first letters of a name.")
        assert fits_the_phone(page)
        assert_accessible(axe, page)
        offered.nth(0).click()
        expect(chat.get_by_role("button", name="Change pupil: Amira Khan (Year 5)")).to_be_focused()
        _, offered = recently_offered(chat, "And another pupil (optional)")
        expect(offered).to_have_text(["Bobby Hale"])  # Amira is chosen already
        offered.nth(0).click()
        chat.get_by_role("radio", name="Physical").check()
        chat.get_by_role("radio", name="Playground").check()
        chat.get_by_role("button", name="Save chat").click()
        expect(page.get_by_text(f"{n} waiting to sync")).to_be_visible()

    checkin = page.get_by_role("form", name="Peer mediation")
    _, offered = recently_offered(checkin, "Mediator")
    expect(offered).to_have_count(0)  # neither is a peer mediator

    go_offline(context, cable, False)
    chats = wait_for_chats(3)
    assert [sorted(p.id for p in c.pupils) for c in chats] == [sorted([amira5.id, bobby.id])] * 3
    expect(page.get_by_text("0 waiting to sync")).to_be_visible()
    sign_out(page)
    assert page.evaluate("() => window.localStorage.getItem('rrp-recent')") is None  # gone with the pupil list
    sign_in(page, cable, other)
    page.goto(cable.url + "/capture")
    assert wait_for_pupil_list(page, other.id) == other.id
    _, offered = recently_offered(page.get_by_role("form", name="Quick chat"), "Pupil")
    expect(offered).to_have_count(0)  # Pat's pupils are not offered to Kim
    assert_accessible(axe, page)


def test_change_keeps_the_chosen_pupil_until_another_is_tapped(cable, data_app, page, context, axe):
    """Change emptied the choice at once: tapped by mistake, or to look and then not change, the chat lost
    its pupil. Now the pupil stays chosen (and a screen reader hears so) until another is tapped; Keep or
    Escape closes the search; only Remove empties an optional pupil."""
    midday, amira3, _, bobby = whole_school_on_the_playground()
    capture_on_the_phone(page, cable, midday)
    go_offline(context, cable)
    chat = page.get_by_role("form", name="Quick chat")
    search = chat.get_by_role("searchbox", name="Pupil", exact=True)
    search.fill("amira")
    chat.get_by_role("button", name="Amira Khan (Year 3)").click()
    other = chat.get_by_role("searchbox", name="And another pupil (optional)")
    other.fill("bob")
    chat.get_by_role("button", name="Bobby Hale").click()

    chat.get_by_role("button", name="Change pupil: Amira Khan (Year 3)").click()
    expect(search).to_be_focused()
    expect(search).to_have_accessible_description("Amira Khan (Year 3) stays chosen until you choose another.")
    expect(chat.get_by_text("Amira Khan (Year 3)", exact=True)).to_be_visible()
    assert fits_the_phone(page)
    assert_accessible(axe, page)
    search.press("Escape")  # not changed after all
    expect(chat.get_by_role("button", name="Change pupil: Amira Khan (Year 3)")).to_be_focused()
    expect(search).to_be_hidden()

    chat.get_by_role("button", name="Change pupil: Amira Khan (Year 3)").click()
    chat.get_by_role("button", name="Keep pupil: Amira Khan (Year 3)").click()
    expect(chat.get_by_role("button", name="Change pupil: Amira Khan (Year 3)")).to_be_focused()

    chat.get_by_role("button", name="Change pupil: Amira Khan (Year 3)").click()
    search.fill("zz")  # looked, and went on without choosing anyone else
    chat.get_by_role("radio", name="Unkind words").check()
    chat.get_by_role("radio", name="Playground").check()
    chat.get_by_role("button", name="Save chat").click()
    expect(page.get_by_text("Quick chat · Amira Khan (Year 3) and Bobby Hale · Unkind words, Playground · waiting")
           ).to_be_visible()

    search.fill("amira")
    chat.get_by_role("button", name="Amira Khan (Year 3)").click()
    other.fill("bob")
    chat.get_by_role("button", name="Bobby Hale").click()
    chat.get_by_role("button", name="Remove the other pupil: Bobby Hale").click()  # an optional pupil, taken off
    expect(other).to_be_focused()
    expect(other).to_have_value("")
    expect(chat.get_by_role("button", name="Remove pupil: Amira Khan (Year 3)")).to_have_count(0)  # one is needed
    chat.get_by_role("radio", name="Unkind words").check()
    chat.get_by_role("radio", name="Playground").check()
    chat.get_by_role("button", name="Save chat").click()
    expect(page.get_by_text("Quick chat · Amira Khan (Year 3) · Unkind words, Playground · waiting")).to_be_visible()
    assert_accessible(axe, page)

    go_offline(context, cable, False)
    chats = wait_for_chats(2)
    assert sorted(sorted(p.id for p in c.pupils) for c in chats) == sorted([[amira3.id], sorted([amira3.id, bobby.id])])
