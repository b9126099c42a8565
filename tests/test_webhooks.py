"""Webhooks: the Standard Webhooks signature, delivery to a real HTTP receiver that verifies it,
retries with backoff, the delivery log, and no concern ever sent."""
import base64
import hashlib
import hmac
import json
import random
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from rrp_pwa.checkins.rules import record_checkin
from rrp_pwa.extensions import db
from rrp_pwa.models.roster import utcnow
from rrp_pwa.models.sync import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from rrp_pwa.safeguarding.concerns import raise_concern
from rrp_pwa.sync.webhooks import MAX_ATTEMPTS, add_endpoint, backoff, deliver_due, enqueue, remove_endpoint, sign
from tests.conftest import make_pupil, make_school, make_staff

BASE = "https://rrp.example"


@pytest.fixture
def app_config(app_config):
    """These tests' connector listens on 127.0.0.1, which a real deployment refuses (test_private_...)."""
    return {"WEBHOOK_PRIVATE_ADDRESSES": True, **app_config}


def test_signature_matches_the_standard_webhooks_reference_vector():
    """The test vector published with the Standard Webhooks reference libraries."""
    assert sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                '{"test": 2432232314}') == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_backoff_grows_exponentially_with_jitter_and_a_ceiling():
    rng = random.Random(5)
    waits = [backoff(n, rng) for n in range(1, 8)]
    assert all(15 <= waits[0] <= 30 for _ in [0])
    for n, wait in enumerate(waits, start=1):
        ceiling = min(6 * 3600, 30 * 2 ** (n - 1))
        assert ceiling / 2 <= wait <= ceiling
    assert len({round(backoff(3, random.Random(s)), 3) for s in range(5)}) == 5  # jitter spreads retries
    assert backoff(40) <= 6 * 3600


class Receiver(ThreadingHTTPServer):
    """A connector on 127.0.0.1 that checks every signature, as a real one must."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), ReceiverHandler)
        self.secret = ""
        self.answers: list[int] = []   # status codes to give, in order; then 204
        self.received: list[dict] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/rrp"


class ReceiverHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"])).decode()
        message_id, stamp = self.headers["webhook-id"], self.headers["webhook-timestamp"]
        key = base64.b64decode(self.server.secret.removeprefix("whsec_"))
        expected = base64.b64encode(hmac.new(key, f"{message_id}.{stamp}.{body}".encode(), hashlib.sha256)
                                    .digest()).decode()
        valid = any(hmac.compare_digest(f"v1,{expected}", sig) for sig in self.headers["webhook-signature"].split())
        status = self.server.answers.pop(0) if self.server.answers else 204
        self.server.received.append({"id": message_id, "valid": valid, "body": json.loads(body), "status": status})
        self.send_response(status if valid else 401)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_events_are_delivered_signed_with_ids_and_links_only(app, receiver):
    school = make_school()
    endpoint = add_endpoint(school.id, receiver.url)
    db.session.commit()
    receiver.secret = endpoint.secret
    pupil = make_pupil(school, given="Amira", family="Khan")
    record_checkin(school.id, "faces", 2, "staff", pupil=pupil, word="tired")
    db.session.commit()
    assert enqueue() == 1
    db.session.commit()
    assert deliver_due(BASE) == 1
    (got,) = receiver.received
    assert got["valid"] and got["id"].startswith("evt_")
    assert got["body"]["type"] == "check_in.created"
    data = got["body"]["data"]
    assert data["record_type"] == "check_in" and data["sequence"] == 1
    assert data["links"]["event"] == f"{BASE}/api/v1/events?cursor=0&limit=1"
    assert "Amira" not in json.dumps(got["body"]) and "tired" not in json.dumps(got["body"])
    delivery = db.session.scalar(select(WebhookDelivery))
    assert delivery.state == "delivered" and delivery.attempt_rows[0].status_code == 204


def test_a_new_endpoint_gets_only_events_written_after_it(app, receiver):
    school = make_school()
    record_checkin(school.id, "faces", 3, "staff", pupil=make_pupil(school))
    db.session.commit()
    add_endpoint(school.id, receiver.url)
    db.session.commit()
    assert enqueue() == 0


def test_failures_are_retried_with_backoff_then_delivered_and_logged(app, receiver):
    school = make_school()
    endpoint = add_endpoint(school.id, receiver.url)
    db.session.commit()
    receiver.secret = endpoint.secret
    receiver.answers = [500, 503]
    record_checkin(school.id, "faces", 4, "staff", pupil=make_pupil(school))
    db.session.commit()
    enqueue()
    db.session.commit()
    now = utcnow()
    deliver_due(BASE, now=now)
    delivery = db.session.scalar(select(WebhookDelivery))
    assert delivery.state == "pending" and delivery.attempts == 1
    first_wait = (delivery.next_attempt_at.replace(tzinfo=now.tzinfo) - now).total_seconds()
    assert 15 <= first_wait <= 30
    assert deliver_due(BASE, now=now) == 0  # not due yet
    deliver_due(BASE, now=now + timedelta(seconds=31))
    deliver_due(BASE, now=now + timedelta(seconds=200))
    db.session.refresh(delivery)
    assert delivery.state == "delivered" and delivery.attempts == 3
    assert [a.status_code for a in db.session.scalars(select(WebhookAttempt).order_by(WebhookAttempt.id))] == [
        500, 503, 204]
    assert len({r["id"] for r in receiver.received}) == 1  # the same webhook-id on every retry
    assert all(r["valid"] for r in receiver.received)


def test_an_unreachable_endpoint_gives_up_after_the_last_attempt(app):
    school = make_school()
    add_endpoint(school.id, "http://127.0.0.1:9/nothing-listens-here")
    record_checkin(school.id, "faces", 4, "staff", pupil=make_pupil(school))
    db.session.commit()
    enqueue()
    db.session.commit()
    when = utcnow()
    for _ in range(MAX_ATTEMPTS):
        deliver_due(BASE, now=when)
        when += timedelta(days=1)
    delivery = db.session.scalar(select(WebhookDelivery))
    assert delivery.state == "failed" and delivery.attempts == MAX_ATTEMPTS
    assert all(a.error and a.status_code is None for a in delivery.attempt_rows)


def test_an_unreachable_endpoint_costs_a_round_one_try_and_other_schools_still_get_theirs(app, receiver):
    down, up = make_school("Down School"), make_school("Up School")
    add_endpoint(down.id, "http://127.0.0.1:9/nothing-listens-here")
    receiver.secret = add_endpoint(up.id, receiver.url).secret
    for _ in range(5):
        record_checkin(down.id, "faces", 4, "staff", pupil=make_pupil(down))
    record_checkin(up.id, "faces", 4, "staff", pupil=make_pupil(up))
    db.session.commit()
    enqueue()
    db.session.commit()
    assert deliver_due(BASE) == 2  # one try at the unreachable endpoint, then Up School's event
    assert len(receiver.received) == 1 and receiver.received[0]["valid"]
    tried = db.session.scalars(select(WebhookDelivery).where(WebhookDelivery.school_id == down.id)).all()
    assert sorted(d.attempts for d in tried) == [0, 0, 0, 0, 1]
    assert all(d.state == "pending" for d in tried)  # the others wait for the next round


def test_concerns_are_never_sent(app, receiver):
    school = make_school()
    dsl = make_staff(school, ("dsl",))
    endpoint = add_endpoint(school.id, receiver.url)
    db.session.commit()
    receiver.secret = endpoint.secret
    db.session.add(raise_concern(school.id, "A disclosure", "pupil", pupil=make_pupil(school), raised_by_staff=dsl))
    db.session.commit()
    assert enqueue() == 0
    assert deliver_due(BASE) == 0 and receiver.received == []


def test_cli_worker_once(runner, app, receiver):
    school = make_school()
    endpoint = add_endpoint(school.id, receiver.url)
    db.session.commit()
    receiver.secret = endpoint.secret
    record_checkin(school.id, "faces", 4, "staff", pupil=make_pupil(school))
    db.session.commit()
    result = runner.invoke(args=["deliver-webhooks", "--once"])
    assert result.exit_code == 0, result.output
    assert "Queued 1, tried 1, 0 waiting" in result.output
    assert receiver.received[0]["valid"]


# Admin screens

@pytest.mark.parametrize("roles, status", [(("admin",), 200), (("teacher",), 403), (("pastoral",), 403),
                                           (("dsl",), 403), (("support",), 403)])
def test_only_admins_manage_webhooks(client, auth, roles, status):
    auth.login(roles=roles)
    assert client.get("/admin/sync/webhooks").status_code == status


def test_admin_adds_endpoint_sees_secret_once_and_the_delivery_log(client, auth, app, receiver):
    admin = auth.login(roles=("admin",))
    page = client.post("/admin/sync/webhooks", data={"url": receiver.url}).get_data(as_text=True)
    secret = page.split('<code class="secret">')[1].split("<")[0]
    assert secret.startswith("whsec_")
    endpoint = db.session.scalar(select(WebhookEndpoint))
    receiver.secret = endpoint.secret
    assert secret not in client.get("/admin/sync/webhooks").get_data(as_text=True)
    receiver.answers = [500]
    record_checkin(admin.school_id, "faces", 4, "staff", pupil=make_pupil(admin.school))
    db.session.commit()
    enqueue()
    db.session.commit()
    deliver_due(BASE)
    log = client.get(f"/admin/sync/webhooks/{endpoint.id}").get_data(as_text=True)
    assert "check in created" in log and "HTTP 500" in log and "next try" in log
    client.post(f"/admin/sync/webhooks/{endpoint.id}/remove", data={"asked": "yes"})
    db.session.refresh(endpoint)
    assert endpoint.active is False


def test_admin_cannot_see_another_schools_endpoint(client, auth, app):
    other = add_endpoint(make_school("Hill Academy").id, "https://hill.example/hook")
    db.session.commit()
    auth.login(roles=("admin",), school=make_school())
    assert client.get(f"/admin/sync/webhooks/{other.id}").status_code == 404
    assert client.post(f"/admin/sync/webhooks/{other.id}/remove").status_code == 404


def test_bad_url_is_shown_beside_the_field(client, auth):
    auth.login(roles=("admin",))
    response = client.post("/admin/sync/webhooks", data={"url": "ftp://x"})
    assert response.status_code == 400 and "http" in response.get_data(as_text=True)
    # found in QA: the help said only HTTPS was taken, and an http:// address was taken too
    assert "https:// is best (an http:// one is taken too" in client.get("/admin/sync/webhooks").get_data(as_text=True)


def test_an_endpoint_that_is_not_an_http_server_is_a_failed_try_not_a_stopped_worker(app, receiver):
    """An admin types the wrong port and something else answers (an SSH banner): that delivery is retried
    later, and every other endpoint's delivery is still made."""
    banner = socket.socket()
    banner.bind(("127.0.0.1", 0))
    banner.listen()

    def answer_with_a_banner():
        while True:
            try:
                conn, _ = banner.accept()
            except OSError:
                return
            conn.recv(65536)
            conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")
            conn.close()

    threading.Thread(target=answer_with_a_banner, daemon=True).start()
    try:
        school = make_school()
        add_endpoint(school.id, f"http://127.0.0.1:{banner.getsockname()[1]}/rrp")
        other = make_school("Hill High")
        receiver.secret = add_endpoint(other.id, receiver.url).secret
        record_checkin(school.id, "faces", 4, "staff", pupil=make_pupil(school))
        record_checkin(other.id, "faces", 4, "staff", pupil=make_pupil(other))
        db.session.commit()
        enqueue()
        db.session.commit()
        deliver_due(BASE)
    finally:
        banner.close()
    wrong = db.session.scalar(select(WebhookDelivery).join(WebhookEndpoint).where(WebhookEndpoint.school_id == school.id))
    assert wrong.state == "pending" and wrong.attempts == 1
    assert "BadStatusLine" in wrong.attempt_rows[0].error
    assert [r["valid"] for r in receiver.received] == [True]  # Hill High's connector still got its event


def test_a_removed_endpoint_gets_no_more_retries(app, receiver):
    school = make_school()
    endpoint = add_endpoint(school.id, receiver.url)
    receiver.secret = endpoint.secret
    receiver.answers = [500]
    record_checkin(school.id, "faces", 4, "staff", pupil=make_pupil(school))
    db.session.commit()
    enqueue()
    db.session.commit()
    deliver_due(BASE)
    remove_endpoint(endpoint)
    db.session.commit()
    assert deliver_due(BASE, now=utcnow() + timedelta(days=1)) == 0
    assert len(receiver.received) == 1 and db.session.scalar(select(WebhookDelivery)).state == "failed"


@pytest.mark.app_config(WEBHOOK_PRIVATE_ADDRESSES=False)
@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data", "http://127.0.0.1:6379/",
                                 "http://10.0.0.7/rrp", "http://localhost:5432/", "http://[::1]/rrp"])
def test_an_address_inside_the_hosts_network_is_refused(client, auth, url):
    """A school's admin must not make the server call, and the delivery log report on, the host's own network."""
    auth.login(roles=("admin",))
    response = client.post("/admin/sync/webhooks", data={"url": url})
    assert response.status_code == 400 and "inside a private network" in response.get_data(as_text=True)
    assert db.session.scalar(select(WebhookEndpoint)) is None


def event_queued_for(url: str) -> None:
    """An endpoint at ``url`` saved as it was before the address rule (registration is not what these
    tests check), and one event queued for it."""
    school = make_school()
    db.session.add(WebhookEndpoint(school_id=school.id, url=url, secret="whsec_" + "A" * 32, cursor=0, active=True))
    record_checkin(school.id, "faces", 4, "staff", pupil=make_pupil(school))
    db.session.commit()
    enqueue()
    db.session.commit()


@pytest.mark.app_config(WEBHOOK_PRIVATE_ADDRESSES=False)
def test_a_name_that_comes_to_point_inside_the_network_is_not_sent_to(app, receiver):
    """Registered while it pointed elsewhere (or before this rule): each try checks the address again."""
    event_queued_for(receiver.url)
    deliver_due(BASE)
    delivery = db.session.scalar(select(WebhookDelivery))
    assert receiver.received == [] and delivery.state == "pending"
    assert "inside a private network" in delivery.attempt_rows[0].error


def test_a_redirect_is_a_failed_try_and_is_not_followed(app, receiver):
    school = make_school()
    redirect = ThreadingHTTPServer(("127.0.0.1", 0), RedirectHandler)
    redirect.target = receiver.url
    threading.Thread(target=redirect.serve_forever, daemon=True).start()
    try:
        add_endpoint(school.id, f"http://127.0.0.1:{redirect.server_address[1]}/rrp")
        record_checkin(school.id, "faces", 4, "staff", pupil=make_pupil(school))
        db.session.commit()
        enqueue()
        db.session.commit()
        deliver_due(BASE)
    finally:
        redirect.shutdown()
        redirect.server_close()
    delivery = db.session.scalar(select(WebhookDelivery))
    assert receiver.received == [] and delivery.attempt_rows[0].status_code == 307 and delivery.state == "pending"


class RedirectHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers["content-length"]))
        self.send_response(307)
        self.send_header("Location", self.server.target)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.mark.app_config(WEBHOOK_PRIVATE_ADDRESSES=False)
def test_a_name_that_turns_private_between_check_and_connect_reaches_nothing(app, receiver, monkeypatch):
    """DNS rebinding: the name answers a public address when checked and 127.0.0.1 when connected to.
    The address actually connected to is checked too."""
    import rrp_pwa.sync.webhooks as webhooks

    event_queued_for(receiver.url)
    monkeypatch.setattr(webhooks, "private_address", lambda url: None)  # "public" when looked up
    deliver_due(BASE)
    delivery = db.session.scalar(select(WebhookDelivery))
    assert receiver.received == [] and delivery.state == "pending"
    assert "127.0.0.1 is inside a private network" in delivery.attempt_rows[0].error
