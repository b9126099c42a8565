"""Where a concern was raised, as the DSL reads it: which record, and a link to it when they may open it.

The concern points at its record (``context_kind``/``context_id``); the record never points back. The
link is offered only where the reader's roles open that record's page (the DSL reads every pupil's
records, but a peer mediation's record is the mediation lead's page), so no link leads to a refusal.
"""
from dataclasses import dataclass
from datetime import datetime

from flask import url_for

from rrp_pwa.extensions import db
from rrp_pwa.mediation.review import LEAD_ROLES
from rrp_pwa.models.circles import Circle
from rrp_pwa.models.conversations import Conversation, QuickChat
from rrp_pwa.models.mediation import Mediation
from rrp_pwa.models.roster import Pupil, Staff
from rrp_pwa.models.safeguarding import Concern
from rrp_pwa.records.access import may_read
from rrp_pwa.roster.directory import sees_whole_school, visible_pupils


@dataclass(frozen=True)
class RaisedFrom:
    """``what`` the record was ("A quick chat"), ``detail`` naming it (who logged it), ``at`` when it
    happened, and ``url`` when the reader may open it."""

    what: str
    detail: str | None = None
    at: datetime | None = None
    url: str | None = None


def raised_from(concern: Concern, reader: Staff) -> RaisedFrom:
    """The record ``concern`` was raised from, as ``reader`` may see it. A record of another school, or
    one no longer there, is named only by its kind."""
    what = concern.raised_from[:1].upper() + concern.raised_from[1:]
    if concern.context_kind == "pupil":
        return RaisedFrom(what, url=pupil_url(concern, reader))
    record = _record(concern)
    if record is None or record.school_id != reader.school_id:
        return RaisedFrom(what)
    if isinstance(record, Circle):
        open_to = reader.id == record.keeper_id or sees_whole_school(reader)
        detail = f"{'with ' + record.group.name + ', ' if record.group else ''}kept by {record.keeper.name}"
        if record.is_open:
            return RaisedFrom(what, detail + " (still open)", record.created_at,
                              url_for("circles.keeper", circle_id=record.id) if reader.id == record.keeper_id else None)
        return RaisedFrom(what, detail, record.created_at,
                          url_for("circles.summary", circle_id=record.id) if open_to else None)
    if isinstance(record, QuickChat):
        readable = may_read(reader, record.school_id, record.pupils, record.staff_id)
        return RaisedFrom(what, f"logged by {record.staff.name}", record.happened_at,
                          url_for("conversations.chat", chat_id=record.id) if readable else None)
    if isinstance(record, Conversation):
        readable = may_read(reader, record.school_id, record.pupils, record.staff_id)
        return RaisedFrom(what, f"led by {record.staff.name}", record.happened_at,
                          url_for("conversations.conversation", conversation_id=record.id) if readable else None)
    return RaisedFrom(what, f"in {record.place}" if record.place else None, record.started_at,
                      url_for("mediation.record", mediation_id=record.id) if reader.has_role(*LEAD_ROLES) else None)


RECORD_KINDS = {"circle": Circle, "chat": QuickChat, "conversation": Conversation, "conference": Conversation,
                "mediation": Mediation}


def _record(concern: Concern) -> Circle | QuickChat | Conversation | Mediation | None:
    return record_named(concern.context_kind, concern.context_id)


def record_named(kind: str, record_id: int | None) -> Circle | QuickChat | Conversation | Mediation | None:
    model = RECORD_KINDS.get(kind)
    if model is None or record_id is None:
        return None
    return db.session.get(model, record_id)


def may_name(kind: str, record_id: int, staff: Staff) -> bool:
    """Whether ``staff``, raising a concern, may name this record as where it was raised (the form carries its
    id): one of their school's that they may read - a mediation, any of their school's (the adult who answers
    its "Get an adult" raises it from the alert). Otherwise the DSL's page would name a record it did not come from."""
    record = record_named(kind, record_id)
    if record is None or record.school_id != staff.school_id:
        return False
    if isinstance(record, Circle):
        return staff.id == record.keeper_id or sees_whole_school(staff)
    if isinstance(record, (QuickChat, Conversation)):
        return may_read(staff, record.school_id, record.pupils, record.staff_id)
    return True


def pupil_url(concern: Concern, reader: Staff) -> str | None:
    """The record of the pupil the concern is about, if ``reader`` may open it."""
    if concern.pupil_id is None:
        return None
    visible = db.session.scalar(visible_pupils(reader).where(Pupil.id == concern.pupil_id).with_only_columns(Pupil.id))
    return url_for("roster.pupil", pupil_id=visible) if visible else None

