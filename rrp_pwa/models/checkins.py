"""Emotional check-ins (in a circle, at the class check-in station, or by a member of staff)
and the discreet "check in with this pupil later" follow-ups that low or red ones create."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rrp_pwa.extensions import db
from rrp_pwa.models.roster import Group, Pupil, School, Staff, utcnow

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
    staff: Mapped[Staff] = relationship()


class CheckInStation(db.Model):
    """A class tablet at the door, opened by a teacher for one group until ``closes_at``.

    The tablet in station mode holds only this station's id in its session: it can record
    check-ins for the group's pupils and nothing else. It closes when the teacher ends it or
    when the time limit passes, whichever comes first.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("group.id"), index=True)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    closes_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    school: Mapped[School] = relationship()
    group: Mapped[Group] = relationship()
    opened_by: Mapped[Staff] = relationship()

    def is_open(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        return self.closed_at is None and now < as_utc(self.closes_at)

    def seconds_left(self, now: datetime | None = None) -> int:
        """Until it closes by its time limit (0 once closed): a tablet with no signal counts them down."""
        if not self.is_open(now):
            return 0
        return max(0, int((as_utc(self.closes_at) - (now or utcnow())).total_seconds()))

    def open_until(self) -> datetime:
        """When it closes or closed: its time limit, or the moment it was ended if that came first."""
        return min(as_utc(self.closes_at), as_utc(self.closed_at)) if self.closed_at else as_utc(self.closes_at)

    def was_open_at(self, moment: datetime) -> bool:
        """Open at ``moment``, whatever it is now: from its opening until it was ended or timed out."""
        return as_utc(self.opened_at) <= moment < self.open_until()


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes for timezone-aware columns; they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
