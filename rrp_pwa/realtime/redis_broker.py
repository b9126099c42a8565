"""Redis pub/sub behind the broker interface, for several workers and machines (REDIS_URL).

Each process keeps one Redis subscription and fans messages out to its local subscribers
through an ``InProcessBroker``; a publish goes to Redis, so every worker (this one included)
delivers it. Redis holds no state: a device that reconnects reads the current state from the
database, so nothing is lost if Redis restarts.
"""
import json
import threading

import redis

from rrp_pwa.realtime.broker import InProcessBroker, Message, QueueSubscription


class RedisBroker:
    def __init__(self, url: str, prefix: str = "rrp:") -> None:
        self._redis = redis.Redis.from_url(url)
        self._prefix = prefix
        self._local = InProcessBroker()
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        self._lock = threading.Lock()
        self._listener: threading.Thread | None = None

    def publish(self, channel: str, message: Message) -> None:
        self._redis.publish(self._prefix + channel, json.dumps(message._asdict()))

    def subscribe(self, channel: str) -> QueueSubscription:
        subscription = self._local.subscribe(channel)
        subscription._broker = self  # unsubscribe through us, to drop the Redis channel when unused
        with self._lock:
            if self._local.subscriber_count(channel) == 1:
                self._pubsub.subscribe(self._prefix + channel)
            self._start_listener()
        return subscription

    def unsubscribe(self, subscription: QueueSubscription) -> None:
        with self._lock:
            self._local.unsubscribe(subscription)
            if self._local.subscriber_count(subscription.channel) == 0:
                self._pubsub.unsubscribe(self._prefix + subscription.channel)

    def subscriber_count(self, channel: str) -> int:
        return self._local.subscriber_count(channel)

    def _start_listener(self) -> None:
        if self._listener is None or not self._listener.is_alive():
            self._listener = threading.Thread(target=self._listen, name="rrp-redis-broker", daemon=True)
            self._listener.start()

    def _listen(self) -> None:
        while True:
            try:
                raw = self._pubsub.get_message(timeout=1.0)
            except (redis.ConnectionError, redis.TimeoutError):
                self._reconnect()
                continue
            except RuntimeError:  # no channel subscribed at the moment
                threading.Event().wait(0.05)
                continue
            if raw is None or raw.get("type") != "message":
                continue
            channel = raw["channel"].decode()[len(self._prefix):]
            self._local.publish(channel, Message(**json.loads(raw["data"])))

    def _reconnect(self) -> None:
        """Resubscribe to every channel that still has local subscribers after a Redis hiccup."""
        threading.Event().wait(0.5)
        with self._lock:
            channels = [self._prefix + c for c in list(self._local._channels)]
            self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            if channels:
                self._pubsub.subscribe(*channels)
