"""The broker fans messages out to every subscriber of a channel, and only that channel."""
import pytest

from rrp_pwa.realtime.broker import InProcessBroker, Message
from rrp_pwa.realtime.sse import event_stream, format_event



def make_broker(kind):
    if kind == "memory":
        return InProcessBroker()
    from rrp_pwa.realtime.redis_broker import RedisBroker

    return RedisBroker("redis://127.0.0.1:6379/0", prefix="rrp-test:")


@pytest.mark.parametrize("kind", ["memory", "redis"])
def test_every_subscriber_of_a_channel_gets_each_message_once(kind):
    broker = make_broker(kind)
    devices = [broker.subscribe("circle:1") for _ in range(5)]
    other = broker.subscribe("circle:2")

    if kind == "redis":
        assert broker.wait_ready()
    broker.publish("circle:1", Message("piece", "<p>Amira has the talking piece</p>", "7"))
    for device in devices:
        assert device.get(timeout=2) == Message("piece", "<p>Amira has the talking piece</p>", "7")
        assert device.get(timeout=0.05) is None
    assert other.get(timeout=0.2) is None
    for subscription in (*devices, other):
        subscription.close()
    assert broker.subscriber_count("circle:1") == 0


def test_a_slow_device_keeps_only_the_newest_messages():
    broker = InProcessBroker()
    slow = broker.subscribe("circle:1")
    for version in range(100):
        broker.publish("circle:1", Message("piece", f"v{version}", str(version)))
    received = []
    while (message := slow.get(timeout=0.01)) is not None:
        received.append(message.id)
    assert received[-1] == "99" and len(received) == 64


def test_event_stream_opens_sends_the_current_state_then_pings_and_closes_the_subscription():
    broker = InProcessBroker()
    subscription = broker.subscribe("circle:1")
    stream = event_stream(subscription, [Message("state", "<div>now</div>", "3")], ping_seconds=0.01,
                          stop_after=lambda m: m.event == "closed")
    assert next(stream).startswith(": open")
    assert next(stream) == "event: state\nid: 3\ndata: <div>now</div>\n\n"
    assert next(stream) == ": ping\n\n"
    broker.publish("circle:1", Message("closed", "line one\nline two", "4"))
    assert next(stream) == "event: closed\nid: 4\ndata: line one\ndata: line two\n\n"
    with pytest.raises(StopIteration):
        next(stream)
    assert broker.subscriber_count("circle:1") == 0


def test_format_event_without_id():
    assert format_event(Message("ping", "")) == "event: ping\ndata: \n\n"


def test_a_message_published_by_one_worker_reaches_devices_streaming_from_another():
    from rrp_pwa.realtime.redis_broker import RedisBroker

    worker_a = RedisBroker("redis://127.0.0.1:6379/0", prefix="rrp-test-x:")
    worker_b = RedisBroker("redis://127.0.0.1:6379/0", prefix="rrp-test-x:")
    on_a, on_b = worker_a.subscribe("circle:9"), worker_b.subscribe("circle:9")
    assert worker_a.wait_ready() and worker_b.wait_ready()
    worker_a.publish("circle:9", Message("piece", "passed", "12"))
    assert on_a.get(timeout=0) == Message("piece", "passed", "12"), "the publishing worker's devices get it at once"
    assert on_b.get(timeout=2) == Message("piece", "passed", "12")
    worker_b.publish("circle:9", Message("piece", "passed on", "13"))
    assert on_a.get(timeout=2) == Message("piece", "passed on", "13")
    assert on_b.get(timeout=0) == Message("piece", "passed on", "13")
    assert on_a.get(timeout=0.3) is None and on_b.get(timeout=0.3) is None, "each worker delivers a change once"
    on_a.close()
    on_b.close()


def test_a_message_no_worker_can_read_is_dropped_and_the_next_still_arrives():
    """E.g. from a worker of the previous release during a rolling restart: the listener must go on."""
    import redis

    from rrp_pwa.realtime.redis_broker import RedisBroker

    worker_a = RedisBroker("redis://127.0.0.1:6379/0", prefix="rrp-test-y:")
    worker_b = RedisBroker("redis://127.0.0.1:6379/0", prefix="rrp-test-y:")
    on_b = worker_b.subscribe("circle:9")
    assert worker_b.wait_ready()
    raw = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    raw.publish("rrp-test-y:circle:9", b"x\x9c not zlib at all")
    raw.publish("rrp-test-y:circle:9", b"old-format\nchange\ni3\n{}")
    raw.close()
    worker_a.publish("circle:9", Message("piece", "passed", "14"))
    assert on_b.get(timeout=2) == Message("piece", "passed", "14")
    assert on_b.get(timeout=0.3) is None
    on_b.close()


@pytest.mark.parametrize("message", [
    Message("change", '{"v": 3, "html": "<p class=\\"x\\">Amira\\nhas it</p>"}', "3"),
    Message("alert", "", None),
    Message("checkins", "line one\nline two\n\nend", ""),
    Message("piece", "naïve – “quotes”", "12"),
])
def test_a_message_crosses_redis_unchanged(message):
    from rrp_pwa.realtime.redis_broker import pack, unpack

    assert unpack(pack(message, "a1b2")) == ("a1b2", message)


def test_an_event_name_with_a_line_break_is_refused():
    from rrp_pwa.realtime.redis_broker import pack

    with pytest.raises(ValueError):
        pack(Message("a\nb", "data"))
