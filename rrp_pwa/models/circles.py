"""Circles: a ring of seats, one talking piece, rounds, and a gap-free history of changes.

The circle row carries the live state (holder seat, direction, round, lap, ``version``); every
change bumps ``version`` in the same transaction that writes one ``CircleEvent`` for it, so the
events form a gap-free history (who spoke and who passed, per round - never what was said).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rrp_pwa.extensions import db
from rrp_pwa.models.roster import Group, Pupil, Staff, utcnow

CIRCLE_KINDS = ("checkin", "community", "problem", "restorative")
CIRCLE_KIND_LABELS = {
    "checkin": "Morning / check-in circle",
    "community": "Community-building circle",
    "problem": "Problem-solving circle",
    "restorative": "Restorative circle",
}
SEAT_STATUSES = ("waiting", "admitted", "removed")
ROUND_KINDS = ("talk", "checkin")
PROMPT_STAGES = ("primary", "secondary")


class Circle(db.Model):
    """A live (or closed) circle run by a keeper, for a group or ad hoc."""

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    keeper_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("group.id"))
    kind: Mapped[str] = mapped_column(String(16), default="checkin")
    status: Mapped[str] = mapped_column(String(8), default="open", index=True)
    one_device: Mapped[bool] = mapped_column(Boolean, default=False)
    auto_admit: Mapped[bool] = mapped_column(Boolean, default=False)
    join_code: Mapped[str | None] = mapped_column(String(6), unique=True)
    join_expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    holder_seat_id: Mapped[int | None] = mapped_column(Integer)
    direction: Mapped[int] = mapped_column(Integer, default=1)
    round_no: Mapped[int] = mapped_column(Integer, default=0)
    lap: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    planned_prompts: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of prompt texts
    summary: Mapped[str | None] = mapped_column(Text)  # JSON, written when the circle closes
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    keeper: Mapped[Staff] = relationship()
    group: Mapped[Group | None] = relationship()

    @property
    def kind_label(self) -> str:
        return CIRCLE_KIND_LABELS.get(self.kind, self.kind)

    @property
    def is_open(self) -> bool:
        return self.status == "open"


class Seat(db.Model):
    """A place in the ring: the keeper's, a pupil's (from the group list) or a typed first name.

    ``token_hash`` is the SHA-256 of the secret in the device's seat cookie; the keeper's seat
    and seats made in one-device mode have none. ``left_at`` is when someone let into the circle
    left it part-way (they left by themselves, or the keeper took them out): they took part. It stays
    empty for someone turned away before being let in, who did not.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circle.id"), index=True)
    pupil_id: Mapped[int | None] = mapped_column(ForeignKey("pupil.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    is_keeper: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(8), default="waiting")
    position: Mapped[int] = mapped_column(Integer, default=0)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    pupil: Mapped[Pupil | None] = relationship()


class CircleEvent(db.Model):
    """One change of a circle; ``version`` runs 1, 2, 3... with no gaps. No words, only who and what."""

    __table_args__ = (UniqueConstraint("circle_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circle.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    seat_id: Mapped[int | None] = mapped_column(Integer)
    round_no: Mapped[int] = mapped_column(Integer, default=0)
    lap: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CircleRound(db.Model):
    """A round the keeper started: its prompt (the keeper's words, never a pupil's) and kind."""

    __table_args__ = (UniqueConstraint("circle_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circle.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8), default="talk")
    prompt: Mapped[str] = mapped_column(String(300))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CircleCheckIn(db.Model):
    """Links a seat's check-in (a shared ``CheckIn`` row) to the round it was made in: one per seat per round."""

    __table_args__ = (UniqueConstraint("seat_id", "round_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circle.id"), index=True)
    seat_id: Mapped[int] = mapped_column(ForeignKey("seat.id"))
    round_no: Mapped[int] = mapped_column(Integer)
    checkin_id: Mapped[int] = mapped_column(ForeignKey("check_in.id"), unique=True)


class CirclePrompt(db.Model):
    """A question in the school's bank, for primary or secondary pupils; admins edit the bank."""

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    stage: Mapped[str] = mapped_column(String(10), default="primary")
    text: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(Integer, default=0)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
