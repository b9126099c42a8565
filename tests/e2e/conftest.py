"""Browser tests: a real gunicorn (gevent worker) on a free 127.0.0.1 port, driven by Playwright
in Debian's Chromium. No browser is ever downloaded; a missing /usr/bin/chromium fails loudly."""
import os
import time
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from rrp_pwa import create_app
from rrp_pwa.extensions import db
from tests.conftest import empty_tables, make_group, make_pupil, make_school, make_staff
from tests.servers import Cable, LiveServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# Patience, not leniency: on a busy 2-core CI machine a live update can take a few seconds.
expect.set_options(timeout=15_000)
PHONE = {"width": 360, "height": 740}
TABLET = {"width": 800, "height": 1280}


def scripts_held(context) -> None:
    """Mark a device whose page scripts the test holds back (``context.route``): its taps are meant to come
    before them, so a dialog listener there does not wait for them (below)."""
    context.rrp_scripts_held = True


def _waits_for_the_page_scripts(listen):
    """A test about to tap a button that asks first listens for its dialog; it then waits, as a person does,
    for the page's deferred scripts - which ask the question - to have run (DOMContentLoaded): a tap in the
    moment before them is answered by the server's own asking page instead (rrp_pwa/asking.py), and that is
    tested on its own, with the scripts held back (``scripts_held``). Playwright's click waits for a page it
    opens to commit, not for its scripts."""
    def listener(self, event, handler):
        if event == "dialog" and not getattr(self.context, "rrp_scripts_held", False):
            self.wait_for_load_state("domcontentloaded")
        return listen(self, event, handler)
    return listener


Page.on = _waits_for_the_page_scripts(Page.on)
Page.once = _waits_for_the_page_scripts(Page.once)


def pytest_collection_modifyitems(items):
    if not os.path.exists(CHROMIUM):
        pytest.exit(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) "
                    "to run the browser tests.", returncode=3)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def live_server(_schema, tmp_path_factory):
    server = LiveServer(_schema, tmp_path_factory.mktemp("live"), access_log=True)
    yield server
    server.stop()


SERVER_LOG_START = pytest.StashKey[int]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test's report shows what its server received and answered meanwhile
    (a flaky failure on CI can then be read, not guessed at)."""
    report = yield
    server = item.funcargs.get("live_server") if hasattr(item, "funcargs") else None
    if server is not None:
        if report.when == "setup":
            item.stash[SERVER_LOG_START] = server.log_size()
        elif report.when == "call" and report.failed:
            report.sections.append(("the live server's log during this test",
                                    server.log_since(item.stash.get(SERVER_LOG_START, 0))))
    return report


@pytest.fixture
def new_device(browser):
    """Open another device: a browser context of its own, as a separate tablet or phone. Every one
    is closed when the test ends, passed or failed, so none goes on polling or streaming from the
    server through the tests that follow (seen: a check-in station's list still polled minutes on)."""
    contexts = []

    def open_device(**options):
        context = browser.new_context(**options)
        contexts.append(context)
        return context

    yield open_device
    for context in contexts:
        context.close()


@pytest.fixture
def cable(live_server):
    """The live server through a cable that go_offline() cuts; a test that goes offline browses
    to cable.url."""
    link = Cable(live_server.port)
    yield link
    link.close()


@pytest.fixture
def data_app(_schema):
    """An app context on the live server's database, for setting up and checking rows."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": _schema, "SECRET_KEY": "e2e-secret"})
    with app.app_context():
        empty_tables()
        yield app
        db.session.remove()
        empty_tables()
        db.engine.dispose()


@pytest.fixture(scope="session")
def axe() -> Axe:
    return Axe()


def assert_accessible(axe: Axe, page) -> None:
    """axe-core finds zero violations on the screen as the person sees it once it has settled: a
    message still fading in (0.2 s) is judged at its full colours, not half-transparent (seen: a
    colour-contrast failure on a busy machine, axe having run mid-animation). Endless animations (a
    busy button's spinner) are not waited for."""
    page.wait_for_function("""() => document.getAnimations().every((animation) =>
        animation.playState !== "running" || animation.effect.getComputedTiming().iterations === Infinity)""")
    results = axe.run(page)
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"


def go_offline(context, cable: Cable, offline: bool = True) -> None:
    """No signal, as on a phone in the playground. The browser is told (navigator.onLine, the
    offline event) and the cable is cut, so nothing reaches the server, not even a request that
    slips past Chromium's offline emulation. Back in signal, the cable is mended first, so what the
    online event sends gets through."""
    if offline:
        cable.cut()
        context.set_offline(True)
    else:
        cable.mend()
        context.set_offline(False)


def wait_for_service_worker(page, timeout_ms: int = 15000) -> None:
    """The service worker is installed and active, and controls this page.

    It controls every page loaded once it is active (and claims open ones), but a page that was
    still loading as it activated can be left uncontrolled: seen on a loaded machine, in a fresh
    profile, with the worker active and the page after sign-in's redirect never claimed (the
    test used to wait 15 s in vain). Such a page is loaded again, as a person reopening the app
    would. Predicates are functions: Playwright re-evaluates a bare expression with eval on every
    poll, which the app's CSP refuses.
    """
    active = page.evaluate("""(ms) => Promise.race([
        navigator.serviceWorker.ready.then(() => true),
        new Promise((resolve) => setTimeout(() => resolve(false), ms))])""", timeout_ms)
    assert active, "the service worker did not install and activate"
    if not page.evaluate("() => navigator.serviceWorker.controller !== null"):
        page.reload()
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=timeout_ms)


def sign_out(page) -> None:
    """Tap Sign out and wait for the sign-in page, as a person handing the device on does. Where the
    device holds a pupil list, the page first forgets it and only then signs out."""
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def wait_until(page, predicate: str, arg=None, timeout_s: float = 15.0):
    """Poll an asynchronous predicate (a function returning a promise) until it is true; Playwright's
    wait_for_function takes any promise for true, and a bare expression would need eval, which the
    app's CSP refuses."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(predicate, arg):
        assert time.monotonic() < deadline, f"still false after {timeout_s} s: {predicate}"
        time.sleep(0.25)


@contextmanager
def requests_sent(page, settle_ms: int = 500):
    """The paths the page asks the server for (its static files aside) inside the block and for
    ``settle_ms`` after it: time for a second request, had one key or tap sent two at once."""
    sent = []

    def note(request):
        path = urlsplit(request.url).path
        if not path.startswith("/static/"):
            sent.append(path)
    page.on("request", note)
    try:
        yield sent
        page.wait_for_timeout(settle_ms)
    finally:
        page.remove_listener("request", note)


@pytest.fixture
def cedar_class(data_app):
    """Brook Primary's Year 5 Cedar (Amira Smith, Ben Jones and Chloe Patel) and their keeper, Ms Keeper."""
    school = make_school()
    keeper = make_staff(school, roles=("teacher",), email="keeper@brook.example", name="Ms Keeper")
    pupils = [make_pupil(school, given=given, family=family)
              for given, family in (("Amira", "Smith"), ("Ben", "Jones"), ("Chloe", "Patel"))]
    make_group(school, "Year 5 Cedar", pupils=pupils, staff=[keeper])
    db.session.commit()
    return keeper
