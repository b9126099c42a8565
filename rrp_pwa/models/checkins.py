"""Emotional check-ins (in a circle, at the class check-in station, or by a member of staff)
and the discreet "check in with this pupil later" follow-ups that low or red ones create."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rrp_pwa.extensions import db
from rrp_pwa.models.roster import Pupil, Staff, utcnow

CHECKIN_SOURCES = ("circle", "station", "staff")


class CheckIn(db.Model):
    """One person's answer on the school's scale. Shown to staff, never to other pupils."""

    __table_args__ = (UniqueConstraint("school_id", "client_uuid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    pupil_id: Mapped[int | None] = mapped_column(ForeignKey("pupil.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(120))  # someone with no pupil record (ad hoc circle)
    scale: Mapped[str] = mapped_column(String(8))
    value: Mapped[int] = mapped_column(Integer)
    word: Mapped[str | None] = mapped_column(String(40))
    low: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(8))
    source_id: Mapped[int | None] = mapped_column(Integer, index=True)  # circle or station id
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    client_uuid: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)

    pupil: Mapped[Pupil | None] = relationship()
    recorded_by: Mapped[Staff | None] = relationship()


class CheckInFollowUp(db.Model):
    """A quiet "check in with <name> later" for a member of staff; it stays until marked done."""

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    checkin_id: Mapped[int] = mapped_column(ForeignKey("check_in.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    checkin: Mapped[CheckIn] = relationship()
