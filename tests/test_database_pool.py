"""Pooled PostgreSQL connections: pinged only after sitting idle, and replaced if the server dropped them.

Runs against the machine's PostgreSQL (CI always runs it), whichever database the suite uses.
"""
import pytest
from sqlalchemy import create_engine, exc, text

from rrp_pwa.database import ping_if_idle

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(text("SELECT pg_backend_pid()"))


def terminate(pid: int) -> None:
    admin = create_engine(PG_URL)
    with admin.connect() as conn:
        assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        conn.commit()
    admin.dispose()


def pool_of_one(idle_seconds: float):
    engine = create_engine(PG_URL, pool_size=1, max_overflow=0)
    ping_if_idle(engine, idle_seconds)
    return engine


def test_an_idle_connection_the_server_dropped_is_replaced_before_use():
    engine = pool_of_one(idle_seconds=0.0)  # every pooled connection counts as idle
    try:
        first = backend_pid(engine)
        terminate(first)
        second = backend_pid(engine)  # the ping found it dead; the pool connected afresh
        assert second != first
    finally:
        engine.dispose()


def test_a_connection_just_used_is_not_pinged():
    engine = pool_of_one(idle_seconds=3600.0)
    pings = []
    engine.dialect.do_ping = lambda dbapi_connection: pings.append(1) or True
    try:
        first = backend_pid(engine)
        assert backend_pid(engine) == first and pings == []
        terminate(first)
        # Not pinged, so the dead connection is used: the request fails once and the pool is reset...
        with pytest.raises(exc.OperationalError):
            backend_pid(engine)
        # ...and the next one connects afresh.
        assert backend_pid(engine) != first
    finally:
        engine.dispose()
