"""A checked roster package waits for its confirm in the database: any machine may take the confirm,
only the school that checked it may confirm it, and it never outlives its use."""
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from rrp_pwa import create_app
from rrp_pwa.extensions import db
from rrp_pwa.models import Pupil
from rrp_pwa.models.roster import utcnow
from rrp_pwa.models.sync import PendingImport
from rrp_pwa.sync.oneroster import import_roster
from rrp_pwa.sync.uploads import MAX_PACKAGE_BYTES, PENDING_FOR
from tests.conftest import AuthActions, make_school, make_staff
from tests.test_oneroster import package

SESSION_COOKIE = "rrp_session"


@pytest.fixture
def app_config(app_config, tmp_path):
    """Machine A: an instance folder of its own, as each app machine of the deployment has."""
    return {**app_config, "INSTANCE_PATH": str(tmp_path / "machine-a")}


@pytest.fixture
def second_machine(app_config, tmp_path):
    """Machine B: the same database and secret key, another instance folder (no shared volume)."""
    machine = create_app({**app_config, "INSTANCE_PATH": str(tmp_path / "machine-b")})
    yield machine
    with machine.app_context():
        db.session.remove()
        db.engine.dispose()


def check(client, name: str = "small_school"):
    """Upload a package to be checked; return the diff page and the token its confirm form carries."""
    response = client.post("/admin/sync/roster", data={"package": (io.BytesIO(package(name)), "roster.zip")},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    return page, page.split('name="upload" type="hidden" value="')[1].split('"')[0]


def confirm(client, token: str) -> str:
    return client.post("/admin/sync/roster/confirm", data={"upload": token}, follow_redirects=True).get_data(
        as_text=True)


def pupils() -> int:
    return db.session.scalar(select(func.count(Pupil.id)))


def waiting() -> int:
    return db.session.scalar(select(func.count(PendingImport.id)))


def backdate(by: timedelta) -> None:
    db.session.execute(update(PendingImport).values(checked_at=utcnow() - by))
    db.session.commit()


def test_checked_on_one_machine_and_confirmed_on_another_imports(client, auth, second_machine, tmp_path):
    """Before, the second machine answered "already been imported or has changed" and imported nothing."""
    auth.login(roles=("admin",))
    page, token = check(client)
    assert "4 added" in page and "Confirm within 60 minutes:" in page
    other_client = second_machine.test_client()  # the same browser, its next request balanced elsewhere
    other_client.set_cookie(SESSION_COOKIE, client.get_cookie(SESSION_COOKIE, domain="rrp.test").value,
                            domain="rrp.test")
    shown = confirm(other_client, token)
    assert "Roster imported: 15 changes." in shown
    assert pupils() == 4
    assert waiting() == 0
    assert not list(tmp_path.rglob("*.zip"))  # neither machine kept it on disk
    assert "already been imported" in confirm(client, token)
    assert pupils() == 4


def test_an_expired_package_is_refused_with_a_clear_message_and_deleted(client, auth):
    auth.login(roles=("admin",))
    _, token = check(client)
    backdate(PENDING_FOR + timedelta(minutes=1))
    shown = confirm(client, token)
    assert "That check has expired: a checked package is deleted after 60 minutes if it is not confirmed." in shown
    assert "Import the roster" in shown  # back on the upload form
    assert pupils() == 0
    assert waiting() == 0


def test_a_package_just_inside_its_hour_still_imports(client, auth):
    auth.login(roles=("admin",))
    _, token = check(client)
    backdate(PENDING_FOR - timedelta(minutes=1))
    assert "Roster imported" in confirm(client, token)
    assert pupils() == 4


def test_another_school_cannot_confirm_it(client, auth, app):
    oak, brook = make_school("Oak Academy"), make_school("Brook Primary")
    auth.login(roles=("admin",), school=oak)
    _, token = check(client)
    brook_client = app.test_client()
    AuthActions(brook_client).login(roles=("admin",), school=brook)
    shown = confirm(brook_client, token)
    assert "That package has already been imported or has changed." in shown
    assert pupils() == 0
    assert waiting() == 1  # still Oak's, untouched
    assert "Roster imported: 15 changes." in confirm(client, token)
    assert db.session.scalar(select(func.count(Pupil.id)).where(Pupil.school_id == oak.id)) == 4
    assert db.session.scalar(select(func.count(Pupil.id)).where(Pupil.school_id == brook.id)) == 0


def test_a_new_check_replaces_the_package_waiting(client, auth):
    auth.login(roles=("admin",))
    _, first = check(client)
    _, second = check(client)
    assert waiting() == 1
    assert "already been imported" in confirm(client, first)
    assert pupils() == 0
    assert "Roster imported" in confirm(client, second)


def test_a_package_changed_since_the_check_is_refused_and_deleted(client, auth):
    auth.login(roles=("admin",))
    _, token = check(client)
    db.session.execute(update(PendingImport).values(package=package("delta_tobedeleted")))
    db.session.commit()
    assert "That package has already been imported or has changed." in confirm(client, token)
    assert pupils() == 0
    assert waiting() == 0


def test_expired_packages_of_every_school_go_when_another_is_checked(client, auth, app):
    oak = make_school("Oak Academy")
    db.session.add(PendingImport(school_id=oak.id, token="oak-left-this-one-unconfirmed", digest="0" * 64,
                                 package=b"a whole roster", checked_at=utcnow() - PENDING_FOR - timedelta(seconds=1)))
    db.session.commit()
    auth.login(roles=("admin",), school=make_school("Brook Primary"))
    check(client)
    assert db.session.scalar(select(func.count(PendingImport.id)).where(PendingImport.school_id == oak.id)) == 0
    assert waiting() == 1  # Brook's, just checked


def test_the_webhook_worker_purges_expired_packages(client, auth, runner):
    auth.login(roles=("admin",))
    check(client)
    result = runner.invoke(args=["deliver-webhooks", "--once"])
    assert result.exit_code == 0, result.output
    assert waiting() == 1  # not yet expired
    backdate(PENDING_FOR + timedelta(seconds=1))
    result = runner.invoke(args=["deliver-webhooks", "--once"])
    assert result.exit_code == 0, result.output
    assert waiting() == 0


def test_a_package_that_changes_nothing_is_not_kept(client, auth):
    auth.login(roles=("admin",))
    _, token = check(client)
    confirm(client, token)
    response = client.post("/admin/sync/roster", data={"package": (io.BytesIO(package("small_school")), "r.zip")},
                           content_type="multipart/form-data")
    assert "Nothing to change" in response.get_data(as_text=True)
    assert waiting() == 0


@pytest.mark.app_config(MAX_CONTENT_LENGTH=MAX_PACKAGE_BYTES + 1024 * 1024)
def test_a_package_larger_than_the_bound_is_refused_and_not_kept(client, auth):
    auth.login(roles=("admin",))
    # encoded in memory: the test client's own on-disk encoding of a large body is never closed
    too_large = FileStorage(io.BytesIO(b"\0" * (MAX_PACKAGE_BYTES + 1)), "roster.zip")
    boundary, body = encode_multipart({"package": too_large})
    response = client.post("/admin/sync/roster", data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 400
    assert "Choose a package of at most 16 MB." in response.get_data(as_text=True)
    assert waiting() == 0


def test_packages_an_older_release_left_in_instance_are_deleted_at_start(app_config, tmp_path):
    folder = tmp_path / "old-machine" / "oneroster"
    folder.mkdir(parents=True)
    (folder / "1-Jx2kq9LpW3aZbYc8dEfGhIjK.zip").write_bytes(package("small_school"))
    machine = create_app({**app_config, "INSTANCE_PATH": str(tmp_path / "old-machine")})
    with machine.app_context():
        db.engine.dispose()
    assert not folder.exists()


def test_cancel_deletes_the_checked_package_and_imports_nothing(client, auth):
    auth.login(roles=("admin",))
    page, token = check(client)
    assert 'formaction="/admin/sync/roster/cancel"' in page
    cancelled = client.post("/admin/sync/roster/cancel", data={"upload": token}, follow_redirects=True)
    assert "Nothing was imported, and the checked package has been deleted." in cancelled.get_data(as_text=True)
    assert waiting() == 0 and pupils() == 0
    assert "already been imported" in confirm(client, token)


def hand_added_pupil(client) -> None:
    """Another admin adds Amira Khan by hand with her MIS id, the one the package gives her."""
    response = client.post("/admin/pupils/new", data={"given_name": "Amira", "family_name": "Khan",
                                                      "year_group": "Year 5", "external_id": "stu-1"})
    assert response.status_code == 302, response.get_data(as_text=True)


def test_a_roster_changed_after_the_check_is_refused_and_the_new_diff_shown(client, auth, second_machine):
    """Before, the confirm imported against the roster as it was at the confirm: the admin confirmed
    "4 added" and got 3 pupils added and one they had never seen matched up."""
    admin = auth.login(roles=("admin",))
    page, token = check(client)
    assert "4 added" in page
    other_admin = second_machine.test_client()
    AuthActions(other_admin).login(roles=("admin",), school=admin.school)
    hand_added_pupil(other_admin)
    response = client.post("/admin/sync/roster/confirm", data={"upload": token})
    shown = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "The roster changed after you checked this package" in shown
    assert "so nothing was\n    imported." in shown
    assert "3 added" in shown and "4 added" not in shown
    assert pupils() == 1  # only the one added by hand
    assert waiting() == 1  # the package still waits, for the diff shown now
    new_token = shown.split('name="upload" type="hidden" value="')[1].split('"')[0]
    assert "already been imported" in confirm(client, token)  # the old diff can't be confirmed
    assert "Roster imported: 14 changes." in confirm(client, new_token)
    assert pupils() == 4
    assert waiting() == 0


def test_a_roster_that_now_matches_the_package_is_refused_and_the_package_dropped(client, auth, runner, tmp_path):
    auth.login(roles=("admin",))
    _, token = check(client)
    path = tmp_path / "roster.zip"
    path.write_bytes(package("small_school"))
    result = runner.invoke(args=["import-oneroster", str(path)])  # another admin, from the command line
    assert result.exit_code == 0, result.output
    response = client.post("/admin/sync/roster/confirm", data={"upload": token})
    shown = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "The roster changed after you checked this package" in shown
    assert "Nothing to change: your roster already matches this package." in shown
    assert "Import these changes" not in shown
    assert waiting() == 0


def test_a_package_checked_without_a_diff_fingerprint_is_shown_again_not_imported(client, auth):
    """A package checked by the release before this one kept no fingerprint: its diff is shown again."""
    auth.login(roles=("admin",))
    _, token = check(client)
    db.session.execute(update(PendingImport).values(diff_digest=None))
    db.session.commit()
    response = client.post("/admin/sync/roster/confirm", data={"upload": token})
    assert response.status_code == 409
    assert "4 added" in response.get_data(as_text=True)
    assert pupils() == 0 and waiting() == 1


def test_a_roster_change_that_breaks_a_rule_is_named_at_the_confirm(client, auth):
    """Before, the confirm said "already been imported or has changed" and hid the reason."""
    auth.login(roles=("admin",))
    _, token = check(client)
    make_staff(make_school("Oak Academy"), ("teacher",), email="r.jones@brook.example")
    db.session.commit()
    response = client.post("/admin/sync/roster/confirm", data={"upload": token})
    shown = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "The roster changed after you checked that package, and it can no longer be imported" in shown
    assert ("users.csv, line 6, column email: &#39;r.jones@brook.example&#39; already signs in at another school."
            in shown)
    assert "Import the roster" in shown
    assert pupils() == 0 and waiting() == 0


def test_a_newer_check_that_changes_nothing_still_replaces_the_package_waiting(client, auth, runner, tmp_path):
    """Before, a package checked earlier (a whole roster) stayed waiting, and importable, after a newer check."""
    auth.login(roles=("admin",))
    path = tmp_path / "roster.zip"
    path.write_bytes(package("small_school"))
    assert runner.invoke(args=["import-oneroster", str(path)]).exit_code == 0
    _, earlier = check(client, "delta_tobedeleted")
    assert waiting() == 1
    response = client.post("/admin/sync/roster", data={"package": (io.BytesIO(package("small_school")), "r.zip")},
                           content_type="multipart/form-data")
    assert "Nothing to change" in response.get_data(as_text=True)
    assert waiting() == 0
    assert "already been imported" in confirm(client, earlier)
    assert db.session.scalar(select(func.count(Pupil.id)).where(Pupil.archived)) == 0


def go_back(client, token: str):
    """Tap Check the roster changes on the upload page's waiting import."""
    return client.post("/admin/sync/roster/waiting", data={"upload": token})


def test_the_upload_page_finds_the_checked_import_again(client, auth):
    """Before, leaving the diff and coming back to the import page showed only the empty upload form, though
    the checked package was still waiting for its confirm."""
    auth.login(roles=("admin",))
    _, token = check(client)
    backdate(timedelta(minutes=20))
    page = client.get("/admin/sync/roster").get_data(as_text=True)
    assert "A checked import is waiting" in page and f'value="{token}"' in page
    assert 'action="/admin/sync/roster/waiting"' in page and 'formaction="/admin/sync/roster/cancel"' in page
    back = go_back(client, token)
    shown = back.get_data(as_text=True)
    assert back.status_code == 200 and "4 added" in shown and f'value="{token}"' in shown
    assert "Confirm within 40 minutes:" in shown, "going back does not give the package more time"
    assert waiting() == 1
    assert "Roster imported: 15 changes." in confirm(client, token)
    assert pupils() == 4 and "A checked import is waiting" not in client.get("/admin/sync/roster").get_data(as_text=True)


def test_an_expired_or_cancelled_import_is_no_longer_offered(client, auth):
    auth.login(roles=("admin",))
    _, token = check(client)
    backdate(PENDING_FOR + timedelta(minutes=1))
    assert "A checked import is waiting" not in client.get("/admin/sync/roster").get_data(as_text=True)
    shown = client.post("/admin/sync/roster/waiting", data={"upload": token}, follow_redirects=True).get_data(
        as_text=True)
    assert "That checked package is no longer waiting" in shown and pupils() == 0
    _, token = check(client)
    client.post("/admin/sync/roster/cancel", data={"upload": token})
    assert "A checked import is waiting" not in client.get("/admin/sync/roster").get_data(as_text=True)
    assert go_back(client, token).status_code == 302


def test_a_roster_changed_since_the_check_is_checked_again(client, auth):
    """Another import made the same changes meanwhile: going back shows what importing it would do now."""
    admin = auth.login(roles=("admin",))
    _, token = check(client)
    import_roster(admin.school, package("small_school"), apply=True)
    db.session.commit()
    back = go_back(client, token)
    shown = back.get_data(as_text=True)
    assert back.status_code == 409 and "The roster changed after you checked this package" in shown
    assert "Nothing to change" in shown and waiting() == 0


def test_only_the_schools_admin_sees_and_reopens_its_waiting_import(client, auth, app):
    oak, brook = make_school("Oak Academy"), make_school("Brook Primary")
    auth.login(roles=("admin",), school=oak)
    _, token = check(client)
    brook_client = app.test_client()
    AuthActions(brook_client).login(roles=("admin",), school=brook)
    assert "A checked import is waiting" not in brook_client.get("/admin/sync/roster").get_data(as_text=True)
    assert go_back(brook_client, token).status_code == 302 and waiting() == 1
    for roles in (("pastoral",), ("dsl",), ("teacher",)):
        other = app.test_client()
        AuthActions(other).login(staff=make_staff(oak, roles, email=f"{roles[0]}@oak.example"))
        assert go_back(other, token).status_code == 403
    assert "4 added" in go_back(client, token).get_data(as_text=True)
