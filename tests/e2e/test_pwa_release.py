"""A new release in real Chromium: the first page a phone opens after a deploy runs the new
release's scripts, though its service worker still holds the old ones; the old shell cache goes
once the new worker takes over; and Record offline, kept on the phone before the deploy, still
works with no signal after it."""
import re
import shutil
from unittest import mock

import pytest
from playwright.sync_api import expect

from rrp_pwa.extensions import db
from tests import servers
from tests.conftest import PASSWORD, make_group, make_pupil, make_school, make_staff
from tests.e2e.conftest import (CHROMIUM, CHROMIUM_ARGS, PHONE, assert_accessible, go_offline, wait_for_service_worker,
                                wait_until)
from tests.e2e.test_offline_capture import offers

RELEASED = ("rrp_pwa", "templates", "static", "migrations", "wsgi.py")
# What release 2 changes: app.js says so on every page (release 1's does not), and the outbox's
# script changes too (as any release may change it).
RELEASE_2 = {
    "js/app.js": """
document.addEventListener("DOMContentLoaded", function () {
  var note = document.createElement("p");
  note.textContent = "Release 2 is running.";
  document.getElementById("main").prepend(note);
});
""",
    "js/outbox.js": "\n// release 2\n",
}


class Deployment:
    """The app as a school's server runs it: its own copy of the code, served by gunicorn behind one
    address (a cable), so that a deploy replaces the server and the phone keeps its service worker."""

    def __init__(self, database_uri: str, tmp) -> None:
        self.database_uri, self.tmp = database_uri, tmp
        self.root = tmp / "app"
        for name in RELEASED:
            source = servers.ROOT / name
            if source.is_dir():
                shutil.copytree(source, self.root / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(source, self.root / name)
        self.server = self._serve()
        self.cable = servers.Cable(self.server.port)
        self.url = self.cable.url

    def _serve(self) -> servers.LiveServer:
        with mock.patch.object(servers, "ROOT", self.root):
            return servers.LiveServer(self.database_uri, self.tmp, access_log=True)

    def deploy(self, additions: dict[str, str]) -> None:
        """A new release: the server stops, static files change, a new server answers at the same address."""
        self.server.stop()
        for static_file, added in additions.items():
            path = self.root / "static" / static_file
            path.write_text(path.read_text() + added)
        self.server = self._serve()
        self.cable.server_port = self.server.port

    def close(self) -> None:
        self.cable.close()
        self.server.stop()


@pytest.fixture
def deployment(_schema, tmp_path):
    running = Deployment(_schema, tmp_path)
    yield running
    running.close()


@pytest.fixture
def phone(playwright, tmp_path):
    """A phone's browser with a profile of its own, where a service worker stays installed."""
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, viewport=PHONE)
    yield context
    context.close()


def shell_caches(page) -> list[str]:
    return page.evaluate("() => caches.keys().then((keys) => keys.filter((k) => k.startsWith('rrp-shell-')))")


def wait_for_new_shell(page, old: list[str]) -> None:
    """The new release's worker has installed, taken over and deleted the old release's shell."""
    wait_until(page, """(old) => caches.keys().then((keys) => {
        const shell = keys.filter((k) => k.startsWith('rrp-shell-'));
        return shell.length === 1 && !old.includes(shell[0]);
    })""", old)


def test_the_first_page_after_a_deploy_runs_the_new_release(deployment, phone, axe):
    page = phone.pages[0] if phone.pages else phone.new_page()
    page.goto(deployment.url + "/sign-in")
    wait_for_service_worker(page)
    release_1 = shell_caches(page)
    assert len(release_1) == 1
    expect(page.get_by_text("Release 2 is running.")).to_have_count(0)

    deployment.deploy(RELEASE_2)
    page.goto(deployment.url + "/sign-in")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_text("Release 2 is running.")).to_be_visible()
    assert_accessible(axe, page)

    wait_for_new_shell(page, release_1)
    page.reload()
    expect(page.get_by_text("Release 2 is running.")).to_be_visible()


def test_record_offline_kept_before_a_deploy_works_with_no_signal_after_it(deployment, data_app, phone, axe):
    school = make_school()
    teacher = make_staff(school, ("teacher",), name="Sam Teacher")
    make_group(school, pupils=[make_pupil(school, "Amira", "Khan")], staff=[teacher])
    db.session.commit()
    page = phone.pages[0] if phone.pages else phone.new_page()
    page.goto(deployment.url + "/sign-in")
    page.get_by_label("Email").fill(teacher.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Hello, Sam Teacher")).to_be_visible()
    wait_for_service_worker(page)
    page.goto(deployment.url + "/capture")
    chat = page.get_by_role("form", name="Quick chat")
    offers(chat, "offered", "Amira Khan")
    wait_until(page, "() => caches.open('rrp-capture').then((cache) => cache.match('/capture')).then(Boolean)")
    release_1 = shell_caches(page)

    deployment.deploy(RELEASE_2)
    page.goto(deployment.url + "/")
    expect(page.get_by_role("heading", name=re.compile("^Hello, "))).to_be_visible()
    wait_for_new_shell(page, release_1)

    go_offline(phone, deployment.cable)
    page.goto(deployment.url + "/capture")
    expect(page.get_by_role("heading", name="Record offline")).to_be_visible()
    offers(chat, "offered", "Amira Khan")  # typing her name finds her, from the list kept on the phone
    expect(page.get_by_text("Release 2 is running.")).to_be_visible()
    assert_accessible(axe, page)
