"""Redis pub/sub behind the broker interface, for several workers and machines (REDIS_URL).

Each process holds ONE pattern subscription (``rrp:*``) on its own connection, read by one
listener thread (a greenlet under gevent), and fans messages out to its local subscribers
through an ``InProcessBroker``; messages for channels with no local subscriber are dropped.
A publish reaches this process's own subscribers at once, exactly as the embedded broker does,
and goes to Redis tagged with this process's origin, so every other worker delivers it once
and this one skips its own echo: the devices streaming from the worker that handled a change
do not wait for a round trip through Redis, nor for their worker to unpack what it just packed.
Redis holds no state: a device that reconnects reads the current state from the database,
and if Redis restarts the listener re-subscribes and the next change reaches everyone.
Messages travel zlib-compressed: a circle's change carries every device's rendered fragments
(tens of KB of similar HTML, about a tenth of that compressed), and every worker receives it.
"""
import logging
import secrets
import threading
import zlib

import redis

from rrp_pwa.realtime.broker import InProcessBroker, Message, QueueSubscription

log = logging.getLogger(__name__)


def pack(message: Message, origin: str = "") -> bytes:
    """The ``origin`` line as it is, then ``event``, ``id`` and the data, zlib-compressed.

    The origin stays outside the compression so that a worker can skip its own echo without
    unpacking it. The data is often a whole circle's state already serialised as JSON (~45 KB for 31 seats);
    wrapping it in JSON again would escape every quote of its HTML and make every worker parse it twice.
    """
    if any("\n" in part for part in (origin, message.event, message.id or "")):
        raise ValueError("an origin, event name or id cannot contain a line break")
    id_line = "" if message.id is None else "i" + message.id  # "i" tells an empty id from no id
    return origin.encode() + b"\n" + zlib.compress(f"{message.event}\n{id_line}\n{message.data}".encode(), 1)


def unpack(raw: bytes) -> tuple[str, Message]:
    """The origin that published the message, and the message."""
    origin, _, body = raw.partition(b"\n")
    return origin.decode(), unpack_body(body)


def unpack_body(body: bytes) -> Message:
    event, id_, data = zlib.decompress(body).decode().split("\n", 2)
    return Message(event, data, id_[1:] if id_ else None)


class RedisBroker:
    def __init__(self, url: str, prefix: str = "rrp:") -> None:
        self._redis = redis.Redis.from_url(url, health_check_interval=30)
        self._prefix = prefix
        self._local = InProcessBroker()
        self._start_lock = threading.Lock()
        self._listener: threading.Thread | None = None
        self._ready = threading.Event()
        self._origin = secrets.token_hex(8)
        self._origin_bytes = self._origin.encode()

    def publish(self, channel: str, message: Message) -> None:
        self._local.publish(channel, message)
        self._redis.publish(self._prefix + channel, pack(message, self._origin))

    def subscribe(self, channel: str) -> QueueSubscription:
        self._ensure_listener()
        return self._local.subscribe(channel)

    def subscriber_count(self, channel: str) -> int:
        return self._local.subscriber_count(channel)

    def wait_ready(self, timeout: float = 5.0) -> bool:
        """True once the pattern subscription is live (tests and benchmarks wait for it)."""
        self._ensure_listener()
        return self._ready.wait(timeout)

    def _ensure_listener(self) -> None:
        with self._start_lock:
            if self._listener is None or not self._listener.is_alive():
                self._listener = threading.Thread(target=self._listen, name="rrp-redis-broker", daemon=True)
                self._listener.start()

    def _deliver(self, channel: bytes, raw: bytes) -> None:
        """Hand a message from Redis to this process's devices; one that cannot be read (e.g. from a
        worker of another release during a rolling restart) is logged and dropped, and the listener
        goes on: devices catch up from the next change, or from the database when they reconnect."""
        name = channel.decode()[len(self._prefix):]
        origin, _, body = raw.partition(b"\n")
        # this process delivered its own messages when it published them
        if origin == self._origin_bytes or not self._local.subscriber_count(name):
            return
        try:
            message = unpack_body(body)
        except (zlib.error, UnicodeDecodeError, ValueError) as exc:
            log.warning("Redis broker dropped a message on %s it could not read (%s)", name, exc)
            return
        self._local.publish(name, message)

    def _listen(self) -> None:
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.psubscribe(self._prefix + "*")
                self._ready.set()
                while True:
                    raw = pubsub.get_message(timeout=5.0)
                    if raw is not None and raw.get("type") == "pmessage":
                        self._deliver(raw["channel"], raw["data"])
            except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
                self._ready.clear()
                log.warning("Redis broker lost its connection (%s); reconnecting", exc)
                threading.Event().wait(0.5)
            finally:
                pubsub.close()
