"""The event feed: every new, changed or deleted record of a registered type becomes an event.

Capabilities need no changes: a model is registered here (``register_record``) and a session
listener notices its rows in every flush. Just before the transaction commits, the listener
numbers the school's events from a per-school counter row that it locks (an UPDATE holds the
row lock until commit), so events become visible in sequence order and a reader polling
``seq > cursor`` never skips one that commits later with a smaller number.

Safeguarding concerns can never be registered: they stay in the DSL's restricted queue.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, event, inspect, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from rrp_pwa.extensions import db
from rrp_pwa.models.roster import utcnow
from rrp_pwa.models.safeguarding import Concern
from rrp_pwa.models.sync import FeedCounter, FeedEvent

PENDING = "rrp_feed_pending"
MAX_LIMIT = 500


class NeverInFeed(Exception):
    """Raised when code tries to register a record type that must never leave the school (concerns)."""


class BadCursor(Exception):
    """The cursor is not one this feed gave out."""


@dataclass(frozen=True)
class RecordType:
    model: type
    name: str
    to_json: Callable[[Any], dict]
    school_of: Callable[[Any], int]
    scoped: Callable[[int], Select]
    when: Any
    involving: Callable[[int], ColumnElement[bool]]
    ready: Callable[[Any], bool]


_TYPES: dict[type, RecordType] = {}
_CHILDREN: dict[type, Callable[[Any], Any]] = {}


def register_record(model: type, record_type: str, to_json: Callable[[Any], dict], *, when: Any,
                    involving: Callable[[int], ColumnElement[bool]],
                    school_of: Callable[[Any], int] | None = None,
                    scoped: Callable[[int], Select] | None = None,
                    ready: Callable[[Any], bool] | None = None) -> None:
    """Put ``model`` in the feed (and in exports) as ``record_type``, serialised by ``to_json``.

    ``when`` is the column that dates a record; ``involving(pupil_id)`` a condition selecting the
    records about a pupil; ``scoped(school_id)`` a SELECT of one school's records (by default
    ``model.school_id``) and ``school_of(record)`` the school of one record. With ``ready``, a
    record enters the feed only once ``ready(record)`` is true (a finished mediation, not each step).
    """
    if model is Concern:
        raise NeverInFeed("Safeguarding concerns never enter the feed, webhooks or exports.")
    _TYPES[model] = RecordType(model, record_type, to_json,
                               school_of or (lambda record: record.school_id),
                               scoped or (lambda school_id: select(model).where(model.school_id == school_id)),
                               when, involving, ready or (lambda record: True))


def register_child(model: type, parent_of: Callable[[Any], Any]) -> None:
    """A change to a ``model`` row (e.g. an agreement party) is a change to its parent record."""
    _CHILDREN[model] = parent_of


def record_types() -> list[RecordType]:
    return list(_TYPES.values())


def entered(record: Any) -> None:
    """``record`` has just become ready (a peer mediation's agreements, once it ends agreed): it enters
    the feed as created when the transaction commits, since no reader has seen it before."""
    _note(db.session(), record, "created")


def _note(session: Session, record: Any, action: str) -> None:
    kind = _TYPES[type(record)]
    pending: dict = session.info.setdefault(PENDING, {})
    key = (kind.name, id(record))
    before = pending.get(key, (None, record))[0]
    if before == "created" and action == "deleted":
        pending.pop(key)
        return
    if before in ("created", "deleted"):
        return
    pending[key] = (action, record)


def _after_flush(session: Session, _context) -> None:
    for record in session.new:
        if type(record) in _TYPES:
            _note(session, record, "created")
    for record in session.dirty:
        if type(record) in _TYPES and session.is_modified(record):
            _note(session, record, "updated")
    for record in session.deleted:
        if type(record) in _TYPES:
            _note(session, record, "deleted")
    for record in list(session.new) + list(session.dirty) + list(session.deleted):
        parent_of = _CHILDREN.get(type(record))
        parent = parent_of(record) if parent_of else None
        if parent is not None and type(parent) in _TYPES and inspect(parent).persistent:
            _note(session, parent, "updated")


def _before_commit(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint: the events are written when the whole transaction commits
    session.flush()  # commit flushes after this hook; flushing first lets _after_flush see everything
    pending: dict = session.info.pop(PENDING, {})
    rows: list[tuple[int, str, RecordType, Any]] = []
    for action, record in pending.values():
        state = inspect(record)
        if action == "deleted" and not (state.deleted or state.was_deleted):
            continue
        if action != "deleted" and not state.persistent:
            continue  # added in a savepoint that was rolled back
        kind = _TYPES[type(record)]
        if not kind.ready(record):
            continue  # not yet in the record (a mediator's draft): neither is its change nor its removal
        rows.append((kind.school_of(record), action, kind, record))
    if not rows:
        return
    rows.sort(key=lambda row: row[0])  # stable: within a school, the order the records were flushed
    now = utcnow()
    for school_id in sorted({row[0] for row in rows}):
        mine = [row for row in rows if row[0] == school_id]
        first = _reserve(session, school_id, len(mine))
        for offset, (_, action, kind, record) in enumerate(mine):
            body = {"id": record.id, "type": kind.name} if action == "deleted" else kind.to_json(record)
            session.add(FeedEvent(school_id=school_id, seq=first + offset, action=action, record_type=kind.name,
                                  record_id=record.id, occurred_at=now, record=json.dumps(body, default=str)))
    session.flush()


def _reserve(session: Session, school_id: int, count: int) -> int:
    """Take ``count`` sequence numbers for the school; the counter row stays locked until commit."""
    connection = session.connection()
    dialect = {"postgresql": postgresql, "sqlite": sqlite}.get(connection.dialect.name)
    if dialect is not None:
        connection.execute(dialect.insert(FeedCounter).values(school_id=school_id, last_seq=0)
                           .on_conflict_do_nothing(index_elements=["school_id"]))
    elif connection.execute(select(FeedCounter.school_id).where(FeedCounter.school_id == school_id)).first() is None:
        connection.execute(FeedCounter.__table__.insert().values(school_id=school_id, last_seq=0))
    last = connection.execute(update(FeedCounter).where(FeedCounter.school_id == school_id)
                              .values(last_seq=FeedCounter.last_seq + count)
                              .returning(FeedCounter.last_seq)).scalar_one()
    return last - count + 1


def _after_transaction_end(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(PENDING, None)


def install() -> None:
    """Listen on every session (idempotent): the app's and any a worker or test opens."""
    for name, listener in (("after_flush", _after_flush), ("before_commit", _before_commit),
                           ("after_transaction_end", _after_transaction_end)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def event_json(feed_event: FeedEvent) -> dict:
    """The documented shape of one event in the feed."""
    return {"id": f"evt_{feed_event.id}", "sequence": feed_event.seq, "action": feed_event.action,
            "type": feed_event.record_type, "record_id": feed_event.record_id,
            "time": feed_event.occurred_at.isoformat(), "record": json.loads(feed_event.record)}


def read_feed(school_id: int, cursor: str | None, limit: int) -> tuple[list[FeedEvent], int, bool]:
    """The school's events after ``cursor`` (a sequence number; empty = from the start), oldest first.

    Returns the events, the cursor to send next time (unchanged when there is nothing new) and
    whether more events are waiting after these.
    """
    try:
        after = int(cursor) if cursor else 0
    except ValueError:
        raise BadCursor from None
    if after < 0:
        raise BadCursor
    limit = max(1, min(limit, MAX_LIMIT))
    events = list(db.session.scalars(select(FeedEvent).where(FeedEvent.school_id == school_id, FeedEvent.seq > after)
                                     .order_by(FeedEvent.seq).limit(limit + 1)))
    more = len(events) > limit
    events = events[:limit]
    return events, events[-1].seq if events else after, more
