"""The scaled profile: two gunicorn processes on different ports, one PostgreSQL, one Redis.

Pupils join one circle through both workers; the keeper passes the talking piece through
worker A and devices streaming from worker B see it arrive live. Staff of one school reach
nothing of another school through either worker. Always runs against the machine's
PostgreSQL (in a schema of its own) and Redis - CI runs both.
"""
import http.client
import os
import re
import secrets
import socket
import threading
import time
from urllib.parse import urlencode, urlsplit

import pytest
from sqlalchemy import create_engine, text

from rrp_pwa import create_app
from rrp_pwa.circles.joining import join_token, open_circle
from rrp_pwa.extensions import db
from tests.conftest import PASSWORD, make_group, make_pupil, make_school, make_staff
from tests.servers import LiveServer

PG = os.environ.get("TEST_DATABASE_URL", "")
PG = PG if PG.startswith("postgres") else "postgresql://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/0"
SECRET = "scale-secret"


@pytest.fixture(scope="module")
def scaled(tmp_path_factory):
    """A fresh schema on PostgreSQL, its tables, and two workers with the Redis broker."""
    schema = f"rrp_scale_{secrets.token_hex(4)}"
    base = PG.replace("postgresql://", "postgresql+psycopg://", 1)
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = f"{base}?options=-csearch_path%3D{schema}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET, "TESTING": True})
    with app.app_context():
        db.create_all()
    tmp = tmp_path_factory.mktemp("scale")
    env = {"REDIS_URL": REDIS_URL, "SECRET_KEY": SECRET}
    workers = [LiveServer(url, tmp, env), LiveServer(url, tmp, env)]
    try:
        yield app, workers
    finally:
        for worker in workers:
            worker.stop()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


class Browser:
    """Just enough of a browser over http.client: one cookie jar, form posts with the CSRF token."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None, headers: dict | None = None):
        parts = urlsplit(self.base)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=15)
        body = urlencode(form) if form is not None else None
        sent = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), **(headers or {})}
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        page = response.read().decode()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";")[0]
        conn.close()
        return response, page

    def post_form(self, path: str, fields: dict):
        _, page = self.request("GET", path)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        return self.request("POST", path, {**fields, "csrf_token": token})


class Stream:
    """A device's event stream (a pupil's tablet, or the keeper's screen with its session cookie):
    notes each event's id (the circle version) and each event with its data."""

    def __init__(self, base: str, path: str, cookie: str) -> None:
        parts = urlsplit(base)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)
        self.conn.request("GET", path, headers={"Cookie": cookie, "Accept": "text/event-stream"})
        self.response = self.conn.getresponse()
        assert self.response.status == 200
        self.seen: list[int] = []
        self.events: list[tuple[str, str]] = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        event, data = None, []
        try:
            while line := self.response.fp.readline():
                if line.startswith(b"id: "):
                    self.seen.append(int(line[4:]))
                elif line.startswith(b"event: "):
                    event = line[7:].decode().strip()
                elif line.startswith(b"data: "):
                    data.append(line[6:].decode().rstrip("\n"))
                elif line.strip() == b"" and event is not None:
                    self.events.append((event, "\n".join(data)))
                    event, data = None, []
        except (OSError, ValueError):
            return

    def last(self, event: str) -> str | None:
        return next((data for name, data in reversed(self.events) if name == event), None)

    def close(self) -> None:
        self.conn.sock.shutdown(socket.SHUT_RDWR)  # the reader sees end-of-stream and returns
        self.thread.join(5)
        self.response.close()
        self.conn.close()


def test_a_pass_on_one_worker_reaches_devices_streaming_from_another(scaled):
    app, (worker_a, worker_b) = scaled
    with app.app_context():
        school = make_school("Fernhurst Primary", "fernhurst")
        keeper = make_staff(school, ("teacher",), name="Ms Byrne")
        pupils = [make_pupil(school, name, "Okafor") for name in ("Amira", "Kofi", "Zofia")]
        group = make_group(school, "Year 4 Birch", pupils=pupils, staff=[keeper])
        circle = open_circle(keeper, "checkin", group, auto_admit=True)
        db.session.commit()
        circle_id, token, keeper_email = circle.id, join_token(circle, SECRET), keeper.email
        pupil_ids = [p.id for p in pupils]

    seats = []
    for pupil_id, worker in zip(pupil_ids, (worker_a, worker_b, worker_b)):
        device = Browser(worker.url)
        response, _ = device.post_form(f"/join/{token}", {"pupil": pupil_id, "name": ""})
        assert response.status == 302, "joining through either worker seats the pupil"
        seats.append((worker, device.cookies["rrp_seat"]))

    streams = [(worker, Stream(worker.url, f"/circles/{circle_id}/seat/live", f"rrp_seat={seat_secret}"))
               for worker, seat_secret in seats]
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not all(stream.seen for _, stream in streams):
        time.sleep(0.02)
    opened_at = max(stream.seen[-1] for _, stream in streams)

    keeper_device = Browser(worker_a.url)
    response, _ = keeper_device.post_form("/sign-in", {"email": keeper_email, "password": PASSWORD})
    assert response.status == 302
    _, page = keeper_device.request("GET", f"/circles/{circle_id}")
    csrf = re.search(r'X-CSRFToken": "([^"]+)"', page).group(1)
    response, _ = keeper_device.request("POST", f"/circles/{circle_id}/turn", {"turn": "pass", "version": opened_at},
                                        headers={"X-CSRFToken": csrf, "HX-Request": "true"})
    assert response.status == 200

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not all(stream.seen[-1] > opened_at for _, stream in streams):
        time.sleep(0.02)
    for _, stream in streams:
        stream.close()
    for worker, stream in streams:
        assert stream.seen[-1] == opened_at + 1, \
            f"device on {'B' if worker is worker_b else 'A'} saw versions {stream.seen}"


def test_the_keepers_seat_list_on_one_worker_follows_a_join_on_another(scaled):
    """The keeper's screen streams from worker B; someone joins through worker A by typing a name.
    The seat list, which a published change carries as rows only and worker B joins back together,
    arrives with the newcomer in it - shown as text, not markup."""
    app, (worker_a, worker_b) = scaled
    with app.app_context():
        school = make_school("Hazel Park", "hazel-park")
        keeper = make_staff(school, ("teacher",), name="Mr Osei")
        circle = open_circle(keeper, "community", None, auto_admit=True)
        db.session.commit()
        circle_id, token, keeper_email = circle.id, join_token(circle, SECRET), keeper.email

    keeper_device = Browser(worker_b.url)
    response, _ = keeper_device.post_form("/sign-in", {"email": keeper_email, "password": PASSWORD})
    assert response.status == 302
    cookie = "; ".join(f"{name}={value}" for name, value in keeper_device.cookies.items())
    stream = Stream(worker_b.url, f"/circles/{circle_id}/live", cookie)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and stream.last("k-seats") is None:
        time.sleep(0.02)
    assert stream.last("k-seats").count('<li id="k-seat-') == 1, "the keeper's own seat, at first"

    response, _ = Browser(worker_a.url).post_form(f"/join/{token}", {"name": "<b>Zed</b>"})
    assert response.status == 302
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and "Zed" not in (stream.last("k-seats") or ""):
        time.sleep(0.02)
    stream.close()
    seat_list = stream.last("k-seats")
    assert seat_list.count('<li id="k-seat-') == 2 and "&lt;b&gt;Zed&lt;/b&gt;" in seat_list
    assert "<b>Zed" not in seat_list


def test_staff_of_one_school_reach_nothing_of_another_through_either_worker(scaled):
    app, workers = scaled
    with app.app_context():
        ours, theirs = make_school("Oak Lane", "oak-lane"), make_school("Elm Road", "elm-road")
        admin = make_staff(ours, ("admin",), name="Mr Reid")
        their_pupil = make_pupil(theirs, "Hana", "Nowak")
        their_group = make_group(theirs, "Elm Year 6", pupils=[their_pupil])
        db.session.commit()
        email, pupil_id, group_id = admin.email, their_pupil.id, their_group.id
    for worker in workers:
        device = Browser(worker.url)
        response, _ = device.post_form("/sign-in", {"email": email, "password": PASSWORD})
        assert response.status == 302
        for path in (f"/pupils/{pupil_id}", f"/groups/{group_id}", f"/admin/pupils/{pupil_id}/edit",
                     f"/admin/groups/{group_id}/members"):
            response, _ = device.request("GET", path)
            assert response.status == 404, path
