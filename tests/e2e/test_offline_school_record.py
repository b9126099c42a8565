"""The admin's school record screens in Chromium: import a roster (upload, diff, confirm), make an
API token and a webhook endpoint, export records. axe-core on every screen."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from rrp_pwa.extensions import db
from rrp_pwa.models import Pupil
from tests.conftest import make_pupil, make_school, make_staff
from tests.e2e.conftest import PHONE, TABLET, assert_accessible
from tests.e2e.test_offline_capture import sign_in
from tests.test_oneroster import edited, package, with_enrolments_not_kept


def upload_package(page, live_server, admin, viewport, name: str) -> None:
    """``admin``, at ``viewport``, uploads the fixture package ``name`` and taps Check the package."""
    page.set_viewport_size(viewport)
    sign_in(page, live_server, admin)
    page.goto(live_server.url + "/admin/sync/roster")
    page.get_by_label("OneRoster package (ZIP)").set_input_files(
        files=[{"name": "roster.zip", "mimeType": "application/zip", "buffer": package(name)}])
    page.get_by_role("button", name="Check the package").click()


def package_checked(page, live_server, admin, viewport):
    """``admin``, at ``viewport``, has uploaded the small school's package and sees the changes to confirm."""
    upload_package(page, live_server, admin, viewport, "small_school")
    expect(page.get_by_role("heading", name="Check the roster changes")).to_be_visible()


def test_admin_imports_a_roster_after_checking_the_diff(live_server, data_app, page, axe):
    admin = make_staff(make_school(), ("admin",), name="Ada Admin")
    db.session.commit()
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, admin)
    page.get_by_role("link", name="School record sync").click()
    expect(page.get_by_role("heading", name="School record sync")).to_be_visible()
    assert_accessible(axe, page)
    page.get_by_role("link", name="Import the roster").click()
    assert_accessible(axe, page)
    page.get_by_label("OneRoster package (ZIP)").set_input_files(
        files=[{"name": "unknown.zip", "mimeType": "application/zip", "buffer": package("unknown_user")}])
    page.get_by_role("button", name="Check the package").click()
    expect(page.get_by_text("enrollments.csv, line 8, column userSourcedId")).to_be_visible()
    assert_accessible(axe, page)
    page.get_by_label("OneRoster package (ZIP)").set_input_files(
        files=[{"name": "roster.zip", "mimeType": "application/zip", "buffer": package("small_school")}])
    page.get_by_role("button", name="Check the package").click()
    expect(page.get_by_role("heading", name="Check the roster changes")).to_be_visible()
    expect(page.get_by_text("4 added")).to_be_visible()
    assert_accessible(axe, page)
    assert db.session.scalar(select(func.count(Pupil.id))) == 0
    page.get_by_role("button", name="Import these changes").click()
    expect(page.get_by_text("Roster imported: 15 changes.")).to_be_visible()
    assert db.session.scalar(select(func.count(Pupil.id))) == 4


@pytest.mark.parametrize("viewport", [PHONE, TABLET], ids=["phone-360", "tablet"])
def test_the_checked_import_is_found_again_after_leaving_it(live_server, data_app, page, axe, viewport):
    """Ada checks a package, goes off to the hub, and comes back to Import the roster: the import she checked
    is still waiting there, and takes her back to its changes to confirm them."""
    admin = make_staff(make_school(), ("admin",), name="Ada Admin")
    db.session.commit()
    package_checked(page, live_server, admin, viewport)
    page.goto(live_server.url + "/admin/sync")
    page.get_by_role("link", name="Import the roster").click()

    waiting = page.get_by_role("region", name="A checked import is waiting")
    expect(waiting).to_contain_text("have not imported it yet")
    expect(page.get_by_label("OneRoster package (ZIP)")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert_accessible(axe, page)
    waiting.get_by_role("button", name="Check the roster changes").click()
    expect(page.get_by_role("heading", name="Check the roster changes")).to_be_visible()
    expect(page.get_by_text("4 added")).to_be_visible()
    assert_accessible(axe, page)
    page.get_by_role("button", name="Import these changes").click()
    expect(page.get_by_text("Roster imported: 15 changes.")).to_be_visible()
    assert db.session.scalar(select(func.count(Pupil.id))) == 4
    page.goto(live_server.url + "/admin/sync/roster")
    expect(page.get_by_role("heading", name="Import the roster")).to_be_visible()
    expect(page.get_by_role("region", name="A checked import is waiting")).to_have_count(0)


def test_a_roster_changed_after_the_check_is_not_imported_until_the_new_diff_is_confirmed(
        live_server, data_app, page, new_device, axe):
    """Ada checks a package on her phone; meanwhile Bea adds a pupil by hand on a tablet with the MIS id
    the package gives her. Ada's confirm imports nothing and shows her the diff as it is now."""
    school = make_school()
    ada = make_staff(school, ("admin",), name="Ada Admin")
    bea = make_staff(school, ("admin",), name="Bea Admin")
    db.session.commit()
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, ada)
    page.goto(live_server.url + "/admin/sync/roster")
    page.get_by_label("OneRoster package (ZIP)").set_input_files(
        files=[{"name": "roster.zip", "mimeType": "application/zip", "buffer": with_enrolments_not_kept()}])
    page.get_by_role("button", name="Check the package").click()
    expect(page.get_by_role("heading", name="Check the roster changes")).to_be_visible()
    expect(page.get_by_text("4 added")).to_be_visible()
    expect(page.get_by_role("heading", name="Not imported")).to_be_visible()
    expect(page.get_by_text("5 enrolments in the package are not imported.")).to_be_visible()
    parent = page.get_by_text("enrollments.csv, line 8, column userSourcedId: 'par-1' is not a pupil")
    expect(parent).to_be_hidden()  # collapsed on a phone: the count says enough until asked
    page.get_by_text("Show each enrolment not imported").click()
    expect(parent).to_be_visible()
    expect(page.get_by_text("2 users in the package are not imported.")).to_be_visible()
    page.get_by_text("Show each user not imported").click()
    users = page.get_by_role("list", name="Users not imported")
    expect(users.get_by_role("listitem")).to_have_text([
        "users.csv, line 9, column sourcedId: 'par-1' is not a pupil or member of staff (role: parent), so is not "
        "imported.",
        "users.csv, line 10, column enabledUser: 'stu-5' is disabled in your MIS (enabledUser false), so is not added."])
    expect(page.get_by_text("Kamal")).to_have_count(0)  # the parent goes by sourcedId and role, not by name
    assert_accessible(axe, page)

    tablet = new_device(viewport=TABLET).new_page()
    sign_in(tablet, live_server, bea)
    tablet.goto(live_server.url + "/admin/pupils/new")
    tablet.get_by_label("Given name").fill("Amira")
    tablet.get_by_label("Family name").fill("Khan")
    tablet.get_by_label("Year group").fill("Year 5")
    tablet.get_by_label("MIS id").fill("stu-1")
    tablet.get_by_role("button", name="Save pupil").click()
    expect(tablet.get_by_text("Amira Khan has been added.")).to_be_visible()

    page.get_by_role("button", name="Import these changes").click()
    expect(page.get_by_role("alert")).to_contain_text("The roster changed after you checked this package")
    expect(page.get_by_role("heading", name="Check the roster changes")).to_be_visible()
    pupils = page.locator("section").filter(has=page.get_by_role("heading", name="Pupils", exact=True))
    expect(pupils.get_by_text("3 added")).to_be_visible()
    assert_accessible(axe, page)
    assert db.session.scalar(select(func.count(Pupil.id))) == 1  # only Bea's
    page.get_by_role("button", name="Import these changes").click()
    expect(page.get_by_text("Roster imported: 14 changes.")).to_be_visible()
    assert db.session.scalar(select(func.count(Pupil.id))) == 4


def test_a_long_list_of_problems_scrolls_from_the_keyboard(live_server, data_app, page, axe):
    """Before, 40 problems on a phone made a scrolling list that a keyboard could not reach (axe:
    scrollable-region-focusable)."""
    admin = make_staff(make_school(), ("admin",), name="Ada Admin")
    db.session.commit()
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, admin)
    page.goto(live_server.url + "/admin/sync/roster")
    bad_emails = edited(users=lambda text: text + "".join(
        f"tea-{n},,2026-09-01T08:00:00Z,true,t{n},,Teacher,Number {n},,,not-an-email-{n},,,,,,,,,,,org-brook,\n"
        for n in range(10, 50)))
    page.get_by_label("OneRoster package (ZIP)").set_input_files(
        files=[{"name": "roster.zip", "mimeType": "application/zip", "buffer": bad_emails}])
    page.get_by_role("button", name="Check the package").click()
    problems = page.get_by_role("list", name="Problems in the package")
    expect(problems.get_by_role("listitem")).to_have_count(40)
    problems.focus()
    expect(problems).to_be_focused()
    assert_accessible(axe, page)


def test_admin_makes_a_token_and_a_webhook_and_exports(live_server, data_app, page, axe):
    admin = make_staff(make_school(), ("admin",), name="Ada Admin")
    db.session.commit()
    page.set_viewport_size(TABLET)
    sign_in(page, live_server, admin)
    page.goto(live_server.url + "/admin/sync/tokens")
    page.get_by_label("What the token is for").fill("Arbor connector")
    page.get_by_role("button", name="Create a token").click()
    expect(page.get_by_role("heading", name="Copy your new token now")).to_be_visible()
    assert_accessible(axe, page)
    page.goto(live_server.url + "/admin/sync/webhooks")
    page.get_by_label("Endpoint URL").fill("https://connector.example/rrp")
    page.get_by_role("button", name="Add the endpoint").click()
    expect(page.get_by_role("heading", name="Copy the signing secret now")).to_be_visible()
    assert_accessible(axe, page)
    page.get_by_role("link", name="https://connector.example/rrp").click()
    expect(page.get_by_role("heading", name="Delivery log")).to_be_visible()
    assert_accessible(axe, page)
    page.goto(live_server.url + "/admin/sync/export")
    assert_accessible(axe, page)
    page.get_by_label("From").fill("2026-09-01")
    page.get_by_label("To").fill("2026-12-31")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    assert download.value.suggested_filename == "records-2026-09-01-to-2026-12-31.csv"


def test_a_confirm_while_another_import_holds_the_roster_is_refused_and_says_why(live_server, data_app, page, axe):
    """Another import (the command line, say) holds the school's roster for longer than a confirm waits:
    the confirm imports nothing and says so, never a server error."""
    from rrp_pwa.sync.oneroster import lock_roster

    school = make_school()
    admin = make_staff(school, ("admin",), name="Ada Admin")
    db.session.commit()
    package_checked(page, live_server, admin, PHONE)
    lock_roster(school.id)  # held by this test's session until it rolls back
    try:
        page.get_by_role("button", name="Import these changes").click()
        expect(page.get_by_text("Another import was changing the roster while you were looking, so nothing was "
                                "imported.")).to_be_visible(timeout=40_000)
    finally:
        db.session.rollback()
    expect(page.get_by_role("heading", name="Import the roster")).to_be_visible()
    assert_accessible(axe, page)
    assert db.session.scalar(select(func.count(Pupil.id))) == 0


def test_the_warning_of_pupils_to_be_archived_does_not_take_the_focus(live_server, data_app, page, axe):
    """A package that leaves out a pupil the school has (a leaver), checked, then found again waiting: the check
    says they will be archived, in a box that looks like a form's problem but is not one to put right, so the focus
    is not moved to it, past the list of changes the admin came to check (found in review; static/js/app.js
    places the focus on the page that comes after a form sent without htmx)."""
    school = make_school()
    admin = make_staff(school, ("admin",), name="Ada Admin")
    make_pupil(school, "Lee", "Leaver", external_id="stu-99")
    db.session.commit()
    package_checked(page, live_server, admin, PHONE)
    page.goto(live_server.url + "/admin/sync/roster")
    page.get_by_role("region", name="A checked import is waiting").get_by_role(
        "button", name="Check the roster changes").click()  # a plain form: a new page
    expect(page.get_by_text("1 pupil will be archived")).to_be_visible()
    page.wait_for_load_state("load")
    assert page.evaluate("document.activeElement.closest('.form-errors') === null"), "the focus is not on the warning"
    assert_accessible(axe, page)


@pytest.mark.parametrize("viewport", [PHONE, TABLET], ids=["phone-360", "tablet"])
def test_after_a_package_is_checked_the_focus_is_on_what_the_check_says(live_server, data_app, page, axe, viewport):
    """The upload is sent through htmx, which swaps the page's main part in: the focus was left on <body>, at the
    top of the page, after both a refused package and a valid one (QA): a keyboard or screen reader user had to
    hunt for the answer. A refused package puts the focus on its problems, a valid one on the changes' heading."""
    admin = make_staff(make_school(), ("admin",), name="Ada Admin")
    db.session.commit()
    upload_package(page, live_server, admin, viewport, "missing_column")
    problems = page.get_by_role("alert").filter(has_text="Nothing was imported.")
    expect(problems).to_contain_text("users.csv, line 1, column familyName: This required column is missing.")
    expect(problems).to_be_focused()
    assert_accessible(axe, page)
    page.get_by_label("OneRoster package (ZIP)").set_input_files(
        files=[{"name": "roster.zip", "mimeType": "application/zip", "buffer": package("small_school")}])
    page.get_by_role("button", name="Check the package").click()
    expect(page.get_by_role("heading", level=1, name="Check the roster changes")).to_be_focused()
    assert_accessible(axe, page)


@pytest.mark.parametrize("school_name, extra_org, warning", [
    ("Oakfield Primary School", "", "it is for Brook Primary (URN100001), and this is Oakfield Primary School."),
    ("Brook Primary", "org-cedar,,2026-09-01T08:00:00Z,Cedar Academy Multi-Academy Trust School,school,URN100002,\n",
     "it is for Brook Primary (URN100001), Cedar Academy Multi-Academy Trust School (URN100002), not only Brook"),
], ids=["another-school", "two-schools"])
def test_the_diff_warns_of_another_schools_package_on_a_phone(live_server, data_app, page, axe, school_name,
                                                               extra_org, warning):
    """The diff's warning that the package is (also) another school's, on a 360 px phone: read, not cut off."""
    admin = make_staff(make_school(school_name), ("admin",), name="Ada Admin")
    db.session.commit()
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, admin)
    page.goto(live_server.url + "/admin/sync/roster")
    page.get_by_label("OneRoster package (ZIP)").set_input_files(files=[{
        "name": "roster.zip", "mimeType": "application/zip", "buffer": edited(orgs=lambda text: text + extra_org)}])
    page.get_by_role("button", name="Check the package").click()
    expect(page.get_by_role("heading", level=1, name="Check the roster changes")).to_be_focused()
    expect(page.get_by_text("Check this is your school's package")).to_contain_text(warning)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(axe, page)
