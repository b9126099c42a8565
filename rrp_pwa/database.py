"""Engine set-up that differs by database."""
import time

from sqlalchemy import event, exc, make_url
from sqlalchemy.engine import Engine

QUEUE_POOL_OPTIONS = ("pool_size", "max_overflow", "pool_timeout", "pool_use_lifo")

# A pooled server connection used this recently is trusted as it is; one idle for longer is pinged
# when it is next checked out, and replaced if the server has gone away meanwhile.
PING_AFTER_IDLE_SECONDS = 10.0
# How long an SQLite connection waits for another's write to finish before "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 5000


def engine_options(uri: str, options: dict) -> dict:
    """The engine options for ``uri``. Pool sizing and order are for a pool of connections; an
    in-memory SQLite database has one static connection, which refuses those options."""
    url = make_url(uri)
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return {key: value for key, value in options.items() if key not in QUEUE_POOL_OPTIONS}
    return dict(options)


def configure_engine(engine: Engine) -> None:
    """SQLite: enforce foreign keys, write-ahead log for concurrent readers, wait on locks.
    A database server (PostgreSQL): ping connections that have been idle, see ``ping_if_idle``."""
    if engine.dialect.name != "sqlite":
        ping_if_idle(engine)
        return

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        # With WAL, NORMAL is still safe from corruption; each commit no longer waits for an
        # fsync, which would stall every greenlet of the gevent worker.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()


def ping_if_idle(engine: Engine, idle_seconds: float = PING_AFTER_IDLE_SECONDS) -> None:
    """Check a pooled connection before use only if it has been idle for ``idle_seconds``.

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout: a round trip on every request, which is
    about a tenth of a talking-piece pass on PostgreSQL. A connection that served a request a moment
    ago is as good as a ping (the pool lends the connection returned last first, ``pool_use_lifo``,
    so under light traffic one connection stays in use and is not pinged each time); one that sat
    idle (the server may have restarted, a firewall may have dropped it) is pinged, and if the ping finds it dead the pool discards it and checks out another
    (raising ``DisconnectionError`` from a checkout listener is SQLAlchemy's documented way). A server
    that goes away while connections are busy fails those requests once; SQLAlchemy then invalidates
    the whole pool, so the next requests reconnect.
    """
    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection, record):
        if record is not None:
            record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection, record, _proxy):
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < idle_seconds:
            return  # a new connection, or one just used
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            if engine.dialect.is_disconnect(error, dbapi_connection, None):
                raise exc.DisconnectionError() from error
            raise
