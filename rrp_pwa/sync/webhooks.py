"""Webhooks in the Standard Webhooks format (https://www.standardwebhooks.com/).

Rules:
- An admin registers an endpoint; it gets a secret ``whsec_<base64>`` and receives every event
  written after it was added, in sequence order of queueing.
- Each POST carries ``webhook-id`` (the event id, the same on every retry so the receiver can
  drop repeats), ``webhook-timestamp`` (Unix seconds of this attempt) and ``webhook-signature``
  = ``v1,`` + base64(HMAC-SHA256(secret bytes, f"{id}.{timestamp}.{body}")).
- The body carries ids and links, never the record: the connector fetches the record from the
  feed with its API token, so a leaked webhook body says nothing about a pupil.
- A 2xx answer delivers; anything else (or no answer) is retried with exponential backoff and
  full jitter, up to MAX_ATTEMPTS, then the delivery is marked failed. Every try is logged.
- Deliveries run in a worker (``flask deliver-webhooks``), never in the request that wrote the
  record; several workers may run at once on PostgreSQL (rows are claimed with SKIP LOCKED).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import ipaddress
import json
import random
import secrets
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import func, select

from rrp_pwa.extensions import db
from rrp_pwa.models.roster import utcnow
from rrp_pwa.models.sync import FeedCounter, FeedEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint

MAX_ATTEMPTS = 8
BASE_DELAY = 30.0          # seconds before the first retry (before jitter)
MAX_DELAY = 6 * 3600.0     # never wait longer than six hours between tries
TIMEOUT = 10.0
USER_AGENT = "RRP-Webhooks/1"


class WebhookError(Exception):
    """An endpoint that can't be registered as given; the message is shown to the admin."""


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def sign(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """The Standard Webhooks signature header value for one message."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{message_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def backoff(attempts: int, rng: random.Random | None = None) -> float:
    """Seconds to wait after ``attempts`` failed tries: exponential, capped, with jitter (50-100 %)."""
    ceiling = min(MAX_DELAY, BASE_DELAY * 2 ** max(0, attempts - 1))
    return ceiling * (0.5 + 0.5 * (rng or random).random())


def private_address(url: str) -> str | None:
    """The address inside a private network (private, loopback, link-local, reserved) that ``url``'s host
    is or resolves to, unless ``WEBHOOK_PRIVATE_ADDRESSES`` allows them; None for a public one, and for a
    name that does not resolve (nothing is reached: the try fails and is logged)."""
    host = urlsplit(url).hostname
    if not host or current_app.config.get("WEBHOOK_PRIVATE_ADDRESSES"):
        return None
    try:
        found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return None
    for *_, address in found:
        ip = ipaddress.ip_address(address[0].split("%", 1)[0])
        if not ip.is_global:
            return str(ip)
    return None


def add_endpoint(school_id: int, url: str) -> WebhookEndpoint:
    """Register an endpoint that receives events written from now on: an http(s) URL of a public
    address (``private_address``)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise WebhookError("Enter a full http:// or https:// address.")
    if private_address(url.strip()):
        raise WebhookError("That address is inside a private network. Webhooks go to your connector's public "
                           "address; ask your RRP host if it runs inside their network.")
    last = db.session.scalar(select(FeedCounter.last_seq).where(FeedCounter.school_id == school_id)) or 0
    endpoint = WebhookEndpoint(school_id=school_id, url=url.strip(), secret=new_secret(), cursor=last, active=True)
    db.session.add(endpoint)
    return endpoint


def remove_endpoint(endpoint: WebhookEndpoint) -> None:
    """Stop sending to the endpoint, retries included (what was still waiting is marked failed); its
    log stays for the record."""
    endpoint.active = False
    for delivery in db.session.scalars(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id,
                                                                     WebhookDelivery.state == "pending")):
        delivery.state = "failed"


def _claim(query):
    """Lock claimed rows so a second worker on PostgreSQL skips them (SQLite has one writer anyway)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True)
    return query


def enqueue() -> int:
    """Queue a delivery to every active endpoint for each event written since its cursor."""
    queued = 0
    for endpoint in db.session.scalars(_claim(select(WebhookEndpoint).where(WebhookEndpoint.active.is_(True)))):
        events = db.session.execute(select(FeedEvent.id, FeedEvent.seq).where(
            FeedEvent.school_id == endpoint.school_id, FeedEvent.seq > endpoint.cursor).order_by(FeedEvent.seq)).all()
        for event_id, seq in events:
            db.session.add(WebhookDelivery(school_id=endpoint.school_id, endpoint_id=endpoint.id, event_id=event_id,
                                           state="pending", attempts=0, next_attempt_at=utcnow()))
            endpoint.cursor = seq
            queued += 1
    return queued


def message(event: FeedEvent, base_url: str) -> dict:
    """The webhook body: what happened and where to fetch it, without the record itself."""
    feed = base_url.rstrip("/") + "/api/v1/events"
    return {"type": f"{event.record_type}.{event.action}", "timestamp": event.occurred_at.isoformat(),
            "data": {"event_id": f"evt_{event.id}", "sequence": event.seq, "record_type": event.record_type,
                     "record_id": event.record_id, "action": event.action,
                     "links": {"event": f"{feed}?cursor={event.seq - 1}&limit=1", "feed": feed}}}


Sender = Callable[[str, bytes, dict], int]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer (a 3xx, so a failed try), never followed: it could lead anywhere


def _vetted_connection(address, *args, **kwargs) -> socket.socket:
    """Connect, then refuse a peer inside a private network: the address actually connected to is the
    one checked, so a name that resolves to a public address for ``private_address`` and to a private
    one a moment later (DNS rebinding) still reaches nothing."""
    sock = socket.create_connection(address, *args, **kwargs)
    peer = sock.getpeername()[0]
    if not current_app.config.get("WEBHOOK_PRIVATE_ADDRESSES") and not ipaddress.ip_address(peer.split("%", 1)[0]).is_global:
        sock.close()
        raise OSError(f"refused: the address {peer} is inside a private network")
    return sock


class _VettedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = _vetted_connection


class _VettedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = _vetted_connection


class _VettedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_VettedHTTPConnection, req)


class _VettedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_VettedHTTPSConnection, req, context=self._context, check_hostname=self._check_hostname)


_OPENER = urllib.request.build_opener(_NoRedirect, _VettedHTTPHandler, _VettedHTTPSHandler)


def http_post(url: str, body: bytes, headers: dict) -> int:
    """POST and return the status code; a non-2xx answer (a redirect too) is a status, not an exception."""
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with _OPENER.open(request, timeout=TIMEOUT) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def attempt(delivery: WebhookDelivery, base_url: str, send: Sender = http_post, now: datetime | None = None,
            rng: random.Random | None = None) -> WebhookAttempt:
    """Try one delivery once, log the try, and set its next state (delivered, retry later, failed)."""
    now = now or utcnow()
    event, endpoint = delivery.event, delivery.endpoint
    body = json.dumps(message(event, base_url), separators=(",", ":"))
    message_id, timestamp = f"evt_{event.id}", int(time.time())
    headers = {"content-type": "application/json", "user-agent": USER_AGENT, "webhook-id": message_id,
               "webhook-timestamp": str(timestamp),
               "webhook-signature": sign(endpoint.secret, message_id, timestamp, body)}
    started = time.monotonic()
    status, error = None, None
    try:
        inside = private_address(endpoint.url)  # again at each try: a name may point elsewhere by now
        if inside:
            raise ValueError(f"refused: the address {inside} is inside a private network")
        status = send(endpoint.url, body.encode(), headers)
    # refused, timed out, DNS, bad URL, or something that is not an HTTP server answering (a wrong port):
    # a failed try of this delivery, never a stop of the worker that serves every school's webhooks
    except (OSError, ValueError, http.client.HTTPException) as exc:
        error = f"{type(exc).__name__}: {exc}"[:300]
    log = WebhookAttempt(delivery_id=delivery.id, attempted_at=now, status_code=status, error=error,
                         duration_ms=int((time.monotonic() - started) * 1000))
    delivery.attempt_rows.append(log)
    delivery.attempts += 1
    if status is not None and 200 <= status < 300:
        delivery.state = "delivered"
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.state = "failed"
    else:
        delivery.next_attempt_at = now + timedelta(seconds=backoff(delivery.attempts, rng))
    return log


def deliver_due(base_url: str, send: Sender = http_post, now: datetime | None = None, batch: int = 50) -> int:
    """Try every pending delivery whose time has come (oldest event first); commit after each.

    An endpoint that fails a try rests for the rest of the round: its other deliveries wait for the
    next round, so one school's unreachable receiver costs the round one timeout, not one for each of
    its queued events, and every other school's webhooks still go out."""
    now = now or utcnow()
    tried, resting = 0, set()
    while True:
        due = list(db.session.scalars(_claim(
            select(WebhookDelivery).where(WebhookDelivery.state == "pending", WebhookDelivery.next_attempt_at <= now,
                                          WebhookDelivery.endpoint_id.not_in(resting))
            .order_by(WebhookDelivery.event_id, WebhookDelivery.id).limit(batch))))
        for delivery in due:
            if delivery.endpoint_id in resting:
                continue
            if attempt(delivery, base_url, send, now).status_code not in range(200, 300):
                resting.add(delivery.endpoint_id)
            db.session.commit()
            tried += 1
        if len(due) < batch:
            return tried


def pending_count() -> int:
    return db.session.scalar(select(func.count(WebhookDelivery.id)).where(WebhookDelivery.state == "pending")) or 0
