"""Counting attempts in fixed windows: in-process by default, in Redis when REDIS_URL is set.

Used for sign-in (per account and per IP) and, later, for join codes. With several workers the
counters must be shared, which is why Redis takes over when it is configured.
"""
import threading
import time


class MemoryThrottle:
    """Fixed-window counters in this process (the embedded single-worker profile)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}

    def hit(self, key: str, window: int) -> int:
        """Count one attempt against ``key``; return the count in the current window."""
        now = time.monotonic()
        with self._lock:
            started, count = self._windows.get(key, (now, 0))
            if now - started >= window:
                started, count = now, 0
            self._windows[key] = (started, count + 1)
            return count + 1

    def count(self, key: str, window: int) -> int:
        with self._lock:
            started, count = self._windows.get(key, (0.0, 0))
            return count if time.monotonic() - started < window else 0

    def reset(self, key: str) -> None:
        with self._lock:
            self._windows.pop(key, None)


class RedisThrottle:
    """The same counters in Redis, so limits hold across workers and machines."""

    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url)

    def hit(self, key: str, window: int) -> int:
        pipe = self._redis.pipeline()
        pipe.incr(f"throttle:{key}")
        pipe.expire(f"throttle:{key}", window, nx=True)
        count, _ = pipe.execute()
        return int(count)

    def count(self, key: str, window: int) -> int:
        value = self._redis.get(f"throttle:{key}")
        return int(value or 0)

    def reset(self, key: str) -> None:
        self._redis.delete(f"throttle:{key}")


def make_throttle(redis_url: str | None):
    return RedisThrottle(redis_url) if redis_url else MemoryThrottle()
