"""Engine set-up that differs by database."""
from sqlalchemy import event, make_url
from sqlalchemy.engine import Engine

POOL_SIZING = ("pool_size", "max_overflow", "pool_timeout")


def engine_options(uri: str, options: dict) -> dict:
    """The engine options for ``uri``. Pool sizing is for a pool of connections; an in-memory
    SQLite database has one static connection, which refuses those options."""
    url = make_url(uri)
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return {key: value for key, value in options.items() if key not in POOL_SIZING}
    return dict(options)


def configure_engine(engine: Engine) -> None:
    """SQLite: enforce foreign keys, write-ahead log for concurrent readers, wait on locks."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        # With WAL, NORMAL is still safe from corruption; each commit no longer waits for an
        # fsync, which would stall every greenlet of the gevent worker.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()
