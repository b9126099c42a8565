"""What the server side of every offline outbox shares (the staff's, rrp_pwa/sync/ingest.py, and the
check-in station's, rrp_pwa/checkins/kept.py): the answer for each item, and the device's clock.

A device's clock may be wrong (set by hand, a flat battery, another time zone). A batch says when the
device sent it (``sent_at``, by its own clock); when that is more than CLOCK_TOLERANCE from the
server's, every time in the batch is moved by the difference (``clock_error``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

MAX_BATCH = 100
CLOCK_TOLERANCE = timedelta(minutes=2)  # more than a slow network's delay: a clock this far out is wrong


class ItemRejected(Exception):
    """The item can't be stored as it is; the message tells the user what to fix."""


@dataclass(frozen=True)
class Result:
    uuid: str
    status: str               # created, duplicate, rejected, deferred (kept waiting on the device)
    reason: str | None = None
    record_id: int | None = None
    code: str | None = None   # why, for the device's script to act on (a deferred station check-in: kept.py)

    def as_json(self) -> dict:
        body: dict[str, Any] = {"uuid": self.uuid, "status": self.status}
        if self.reason:
            body["reason"] = self.reason
        if self.record_id is not None:
            body["id"] = self.record_id
        if self.code:
            body["code"] = self.code
        return body


def clock_error(sent_at: Any, now: datetime | None = None) -> timedelta:
    """How far the device's clock is ahead of the server's (negative: behind), from the time it says
    it sent the batch; zero when it is within CLOCK_TOLERANCE or says nothing readable."""
    try:
        device_now = device_time(sent_at)
    except ItemRejected:
        return timedelta(0)
    if device_now is None:
        return timedelta(0)
    error = device_now - (now or datetime.now(timezone.utc))
    return error if abs(error) > CLOCK_TOLERANCE else timedelta(0)


def device_time(value: Any) -> datetime | None:
    """A time a device sent (ISO 8601, by its own clock), as UTC if it names no zone; None if empty."""
    if value in (None, ""):
        return None
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ItemRejected("The time this was made is not readable; make it again.") from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
