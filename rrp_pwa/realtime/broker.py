"""The broker interface and its in-process implementation.

A channel is a string such as ``circle:42``. ``publish`` is called after the database commit
of the change it announces; each subscriber has its own bounded queue, so one slow device
never holds up the others (its oldest messages are dropped and it catches up from the
latest message, which always carries the current state).
Under gunicorn's gevent worker, threading and queue are monkey-patched, so waiting on a
subscription yields to other greenlets instead of blocking the worker.
"""
import queue
import threading
from typing import NamedTuple, Protocol


class Message(NamedTuple):
    """One Server-Sent Event: ``event`` name, ``data`` text (often an HTML fragment or JSON), ``id``."""

    event: str
    data: str
    id: str | None = None


class Subscription(Protocol):
    def get(self, timeout: float) -> Message | None:
        """The next message, or None if ``timeout`` seconds pass without one."""

    def close(self) -> None:
        """Stop receiving; safe to call twice."""


class Broker(Protocol):
    def publish(self, channel: str, message: Message) -> None: ...

    def subscribe(self, channel: str) -> Subscription: ...


class QueueSubscription:
    """A subscriber's bounded queue. When full, the oldest message gives way to the newest."""

    def __init__(self, broker: "InProcessBroker", channel: str, maxsize: int = 64) -> None:
        self._broker, self.channel = broker, channel
        self._queue: queue.Queue[Message] = queue.Queue(maxsize=maxsize)
        self.closed = False

    def put(self, message: Message) -> None:
        while True:
            try:
                self._queue.put_nowait(message)
                return
            except queue.Full:
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    pass

    def get(self, timeout: float) -> Message | None:
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._broker.unsubscribe(self)


class InProcessBroker:
    """Fan-out inside one process: the embedded default (one gunicorn gevent worker)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._channels: dict[str, set[QueueSubscription]] = {}

    def publish(self, channel: str, message: Message) -> None:
        with self._lock:
            subscribers = list(self._channels.get(channel, ()))
        for subscription in subscribers:
            subscription.put(message)

    def subscribe(self, channel: str) -> QueueSubscription:
        subscription = QueueSubscription(self, channel)
        with self._lock:
            self._channels.setdefault(channel, set()).add(subscription)
        return subscription

    def unsubscribe(self, subscription: QueueSubscription) -> None:
        with self._lock:
            subscribers = self._channels.get(subscription.channel)
            if subscribers is not None:
                subscribers.discard(subscription)
                if not subscribers:
                    del self._channels[subscription.channel]

    def subscriber_count(self, channel: str) -> int:
        with self._lock:
            return len(self._channels.get(channel, ()))
