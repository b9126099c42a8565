"""Every query for school data goes through here, filtered by the signed-in person's school."""
from contextlib import contextmanager
from typing import TypeVar

from flask import abort
from flask_login import current_user
from sqlalchemy import Select, func, select, text, update
from sqlalchemy.exc import OperationalError

from rrp_pwa.extensions import db

T = TypeVar("T")


def current_school_id() -> int:
    """The school of whoever is signed in; a request without one has no school data to see."""
    school_id = getattr(current_user, "school_id", None)
    if school_id is None:
        abort(404)
    return school_id


def scoped(model: type[T], school_id: int | None = None) -> Select[tuple[T]]:
    """A SELECT of ``model`` rows that belong to the current (or given) school only."""
    return select(model).where(model.school_id == (school_id or current_school_id()))


def one_or_404(query: Select[tuple[T]]) -> T:
    """The row a scoped query finds; a row the person may not see is indistinguishable from none."""
    found = db.session.scalar(query)
    if found is None:
        abort(404)
    return found


def get_scoped_or_404(model: type[T], object_id: int, school_id: int | None = None) -> T:
    """One row of the current school by id; another school's row is indistinguishable from none."""
    return one_or_404(scoped(model, school_id).where(model.id == object_id))


def lock_scoped_or_404(model: type[T], object_id: int) -> T:
    """One row of the current school by id, held until this transaction ends, for a change made from
    what it shows (a review, a new date). Someone changing or deleting the row at the same moment -
    a second reviewer, the retention purge - is waited for, and the row is then read as they left
    it, or not found (404) if they deleted it; without the hold the change would be made from what
    was read before, and fail (a foreign key to a deleted row) or stack on theirs unseen.

    PostgreSQL locks the row (SELECT ... FOR UPDATE). SQLite ignores FOR UPDATE and has one writer at
    a time: a no-op update of the row takes the database's write lock before the row is read."""
    session = db.session
    where = (model.id == object_id, model.school_id == current_school_id())
    if session.get_bind().dialect.name == "sqlite":
        session.execute(update(model).where(*where).values(id=model.id).execution_options(synchronize_session=False))
    return one_or_404(select(model).where(*where).with_for_update().execution_options(populate_existing=True))


class SchoolBusy(Exception):
    """Another transaction held what ``hold_school`` waited for longer than it may wait (or the
    database broke a deadlock with it): the caller rolls back; nothing was written."""


@contextmanager
def hold_school(school_id: int, wait_ms: int):
    """Hold the school for writing until this transaction ends, then run the block with every lock
    it takes waiting at most ``wait_ms`` (raise SchoolBusy after that). For the school-wide jobs
    that must not run beside each other or see the school change under them (a roster import, the
    retention purge).

    PostgreSQL: the school's row is locked FOR NO KEY UPDATE, which still lets other transactions
    write rows that point at the school (chats, check-ins); ``lock_timeout`` bounds the waits.
    SQLite has one writer at a time: a no-op update of the school's row takes the database's write
    lock before anything is read (waiting at most ``wait_ms`` or SQLITE_BUSY_TIMEOUT_MS, the
    shorter), so nothing commits between the block's reads and its writes."""
    from rrp_pwa.database import SQLITE_BUSY_TIMEOUT_MS
    from rrp_pwa.models import School

    session = db.session
    try:
        if session.get_bind().dialect.name == "postgresql":
            before = session.scalar(select(func.current_setting("lock_timeout")))
            session.execute(select(func.set_config("lock_timeout", f"{wait_ms}ms", True)))
            session.execute(select(School.id).where(School.id == school_id).with_for_update(key_share=True))
            yield
            session.execute(select(func.set_config("lock_timeout", before, True)))
        else:
            connection = session.connection()
            connection.execute(text(f"PRAGMA busy_timeout = {min(wait_ms, SQLITE_BUSY_TIMEOUT_MS)}"))
            try:
                session.execute(update(School).where(School.id == school_id).values(name=School.name)
                                .execution_options(synchronize_session=False))
            finally:
                connection.execute(text(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}"))
            yield
    except OperationalError as error:
        if getattr(error.orig, "sqlstate", None) in ("55P03", "40P01") or "database is locked" in str(error.orig):
            raise SchoolBusy from error
        raise
