"""Lighthouse (mobile) on the main page of every user, against the budget in DESIGN.md.

Builds the demo school in a scratch SQLite database (plus what the pages need to show: the
teacher's morning circle with 20 pupils seated, a peer mediation at its stories step, a concern
for the DSL), serves it with gunicorn as `make run` does (gevent, one worker, 127.0.0.1, a free
port), signs each user in through the real sign-in form before each run (a mediators' session ends
after 10 idle minutes), and runs Lighthouse on each page with the session cookie passed through
--extra-headers (a pupil's seat: see ``lighthouse``). Each page is measured --runs times and the
lowest score of each category is reported, with every audit that kept a category under budget.
"cpu" is Lighthouse's benchmark index of the machine during the run with the lowest performance
score (an idle core of this machine: about 900-1,400); on a shared, busy machine it falls, and every
task - so the performance score - looks slower. The best run's performance score follows, with its index.

    npm install --prefix /tmp/lh lighthouse@12.8.2
    .venv/bin/python bench/lighthouse.py [--runs 2] [--only keeper ...] [--json-dir DIR]

LIGHTHOUSE (default /tmp/lh/node_modules/.bin/lighthouse, else `lighthouse` on PATH) and
CHROME_PATH (default /usr/bin/chromium) say where the tools are. Without Lighthouse it says so and
exits 0 (a bench, not a test); it exits 1 if any page is under budget.
"""
import argparse
import contextlib
import http.cookiejar
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from rrp_pwa import create_app  # noqa: E402
from rrp_pwa.circles.joining import join_circle, join_token, open_circle  # noqa: E402
from rrp_pwa.circles.seats import SEAT_COOKIE  # noqa: E402
from rrp_pwa.demo import seed_demo_school  # noqa: E402
from rrp_pwa.extensions import db  # noqa: E402
from rrp_pwa.mediation import flow  # noqa: E402
from rrp_pwa.mediation.accounts import set_mediator_login  # noqa: E402
from rrp_pwa.models import Agreement, Group, Pupil, Staff  # noqa: E402
from rrp_pwa.safeguarding.concerns import raise_concern  # noqa: E402

PASSWORD = "bench lighthouse"
SECRET_KEY = "bench-lighthouse"
MEDIATORS = (("mediator.one", "2468"), ("mediator.two", "1357"))
BUDGET = {"performance": 95, "accessibility": 100, "best-practices": 100}
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
CHROME_FLAGS = ("--headless=new --no-sandbox --disable-gpu --disable-background-networking "
                "--disable-component-update --disable-sync --no-first-run")
DEFAULT_LIGHTHOUSE = "/tmp/lh/node_modules/.bin/lighthouse"


def build_school(database_uri: str, instance: str) -> dict:
    """The demo school and the state the main pages show; returns the ids the URLs need."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_uri, "SECRET_KEY": SECRET_KEY, "INSTANCE_PATH": instance})
    with app.app_context():
        db.create_all()
        school, _ = seed_demo_school(PASSWORD)
        db.session.flush()
        teacher = db.session.scalar(select(Staff).where(Staff.email == "teacher1@oakfield.example"))
        own = db.session.scalar(select(Group).where(Group.kind == "class", Group.staff.contains(teacher))
                                .order_by(Group.id))
        circle = open_circle(teacher, "checkin", own, auto_admit=True)
        seats = [join_circle(circle, pupil=pupil) for pupil in own.pupils[:20]]
        mediators = list(db.session.scalars(select(Pupil).where(Pupil.school_id == school.id,
                                                                Pupil.peer_mediator.is_(True)).order_by(Pupil.id)))[:2]
        for pupil, (username, pin) in zip(mediators, MEDIATORS):
            set_mediator_login(pupil, username, pin)
        others = list(db.session.scalars(select(Pupil).where(Pupil.school_id == school.id,
                                                             Pupil.peer_mediator.is_(False),
                                                             Pupil.year_group == "Year 5").order_by(Pupil.id)))
        mediation = flow.start_mediation(school.id, mediators, "Playground")
        db.session.add(mediation)
        for pupil in others[:2]:
            flow.add_party(mediation, pupil)
        db.session.flush()
        flow.next_step(mediation)
        for party in mediation.parties:
            flow.agree_rules(mediation, party.id)
        flow.next_step(mediation)
        concern = raise_concern(school.id, "Said an older cousin hits him when nobody is home.", "chat",
                                pupil=others[2], raised_by_staff=teacher)
        db.session.add(concern)
        db.session.commit()
        pupil = db.session.scalar(select(Agreement).where(Agreement.school_id == school.id)
                                  .order_by(Agreement.id)).parties[0].pupil
        ids = {"circle": circle.id, "token": join_token(circle, SECRET_KEY), "seat_secret": seats[0][1],
               "mediation": mediation.id, "mediation_step": mediation.step, "concern": concern.id,
               "pupil": pupil.id}
        db.session.remove()
        db.engine.dispose()
    return ids


@contextlib.contextmanager
def gunicorn(database_uri: str, instance: str):
    """The app served as `make run` serves it (gevent, one worker) on a free 127.0.0.1 port; its URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": database_uri, "SECRET_KEY": SECRET_KEY, "INSTANCE_PATH": instance}
    log = open(Path(instance) / "gunicorn.log", "w")
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "--worker-class", "gevent", "--workers", "1",
                                "--worker-connections", "1000", "--no-control-socket", "--graceful-timeout", "1",
                                "--bind", f"127.0.0.1:{port}", "wsgi:app"],
                               cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        url, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 120  # slow to import on a busy machine
        while True:
            try:
                urllib.request.urlopen(url + "/healthz", timeout=2)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start: " + (Path(instance) / "gunicorn.log").read_text()[-2000:])
                time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def signed_in(base: str, path: str, fields: dict) -> str:
    """Sign in through the form at ``path`` (its CSRF token read from the page); the Cookie header."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + path).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)[1]
    body = urllib.parse.urlencode({"csrf_token": token, **fields}).encode()
    opener.open(urllib.request.Request(base + path, data=body))
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def mediator_team(base: str) -> str:
    """Both mediators signed in on one tablet, one after the other, as a pair does."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    for username, pin in MEDIATORS:
        page = opener.open(base + "/sign-in/mediator").read().decode()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)[1]
        body = urllib.parse.urlencode({"csrf_token": token, "username": username, "pin": pin}).encode()
        opener.open(urllib.request.Request(base + "/sign-in/mediator", data=body))
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def pages(ids: dict) -> list[tuple[str, str, str]]:
    """(label, who, path): the main pages of each user."""
    return [
        ("sign-in", "nobody", "/sign-in"),
        ("teacher home", "teacher", "/"),
        ("keeper's live circle", "teacher", f"/circles/{ids['circle']}"),
        ("join by code", "nobody", "/join"),
        ("join page (QR link)", "nobody", f"/join/{ids['token']}"),
        ("pupil's seat", "seat", f"/circles/{ids['circle']}/seat"),
        ("log a chat (teacher)", "teacher", "/chats/new"),
        ("midday home", "midday", "/"),
        ("log a chat (midday)", "midday", "/chats/new"),
        ("record offline (midday)", "midday", "/capture"),
        ("mediator sign-in", "nobody", "/sign-in/mediator"),
        (f"mediation step ({ids['mediation_step']})", "mediators", f"/mediate/{ids['mediation']}"),
        ("reviews due (pastoral)", "pastoral", "/agreements/due"),
        ("pupil's record (pastoral)", "pastoral", f"/pupils/{ids['pupil']}"),
        ("school overview (pastoral)", "pastoral", "/overview"),
        ("concerns queue (DSL)", "dsl", "/safeguarding/concerns"),
        ("a concern (DSL)", "dsl", f"/safeguarding/concerns/{ids['concern']}"),
        ("roster import (admin)", "admin", "/admin/sync/roster"),
    ]


def lighthouse(binary: str, url: str, cookie: str | None, out: Path, seat_cookie: dict | None = None) -> dict:
    """One Lighthouse run (mobile); its JSON report.

    ``cookie`` goes in the Cookie header of every request (--extra-headers). A seat cookie cannot:
    once the page has set a cookie of its own (the session's, for its CSRF token), Chromium sends
    the cookies of its jar instead of that header, and the seat's live stream would be refused. So
    for a pupil's seat the cookie goes into the jar of a Chromium started here, and Lighthouse
    drives that browser (--port), as a pupil's tablet holds the cookie its join left.
    """
    command = [binary, url, "--form-factor=mobile", "--output=json", f"--output-path={out}", "--quiet"]
    if cookie:
        headers = out.with_suffix(".headers.json")
        headers.write_text(json.dumps({"Cookie": cookie}))
        command.append(f"--extra-headers={headers}")
    env = {**os.environ, "CHROME_PATH": chrome_path()}
    with browser_holding(seat_cookie, url) as port:
        command.append(f"--port={port}" if port else f"--chrome-flags={CHROME_FLAGS}")
        subprocess.run(command, env=env, check=True, timeout=300, stdout=subprocess.DEVNULL)
    return json.loads(out.read_text())


def chrome_path() -> str:
    return os.environ.get("CHROME_PATH", "/usr/bin/chromium")


@contextlib.contextmanager
def browser_holding(cookie: dict | None, url: str):
    """Chromium (the same flags Lighthouse would start it with) with ``cookie`` in its jar; its
    debugging port. Without a cookie: None, and Lighthouse starts its own Chromium."""
    if cookie is None:
        yield None
        return
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as profile, socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        chrome = subprocess.Popen([chrome_path(), *CHROME_FLAGS.split(), f"--remote-debugging-port={port}",
                                   f"--user-data-dir={profile}", "about:blank"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/json/version", timeout=2)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError("Chromium did not open its debugging port")
                    time.sleep(0.3)
            with sync_playwright() as playwright:
                browser = playwright.chromium.connect_over_cdp(f"http://127.0.0.1:{port}")
                browser.contexts[0].add_cookies([{**cookie, "url": url, "httpOnly": True, "sameSite": "Lax"}])
            yield port
        finally:
            chrome.terminate()
            chrome.wait(timeout=10)


def scores(report: dict) -> dict[str, int]:
    return {name: round(report["categories"][name]["score"] * 100) for name in CATEGORIES}


def shortfalls(report: dict) -> list[str]:
    """The audits that cost a category under budget its points: id, title and what was found."""
    found = []
    for name, budget in BUDGET.items():
        category = report["categories"][name]
        if round(category["score"] * 100) >= budget:
            continue
        for ref in category["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if ref["weight"] and audit["score"] is not None and audit["score"] < 1:
                shown = audit.get("displayValue") or ""
                found.append(f"{name}: {ref['id']} ({audit['score']:.2f}) {shown}".rstrip())
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2, help="runs of each page; the lowest score is reported")
    parser.add_argument("--only", nargs="*", default=[], help="measure only pages whose label contains one of these")
    parser.add_argument("--json-dir", help="keep every Lighthouse report here")
    args = parser.parse_args()
    binary = os.environ.get("LIGHTHOUSE") or (DEFAULT_LIGHTHOUSE if Path(DEFAULT_LIGHTHOUSE).exists()
                                              else shutil.which("lighthouse"))
    if not binary:
        print("Lighthouse is not installed: npm install --prefix /tmp/lh lighthouse (or set LIGHTHOUSE). Skipped.")
        return 0
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip()
    chrome = chrome_path()
    with tempfile.TemporaryDirectory() as tmp:
        database_uri = f"sqlite:///{tmp}/bench.sqlite3"
        ids = build_school(database_uri, tmp)
        with gunicorn(database_uri, tmp) as base:
            staff = {"teacher": "teacher1", "midday": "midday1", "pastoral": "pastoral", "dsl": "dsl", "admin": "head"}
            out_dir = Path(args.json_dir or tmp)
            out_dir.mkdir(parents=True, exist_ok=True)
            print(f"Lighthouse {version} (mobile), {chrome}, gunicorn on {base}; lowest of {args.runs} runs")
            print(f"{'page':<34} {'perf':>5} {'a11y':>5} {'bp':>5} {'seo':>5} {'cpu':>5}   best perf (cpu)")
            under = False
            for label, who, path in pages(ids):
                if args.only and not any(word in label for word in args.only):
                    continue
                slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
                reports = []
                for run in range(args.runs):
                    # signed in afresh for each run: a session left idle (10 minutes for mediators) ends
                    cookie, seat_cookie = None, None
                    if who in staff:
                        cookie = signed_in(base, "/sign-in", {"email": f"{staff[who]}@oakfield.example",
                                                              "password": PASSWORD})
                    elif who == "mediators":
                        cookie = mediator_team(base)
                    elif who == "seat":
                        seat_cookie = {"name": SEAT_COOKIE, "value": ids["seat_secret"]}
                    reports.append(lighthouse(binary, base + path, cookie, out_dir / f"{slug}-{run + 1}.json",
                                              seat_cookie))
                final = {r["finalDisplayedUrl"] for r in reports}
                lowest = {name: min(scores(r)[name] for r in reports) for name in CATEGORIES}
                flag = [name for name, budget in BUDGET.items() if lowest[name] < budget]
                under = under or bool(flag)
                by_perf = sorted(reports, key=lambda r: scores(r)["performance"])
                cpu = [round(r["environment"]["benchmarkIndex"]) for r in (by_perf[0], by_perf[-1])]
                print(f"{label:<34} " + " ".join(f"{lowest[name]:>5}" for name in CATEGORIES) + f" {cpu[0]:>5}"
                      + f"   {scores(by_perf[-1])['performance']:>4} ({cpu[1]})" + ("  UNDER BUDGET" if flag else ""))
                if final != {base + path}:
                    print(f"    ended at {', '.join(sorted(final))}")
                for line in sorted({line for r in reports for line in shortfalls(r)}):
                    print(f"    {line}")
    return 1 if under else 0


if __name__ == "__main__":
    sys.exit(main())
