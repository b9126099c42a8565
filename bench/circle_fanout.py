"""Pass-to-every-device latency of the live talking piece, against a running server.

Creates N circles of M seated devices (plus the keeper) directly in the server's database,
signs the bench keeper in over HTTP, opens N x M Server-Sent Events streams (one per seat
cookie, exactly as a pupil's tablet does), then in every circle at once passes the piece K
times through the keeper's ``POST /circles/<id>/turn``. For each pass it records when each
device received the event carrying the new version, and prints p50/p95/p99 of

  * pass-to-every-device: from sending the pass to the LAST device of that circle receiving it
    (the budget: one circle of 31 devices p95 <= 50 ms; 60 x 31 at once p95 <= 250 ms), and
  * per delivery: from sending the pass to each single device receiving it,

and the pass request's own round trip, with the count of errors (failed passes, streams that broke or never connected, deliveries
missing after --deliver-timeout). Plain HTTP over gevent sockets, 127.0.0.1 only, bounded in
count (--circles x --devices <= 12,000 streams, under the 20,000 open files each process may
hold on this machine) and time (--max-seconds).

Flags:
  --url URL            a worker to talk to (repeat for several workers: streams are spread
                       round-robin over them, and each circle's passes go to the next URL in turn,
                       so a pass on one worker must reach devices streaming from another).
                       Default http://127.0.0.1:5000 (what `make run` serves).
  --database-url URL   the server's database, for creating the bench school, circles and seats
                       (default: $DATABASE_URL, else the app's instance/rrp.sqlite3 as `make run` uses).
  --circles N          circles running at once (default 1).
  --devices M          devices (seats with an SSE stream) per circle (default 31).
  --passes K           passes per circle (default 50).
  --interval SECONDS   pause between one pass being delivered everywhere and the next (default 0.05).
  --jitter             make each pause (and each circle's start) random between 0 and 2 x --interval,
                       so circles do not pass in lock-step (a real morning: each pupil holds the piece for a few seconds).
  --deliver-timeout S  how long a pass may take to reach every device before it counts as an error (5).
  --max-seconds S      hard stop for the whole run (default 300).
  --keep               leave the bench school in the database (default: delete it afterwards).

Example (the two budgets):
  .venv/bin/python bench/circle_fanout.py --circles 1 --devices 31 --passes 200
  .venv/bin/python bench/circle_fanout.py --circles 60 --devices 31 --passes 20
"""
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import http.client  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from urllib.parse import urlencode, urlsplit  # noqa: E402

import gevent  # noqa: E402
from gevent.event import Event  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

MAX_STREAMS = 12000


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", action="append", dest="urls")
    parser.add_argument("--database-url")
    parser.add_argument("--circles", type=int, default=1)
    parser.add_argument("--devices", type=int, default=31)
    parser.add_argument("--passes", type=int, default=50)
    parser.add_argument("--interval", type=float, default=0.05)
    parser.add_argument("--jitter", action="store_true")
    parser.add_argument("--deliver-timeout", type=float, default=5.0)
    parser.add_argument("--max-seconds", type=float, default=300.0)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    args.urls = args.urls or ["http://127.0.0.1:5000"]
    for url in args.urls:
        if urlsplit(url).hostname != "127.0.0.1":
            parser.error("the bench only drives servers on 127.0.0.1")
    if not 1 <= args.circles * args.devices <= MAX_STREAMS:
        parser.error(f"circles x devices must be between 1 and {MAX_STREAMS}")
    return args


class BenchData:
    """The bench school, made directly in the server's database and removed afterwards."""

    def __init__(self, database_url: str | None, circles: int, devices: int) -> None:
        import os

        from rrp_pwa import create_app

        config = {"SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only")}
        if database_url:
            config["DATABASE_URL"] = database_url
            from rrp_pwa.config import database_url as normalise

            config["SQLALCHEMY_DATABASE_URI"] = normalise(database_url, "")
        self.app = create_app(config)
        self.password = secrets.token_urlsafe(16)
        with self.app.app_context():
            self.school_id, self.email, self.circles = self._create(circles, devices)

    def _create(self, circles: int, devices: int):
        from rrp_pwa.circles.joining import hash_secret, open_circle
        from rrp_pwa.extensions import db
        from rrp_pwa.models import School
        from rrp_pwa.models.circles import Seat
        from rrp_pwa.roster.directory import add_staff

        tag = secrets.token_hex(4)
        school = School(name=f"Bench school {tag}", slug=f"bench-{tag}", timezone="Europe/London")
        db.session.add(school)
        db.session.flush()
        keeper = add_staff(school, f"bench-{tag}@bench.example", "Bench Keeper", ["teacher"], self.password)
        db.session.flush()
        made = []
        for _ in range(circles):
            circle = open_circle(keeper, "checkin", None, auto_admit=True)
            secrets_ = [secrets.token_urlsafe(24) for _ in range(devices)]
            db.session.add_all(Seat(circle_id=circle.id, name=f"Pupil {n + 1}", status="admitted", position=n + 1,
                                    token_hash=hash_secret(s)) for n, s in enumerate(secrets_))
            made.append((circle.id, secrets_))
        db.session.commit()
        return school.id, keeper.email, made

    def remove(self) -> None:
        from sqlalchemy import delete, select

        from rrp_pwa.extensions import db
        from rrp_pwa.models import School, Staff, StaffRole
        from rrp_pwa.models.circles import Circle, CircleEvent, Seat

        with self.app.app_context():
            circle_ids = select(Circle.id).where(Circle.school_id == self.school_id)
            staff_ids = select(Staff.id).where(Staff.school_id == self.school_id)
            db.session.execute(delete(CircleEvent).where(CircleEvent.circle_id.in_(circle_ids)))
            db.session.execute(delete(Seat).where(Seat.circle_id.in_(circle_ids)))
            db.session.execute(delete(Circle).where(Circle.school_id == self.school_id))
            db.session.execute(delete(StaffRole).where(StaffRole.staff_id.in_(staff_ids)))
            db.session.execute(delete(Staff).where(Staff.school_id == self.school_id))
            db.session.execute(delete(School).where(School.id == self.school_id))
            db.session.commit()


def connection(url: str, timeout: float = 30.0) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    return http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)


def sign_in(url: str, email: str, password: str) -> tuple[str, str]:
    """The keeper's session cookie and CSRF token, as a browser would get them."""
    conn = connection(url)
    conn.request("GET", "/sign-in")
    response = conn.getresponse()
    page = response.read().decode()
    cookie = response.getheader("Set-Cookie", "").split(";")[0]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    body = urlencode({"email": email, "password": password, "csrf_token": token})
    conn.request("POST", "/sign-in", body=body, headers={"Cookie": cookie,
                                                         "Content-Type": "application/x-www-form-urlencoded"})
    response = conn.getresponse()
    response.read()
    if response.status != 302:
        raise SystemExit(f"bench keeper could not sign in at {url}: HTTP {response.status}")
    cookie = response.getheader("Set-Cookie", "").split(";")[0]
    conn.request("GET", "/circles", headers={"Cookie": cookie})
    response = conn.getresponse()
    page = response.read().decode()
    token = re.search(r'X-CSRFToken": "([^"]+)"', page).group(1)
    cookie = (response.getheader("Set-Cookie") or cookie).split(";")[0]  # the session now holds the token
    conn.close()
    return cookie, token


class Device:
    """One seat's SSE stream: notes when each version first arrives."""

    def __init__(self, url: str, circle_id: int, secret: str, run: "Run") -> None:
        self.url, self.circle_id, self.secret, self.run = url, circle_id, secret, run
        self.arrived: dict[int, float] = {}
        self.connected = Event()
        self.broken = False

    def stream(self) -> None:
        try:
            conn = connection(self.url, timeout=self.run.args.max_seconds)
            conn.request("GET", f"/circles/{self.circle_id}/seat/live",
                         headers={"Cookie": f"rrp_seat={self.secret}", "Accept": "text/event-stream"})
            response = conn.getresponse()
            if response.status != 200:
                raise OSError(f"stream HTTP {response.status}")
            self.connected.set()
            while not self.run.done.is_set():
                line = response.fp.readline()
                if not line:
                    raise OSError("stream ended")
                if line.startswith(b"id: "):
                    version = int(line[4:])
                    if version not in self.arrived:
                        self.arrived[version] = time.perf_counter()
                        self.run.notify(self.circle_id, version)
        except Exception as exc:  # a broken stream is an error the bench reports, not a crash
            if not self.run.done.is_set():
                self.broken = True
                self.run.error(f"stream circle {self.circle_id}: {exc}")
            self.connected.set()


class Run:
    def __init__(self, args: argparse.Namespace, data: BenchData) -> None:
        self.args, self.data = args, data
        self.done = Event()
        self.errors: list[str] = []
        self.every_device: list[float] = []
        self.per_delivery: list[float] = []
        self.pass_requests: list[float] = []
        self.waiters: dict[tuple[int, int], Event] = {}
        self.devices: dict[int, list[Device]] = {}

    def error(self, message: str) -> None:
        self.errors.append(message)

    def notify(self, circle_id: int, version: int) -> None:
        waiter = self.waiters.get((circle_id, version))
        if waiter is not None and all(version in d.arrived for d in self.devices[circle_id] if not d.broken):
            waiter.set()

    @staticmethod
    def post_pass(conns: dict, url: str, circle_id: int, version: int, cookie: str, token: str):
        """POST the keeper's pass; a kept-alive connection the server has since closed is reopened once."""
        for attempt in (1, 2):
            try:
                conns[url].request("POST", f"/circles/{circle_id}/turn",
                                   body=urlencode({"turn": "pass", "version": version}),
                                   headers={"Cookie": cookie, "X-CSRFToken": token, "HX-Request": "true",
                                            "Content-Type": "application/x-www-form-urlencoded"})
                response = conns[url].getresponse()
                response.read()
                return response
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                conns[url].close()
                conns[url] = connection(url)
                if attempt == 2:
                    raise

    def circle_loop(self, index: int, circle_id: int, cookie: str, token: str) -> None:
        urls = self.args.urls
        conns = {url: connection(url) for url in urls}
        version = 1
        if self.args.jitter:
            gevent.sleep(random.uniform(0, 2 * self.args.interval))
        for n in range(self.args.passes):
            if self.done.is_set():
                return
            url = urls[(index + n) % len(urls)]
            target = version + 1
            waiter = self.waiters[(circle_id, target)] = Event()
            started = time.perf_counter()
            try:
                response = self.post_pass(conns, url, circle_id, version, cookie, token)
                self.pass_requests.append(time.perf_counter() - started)
            except OSError as exc:
                self.error(f"pass circle {circle_id}: {exc}")
                return
            if response.status != 200:
                self.error(f"pass circle {circle_id}: HTTP {response.status}")
                version = int(response.getheader("X-Circle-Version") or version)
                continue
            version = int(response.getheader("X-Circle-Version"))
            if not waiter.wait(self.args.deliver_timeout):
                missing = sum(1 for d in self.devices[circle_id] if target not in d.arrived)
                self.error(f"circle {circle_id} version {target}: {missing} devices did not receive it")
            devices = [d for d in self.devices[circle_id] if target in d.arrived]
            if devices:
                times = [d.arrived[target] - started for d in devices]
                self.per_delivery.extend(times)
                if len(devices) == len(self.devices[circle_id]):
                    self.every_device.append(max(times))
            del self.waiters[(circle_id, target)]
            gevent.sleep(random.uniform(0, 2 * self.args.interval) if self.args.jitter else self.args.interval)


def percentiles(values: list[float]) -> str:
    if len(values) < 2:
        return "n/a (too few samples)"
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return (f"p50 {cuts[49] * 1000:.1f} ms  p95 {cuts[94] * 1000:.1f} ms  p99 {cuts[98] * 1000:.1f} ms  "
            f"max {max(values) * 1000:.1f} ms  (n={len(values)})")


def main(argv=None) -> int:
    args = parse_args(argv)
    data = BenchData(args.database_url, args.circles, args.devices)
    run = Run(args, data)
    deadline = gevent.Timeout(args.max_seconds)
    deadline.start()
    try:
        cookie, token = sign_in(args.urls[0], data.email, data.password)
        streams = []
        n = 0
        for circle_id, seat_secrets in data.circles:
            run.devices[circle_id] = []
            for secret in seat_secrets:
                device = Device(args.urls[n % len(args.urls)], circle_id, secret, run)
                n += 1
                run.devices[circle_id].append(device)
                streams.append(gevent.spawn(device.stream))
        opened = time.perf_counter()
        for devices in run.devices.values():
            for device in devices:
                device.connected.wait(60)
        connected = sum(1 for ds in run.devices.values() for d in ds if not d.broken)
        print(f"{connected} of {n} streams open in {time.perf_counter() - opened:.1f} s "
              f"on {len(args.urls)} worker URL(s)")
        gevent.sleep(0.5)
        started = time.perf_counter()
        loops = [gevent.spawn(run.circle_loop, i, circle_id, cookie, token)
                 for i, (circle_id, _) in enumerate(data.circles)]
        gevent.joinall(loops)
        elapsed = time.perf_counter() - started
    except gevent.Timeout:
        run.error(f"stopped after --max-seconds {args.max_seconds}")
        elapsed = args.max_seconds
    finally:
        deadline.cancel()
        run.done.set()
        print("passes done", flush=True)  # (scale_profile stops counting CPU here, before the clean-up)
        if not args.keep:
            data.remove()
    print(f"{args.circles} circle(s) x {args.devices} devices, {args.passes} passes each, in {elapsed:.1f} s")
    print(f"pass-to-every-device: {percentiles(run.every_device)}")
    print(f"per delivery:         {percentiles(run.per_delivery)}")
    print(f"pass request alone:   {percentiles(run.pass_requests)}")
    print(f"load average at the end: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    print(f"errors: {len(run.errors)}")
    for message in run.errors[:10]:
        print(f"  {message}")
    return 1 if run.errors else 0


if __name__ == "__main__":
    sys.exit(main())
