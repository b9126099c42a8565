"""The shell in real Chromium: sign-in on a phone, installability, the service worker and the
offline page, accessibility of every admin screen (light and dark, phone and tablet), and an
admin managing pupils and a group's members through the screens."""
import re

import pytest
from playwright.sync_api import expect

from rrp_pwa.extensions import db
from tests.conftest import PASSWORD, make_group, make_pupil, make_school, make_staff
from tests.e2e.conftest import (CHROMIUM, CHROMIUM_ARGS, PHONE, assert_accessible, go_offline, requests_sent,
                                wait_for_service_worker)

BIG_TABLET = {"width": 1024, "height": 1366}


def sign_in(page, base_url: str, email: str) -> None:
    page.goto(base_url + "/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name=re.compile(r"^Hello, ")).wait_for()


@pytest.fixture
def school(data_app):
    brook = make_school("Brook Primary")
    admin = make_staff(brook, ("admin",), email="head@brook.example", name="Mrs Okonjo")
    teacher = make_staff(brook, ("teacher",), email="teacher@brook.example", name="Mr Osei")
    pupils = [make_pupil(brook, given, family) for given, family in
              [("Amira", "Khan"), ("Oliver", "Smith"), ("Zainab", "Okafor"), ("Kacper", "Nowak")]]
    group = make_group(brook, "Year 5 Cedar", pupils=pupils[:3], staff=[teacher])
    db.session.commit()
    return {"admin": admin, "teacher": teacher, "pupils": pupils, "group": group}


def test_teacher_signs_in_on_a_phone_and_reaches_home(live_server, school, page, axe):
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=/$"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert_accessible(axe, page)
    page.get_by_label("Email").fill("teacher@brook.example")
    page.get_by_label("Password").fill("not my password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("don't match an active account")
    expect(page.get_by_label("Email")).to_have_value("teacher@brook.example")
    assert_accessible(axe, page)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Hello, Mr Osei")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("My groups"))).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(axe, page)
    page.get_by_role("link", name=re.compile("My groups")).click()
    page.get_by_role("link", name="Year 5 Cedar").click()
    expect(page.get_by_role("link", name="Amira Khan")).to_be_visible()
    assert_accessible(axe, page)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_installable_with_a_service_worker_and_an_offline_page(cable, school, playwright, tmp_path, axe):
    """Chrome reports installability only in a real (persistent) profile, never incognito."""
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
        viewport=PHONE)
    try:
        page = context.pages[0] if context.pages else context.new_page()
        sign_in(page, cable.url, "teacher@brook.example")
        wait_for_service_worker(page)
        cdp = context.new_cdp_session(page)
        errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
        assert errors == []
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["url"].endswith("/manifest.webmanifest") and not manifest["errors"]
        go_offline(context, cable)
        page.reload()
        expect(page.get_by_role("heading", name="You're offline")).to_be_visible()
        assert_accessible(axe, page)
        page.goto(cable.url + "/pupils")
        expect(page.get_by_role("heading", name="You're offline")).to_be_visible()
        expect(page.get_by_role("link", name="Record offline")).to_have_attribute("href", re.compile(r"/capture$"))
        go_offline(context, cable, False)
        page.get_by_role("link", name="Try again").click()  # the page that could not load, not Home
        expect(page.get_by_role("heading", name="Pupils", exact=True)).to_be_visible()
    finally:
        context.close()


ADMIN_SCREENS = [
    ("Hello, Mrs Okonjo", "/"),
    ("Staff", "/admin/staff"),
    ("Add a staff member", "/admin/staff/new"),
    ("Edit Mr Osei", "/admin/staff/{teacher}"),
    ("Pupils", "/pupils"),
    ("Pupils", "/pupils?q=am"),
    ("Add a pupil", "/admin/pupils/new"),
    ("Edit Amira Khan", "/admin/pupils/{pupil}/edit"),
    ("Amira Khan", "/pupils/{pupil}"),
    ("Groups", "/groups"),
    ("Year 5 Cedar", "/groups/{group}"),
    ("Add a group", "/admin/groups/new"),
    ("Edit Year 5 Cedar", "/admin/groups/{group}/edit"),
    ("Members of Year 5 Cedar", "/admin/groups/{group}/members"),
    ("Your account", "/account"),
]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [PHONE, BIG_TABLET], ids=["phone-360", "tablet-1024x1366"])
def test_every_admin_screen_is_accessible(live_server, school, page, axe, scheme, viewport):
    page.set_viewport_size(viewport)
    page.emulate_media(color_scheme=scheme)
    page.goto(live_server.url + "/sign-in")
    assert_accessible(axe, page)
    sign_in(page, live_server.url, "head@brook.example")
    ids = {"teacher": school["teacher"].id, "pupil": school["pupils"][0].id, "group": school["group"].id}
    for heading, url in ADMIN_SCREENS:
        page.goto(live_server.url + url.format(**ids))
        expect(page.get_by_role("heading", level=1, name=heading)).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], url
        assert_accessible(axe, page)
    page.goto(live_server.url + "/admin/pupils/new")
    page.get_by_role("button", name="Save pupil").click()
    expect(page.get_by_text("Enter the pupil's given name.")).to_be_visible()
    assert_accessible(axe, page)


def test_screens_fit_a_320_px_phone(live_server, school, page):
    page.set_viewport_size({"width": 320, "height": 640})
    sign_in(page, live_server.url, "head@brook.example")
    for url in ("/", "/pupils", f"/admin/groups/{school['group'].id}/members", "/admin/staff/new"):
        page.goto(live_server.url + url)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, url



def test_the_top_bar_links_sit_on_one_line(live_server, school, page):
    """Home, the signed-in person's name and Sign out line up in the top bar on a phone (the name, cut short
    with an ellipsis when long, sat 3 px higher than the others). Measured together, once the page has settled."""
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, "head@brook.example")
    page.wait_for_load_state("load")
    tops = page.evaluate("""() => {
        const nav = document.querySelector('nav[aria-label="Main"]');
        const home = [...nav.querySelectorAll('a')].find((a) => a.textContent.trim() === 'Home');
        const sign_out = [...nav.querySelectorAll('button')].find((b) => b.textContent.trim() === 'Sign out');
        return [home, nav.querySelector('.account-name'), sign_out].map((el) => el.getBoundingClientRect().top);
    }""")
    assert max(tops) - min(tops) < 1, f"top edges {tops}"


def test_touch_targets_are_at_least_44_px(live_server, school, page):
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, "head@brook.example")
    for url in ("/", "/pupils", f"/pupils/{school['pupils'][0].id}", f"/admin/groups/{school['group'].id}/members"):
        page.goto(live_server.url + url)
        small = page.evaluate("""() => [...document.querySelectorAll('a, button, input, select, label.check')]
            .filter((el) => el.offsetParent !== null && !el.closest('.skip-link') && el.type !== 'hidden')
            .filter((el) => !(el.matches('input[type=checkbox]') && el.closest('label.check')))
            .map((el) => [el.outerHTML.slice(0, 80), el.getBoundingClientRect().height])
            .filter(([, height]) => height < 44)""")
        assert small == [], url


def test_focus_is_visible(live_server, school, page):
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/sign-in")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"


def test_admin_manages_pupils_and_members_through_the_screens(live_server, school, page, axe):
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, "head@brook.example")

    page.get_by_role("link", name=re.compile("^Pupils")).click()
    page.get_by_role("link", name="Add a pupil").click()
    page.get_by_label("Given name").fill("Freya")
    page.get_by_label("Family name").fill("")
    page.get_by_label("Year group").fill("Year 5")
    page.get_by_role("button", name="Save pupil").click()
    expect(page.get_by_text("Enter the pupil's family name.")).to_be_visible()
    expect(page.get_by_label("Given name")).to_have_value("Freya")
    expect(page.get_by_label("Year group")).to_have_value("Year 5")
    page.get_by_label("Family name").fill("Jones")
    page.get_by_role("button", name="Save pupil").click()
    expect(page.get_by_role("heading", name="Freya Jones")).to_be_visible()
    expect(page.get_by_text("Freya Jones has been added.")).to_be_visible()

    page.get_by_role("link", name="Edit details").click()
    page.get_by_label("Preferred name").fill("Frey")
    page.get_by_label("Trained peer mediator").check()
    page.get_by_role("button", name="Save pupil").click()
    expect(page.get_by_role("heading", name="Frey Jones")).to_be_visible()
    expect(page.get_by_text("Peer mediator")).to_be_visible()

    page.get_by_role("link", name="Back to pupils").click()
    search = page.get_by_role("searchbox", name="Find a pupil by name")
    search.fill("fre")
    expect(page.locator("#pupil-results").get_by_role("link")).to_have_count(1)
    expect(page.get_by_role("link", name="Frey Jones")).to_be_visible()
    expect(search).to_be_focused()  # found in the page, not by loading it afresh
    expect(page).to_have_url(live_server.url + "/pupils?q=fre")  # the address follows the search

    page.goto(live_server.url + "/")
    page.get_by_role("link", name=re.compile("^Groups")).click()
    page.get_by_role("link", name="Add a group").click()
    page.get_by_label("Name").fill("Lunchtime peer mediators")
    page.get_by_label("Kind").select_option(label="Club")
    page.get_by_role("button", name="Save group").click()
    expect(page.get_by_role("heading", name="Members of Lunchtime peer mediators")).to_be_visible()
    page.get_by_label("Frey Jones").check()
    page.get_by_label("Amira Khan").check()
    page.get_by_label("Mr Osei").check()
    assert_accessible(axe, page)
    page.get_by_role("button", name="Save members").click()
    expect(page.get_by_text("Lunchtime peer mediators now has 2 pupils and 1 staff.")).to_be_visible()
    expect(page.get_by_role("heading", name="Pupils (2)")).to_be_visible()
    expect(page.get_by_role("link", name="Frey Jones")).to_be_visible()

    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Name").fill("Peer mediators")
    page.get_by_role("button", name="Save group").click()
    expect(page.get_by_role("heading", name="Peer mediators", exact=True)).to_be_visible()


@pytest.mark.parametrize("scripts", [True, False], ids=["scripts", "no-scripts"])
def test_enter_in_the_pupils_search_asks_once_and_the_address_keeps_the_search(live_server, school, new_device, axe,
                                                                                scripts):
    """Enter in the Pupils list's search sends one search. With scripts it sent two: htmx's search and the form's
    own Search, which loaded the page afresh (the focus leaving the search). Now the matches come into the page and
    the focus stays in the search; the address shows the search, as it does without scripts, so that reloading it,
    or coming Back to it from a pupil, shows the same pupils."""
    page = new_device(viewport=PHONE, java_script_enabled=scripts).new_page()
    sign_in(page, live_server.url, "teacher@brook.example")
    page.goto(live_server.url + "/pupils")
    search = page.get_by_role("searchbox", name="Find a pupil by name")
    oliver, amira = (page.get_by_role("link", name=name) for name in ("Oliver Smith", "Amira Khan"))
    search.fill("oli")
    if scripts:  # the matches come as the letters are typed: that search is answered before Enter is pressed
        expect(amira).to_have_count(0)
    with requests_sent(page) as sent:  # both used to go at once
        search.press("Enter")
        expect(page).to_have_url(live_server.url + "/pupils?q=oli")
    assert sent == ["/pupils"]
    expect(oliver).to_be_visible()
    expect(amira).to_have_count(0)
    if scripts:
        expect(search).to_be_focused()
        assert_accessible(axe, page)
        # the address changed without htmx keeping a copy of the pupils listed in the tab (hx-history="false")
        assert page.evaluate("() => sessionStorage.getItem('htmx-history-cache')") is None
    oliver.click()
    expect(page.get_by_role("heading", name="Oliver Smith")).to_be_visible()
    for come_back in (page.go_back, page.reload):
        come_back()
        expect(page).to_have_url(live_server.url + "/pupils?q=oli")
        expect(search).to_have_value("oli")
        expect(oliver).to_be_visible()
        expect(amira).to_have_count(0)


def test_include_archived_pupils_shows_them_as_soon_as_it_is_ticked(live_server, school, page, axe):
    """An admin looking for a pupil who has left ticks Include archived pupils: the list used to stay as it
    was until Search was pressed again. Now ticking (and unticking) it searches again at once."""
    school["pupils"][3].archived = True  # Kacper Nowak has left
    db.session.commit()
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, "head@brook.example")
    page.goto(live_server.url + "/pupils")
    search = page.get_by_role("searchbox", name="Find a pupil by name")
    search.fill("no")
    kacper = page.get_by_role("link", name="Kacper Nowak")
    expect(page.get_by_text("No pupils match")).to_be_visible()
    archived = page.get_by_label("Include archived pupils")
    archived.check()
    expect(kacper).to_be_visible()
    expect(page).to_have_url(live_server.url + "/pupils?q=no&archived=1")
    assert_accessible(axe, page)
    archived.uncheck()
    expect(kacper).to_have_count(0)
    expect(page).to_have_url(live_server.url + "/pupils?q=no")


def test_admin_deactivates_staff_after_confirming(live_server, school, page):
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, "head@brook.example")
    page.goto(live_server.url + f"/admin/staff/{school['teacher'].id}")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Deactivate Mr Osei").click()
    expect(page.get_by_role("heading", name="Edit Mr Osei")).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Deactivate Mr Osei").click()
    expect(page.get_by_text("Mr Osei has been deactivated and signed out.")).to_be_visible()


def test_live_search_after_the_session_ends_leads_to_sign_in(live_server, school, page, context):
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, "head@brook.example")
    page.goto(live_server.url + "/pupils")
    context.clear_cookies()
    page.get_by_role("searchbox", name="Find a pupil by name").fill("ami")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/sign-in\?next=/pupils$"))
    page.get_by_label("Email").fill("head@brook.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Pupils", exact=True)).to_be_visible()


def test_live_search_without_a_connection_says_so(cable, school, page, context, axe):
    page.set_viewport_size(PHONE)
    sign_in(page, cable.url, "head@brook.example")
    page.goto(cable.url + "/pupils")
    go_offline(context, cable)
    page.get_by_role("searchbox", name="Find a pupil by name").fill("ami")
    expect(page.get_by_text("No connection just now.")).to_be_visible()
    assert_accessible(axe, page)
    go_offline(context, cable, False)
    page.get_by_role("searchbox", name="Find a pupil by name").fill("amir")
    expect(page.get_by_role("link", name="Amira Khan")).to_be_visible()
    expect(page.get_by_text("No connection just now.")).to_have_count(0)


def test_a_name_typed_before_the_page_has_finished_loading_is_searched_for(live_server, school, new_device):
    """On a slow tablet a midday assistant starts typing as soon as the box shows: the search must not
    depend on the page's script having started first."""
    page = new_device(viewport=PHONE, service_workers="block").new_page()  # every script from the network
    sign_in(page, live_server.url, "head@brook.example")
    held = []
    page.route(re.compile(r"/static/vendor/htmx-2\.0\.11\.min\.js"), lambda route: held.append(route))
    page.goto(live_server.url + "/pupils", wait_until="commit")
    search = page.get_by_role("searchbox", name="Find a pupil by name")
    search.fill("zai")  # htmx has not even arrived yet
    assert page.evaluate("typeof window.htmx") == "undefined"
    held[0].continue_()
    expect(page.get_by_role("link", name="Zainab Okafor")).to_be_visible()
    expect(page.get_by_role("link", name="Amira Khan")).to_have_count(0)
