"""Safeguarding concerns: a restricted record that only staff with the dsl role may read.

A concern is never copied into a circle, chat, conversation or mediation record, never into
an event feed, webhook or export. ``context_kind``/``context_id`` say where it was raised so
the DSL can find the people involved; the context never points back at it.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rrp_pwa.extensions import db
from rrp_pwa.models.roster import Pupil, Staff, utcnow

CONTEXT_KINDS = ("pupil", "circle", "chat", "conversation", "mediation", "conference", "checkin")
CONCERN_STATUSES = ("new", "seen", "closed")
CONTEXT_LABELS = {"pupil": "the pupil's record", "circle": "a circle", "chat": "a quick chat",
                  "conversation": "a restorative conversation", "mediation": "a peer mediation",
                  "conference": "a conference", "checkin": "a check-in"}


class Concern(db.Model):
    """``client_uuid``: the id of the form it was sent from, made when the form was drawn, so a form sent
    twice (a resend after no answer on slow Wi-Fi, a double tap) is one concern in the DSL's queue."""

    __table_args__ = (UniqueConstraint("school_id", "client_uuid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    pupil_id: Mapped[int | None] = mapped_column(ForeignKey("pupil.id"), index=True)
    subject_name: Mapped[str | None] = mapped_column(String(120))
    note: Mapped[str] = mapped_column(Text)
    context_kind: Mapped[str] = mapped_column(String(16))
    context_id: Mapped[int | None] = mapped_column(Integer)
    raised_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    raised_by_pupil_id: Mapped[int | None] = mapped_column(ForeignKey("pupil.id"))
    status: Mapped[str] = mapped_column(String(8), default="new", index=True)
    seen_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    client_uuid: Mapped[str | None] = mapped_column(String(36))

    pupil: Mapped[Pupil | None] = relationship(foreign_keys=[pupil_id])
    raised_by_staff: Mapped[Staff | None] = relationship(foreign_keys=[raised_by_staff_id])
    raised_by_pupil: Mapped[Pupil | None] = relationship(foreign_keys=[raised_by_pupil_id])
    seen_by: Mapped[Staff | None] = relationship(foreign_keys=[seen_by_id])
    actions: Mapped[list[ConcernAction]] = relationship(
        back_populates="concern", cascade="all, delete-orphan", order_by="(ConcernAction.at, ConcernAction.id)")

    @property
    def raised_from(self) -> str:
        """Where it was raised, in words ("a check-in", "the pupil's record")."""
        return CONTEXT_LABELS.get(self.context_kind, "somewhere else in the app")

    @property
    def about(self) -> str:
        return self.pupil.display_name if self.pupil else (self.subject_name or "Not named")


class ConcernAction(db.Model):
    """What the DSL did or decided about a concern (spoke to the child, called home, referred to
    children's social care, decided to monitor...), in their words; ``closed`` when it closed the
    concern. Part of the restricted record: only the DSL reads it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    concern_id: Mapped[int] = mapped_column(ForeignKey("concern.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    note: Mapped[str] = mapped_column(Text)
    closed: Mapped[bool] = mapped_column(default=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    concern: Mapped[Concern] = relationship(back_populates="actions")
    staff: Mapped[Staff] = relationship()
