"""Turning broker messages into a text/event-stream response.

The stream sends a comment at once (so proxies and browsers see the stream open), the
current state (so a device that reconnects with Last-Event-ID is up to date immediately),
then each message as it comes, and a ping comment every ``ping_seconds`` so that proxies do
not buffer or drop an idle stream. The caller must release its database session before
returning the response: a stream must never hold a connection while it waits.
"""
from collections.abc import Callable, Iterable, Iterator

from flask import Response

from rrp_pwa.realtime.broker import Message, Subscription

PING_SECONDS = 15.0


def format_event(message: Message) -> str:
    lines = [f"event: {message.event}"]
    if message.id is not None:
        lines.append(f"id: {message.id}")
    lines.extend(f"data: {line}" for line in message.data.splitlines() or [""])
    return "\n".join(lines) + "\n\n"


def event_stream(subscription: Subscription, initial: Iterable[Message],
                 transform: Callable[[Message], Iterable[Message]] = lambda m: (m,),
                 ping_seconds: float = PING_SECONDS, stop_after: Callable[[Message], bool] = lambda m: False,
                 ) -> Iterator[str]:
    """Yield the SSE text: an opening comment, ``initial``, then transformed broker messages.

    ``transform`` lets a stream tailor a broadcast to one device (e.g. pick the holder's
    fragment); ``stop_after`` ends the stream after a final message (e.g. circle closed).
    The subscription is closed however the stream ends (including a client disconnect).
    """
    try:
        yield ": open\nretry: 2000\n\n"
        for message in initial:
            yield format_event(message)
        while True:
            message = subscription.get(timeout=ping_seconds)
            if message is None:
                yield ": ping\n\n"
                continue
            for out in transform(message):
                yield format_event(out)
            if stop_after(message):
                return
    finally:
        subscription.close()


def sse_response(stream: Iterator[str]) -> Response:
    response = Response(stream, mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache, no-transform"
    response.headers["X-Accel-Buffering"] = "no"
    return response
