"""Live updates: a publish/subscribe broker and Server-Sent Events streams.

``init_app`` picks the broker: in-process for the embedded single-worker profile, Redis
pub/sub when REDIS_URL is set so that a change handled by one worker reaches devices streaming
from another. Either way the broker carries notifications only; the database is the state.
"""
from flask import Flask, current_app

from rrp_pwa.realtime.broker import Broker, InProcessBroker, Message, Subscription

__all__ = ["Broker", "InProcessBroker", "Message", "Subscription", "broker", "init_app"]


def init_app(app: Flask) -> None:
    redis_url = app.config.get("REDIS_URL")
    if redis_url and app.config.get("REALTIME_BROKER", "auto") != "memory":
        from rrp_pwa.realtime.redis_broker import RedisBroker

        app.extensions["rrp_broker"] = RedisBroker(redis_url)
    else:
        app.extensions["rrp_broker"] = InProcessBroker()


def broker() -> Broker:
    """The current app's broker."""
    return current_app.extensions["rrp_broker"]
