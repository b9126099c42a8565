"""Agreements (who will do what, by when, reviewed when) and their follow-up reviews.

One module for every source: a circle, a quick chat, a restorative conversation, a peer
mediation or a conference. ``source_kind`` + ``source_id`` say where an agreement was made.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rrp_pwa.extensions import db
from rrp_pwa.models.roster import Pupil, Staff, utcnow

SOURCE_KINDS = ("circle", "chat", "conversation", "mediation", "conference")
AGREEMENT_KINDS = ("action", "value")  # value: a circle agreement (how we will be together)
OUTCOMES = ("kept", "partly_kept", "not_kept")
OUTCOME_LABELS = {"kept": "Kept", "partly_kept": "Partly kept", "not_kept": "Not kept"}


class Agreement(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    source_kind: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[int | None] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(8), default="action")
    what: Mapped[str] = mapped_column(Text)
    by_when: Mapped[date | None] = mapped_column(Date)
    review_on: Mapped[date | None] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    parties: Mapped[list[AgreementParty]] = relationship(
        back_populates="agreement", cascade="all, delete-orphan", lazy="selectin", order_by="AgreementParty.id")
    reviews: Mapped[list[AgreementReview]] = relationship(
        back_populates="agreement", cascade="all, delete-orphan",
        order_by="AgreementReview.id")  # the order they were recorded: the latest is the highest id, as in SQL
    created_by: Mapped[Staff | None] = relationship(foreign_keys=[created_by_id])

    @property
    def latest_review(self) -> AgreementReview | None:
        return self.reviews[-1] if self.reviews else None


class AgreementParty(db.Model):
    """A person bound by (or simply party to) an agreement; ``agreed_at`` when they tapped "I agree".

    ``pupil_id`` is empty for someone with no pupil record (an ad hoc circle participant, a
    parent/carer at a conference); ``name`` then says who.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id"), index=True)
    pupil_id: Mapped[int | None] = mapped_column(ForeignKey("pupil.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(120))
    owner: Mapped[bool] = mapped_column(default=True)
    agreed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    agreement: Mapped[Agreement] = relationship(back_populates="parties")
    pupil: Mapped[Pupil | None] = relationship()

    @property
    def label(self) -> str:
        return self.pupil.display_name if self.pupil else (self.name or "Someone")


class AgreementReview(db.Model):
    """One follow-up review. A "not kept" review also records how it was followed up: when the further
    conversation was started (``follow_up_conversation_id``, a conversation or conference started from
    the agreement), a circle was opened from it (``follow_up_circle_id``) or someone recorded it was followed up another way; empty while it is still needed.
    Each "not kept" keeps its own follow-up, so a later one never hides how an earlier one was handled."""

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    reviewed_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    reviewed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    followed_up_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    followed_up_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    follow_up_conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversation.id"))
    follow_up_circle_id: Mapped[int | None] = mapped_column(ForeignKey("circle.id"))

    agreement: Mapped[Agreement] = relationship(back_populates="reviews")
    reviewed_by: Mapped[Staff] = relationship(foreign_keys=[reviewed_by_id])
    followed_up_by: Mapped[Staff | None] = relationship(foreign_keys=[followed_up_by_id])
