"""Quick chats, restorative conversations and conferences, and each school's chips and questions.

A quick chat is what a midday assistant logs in the playground: chip labels are stored as text
so a school can change its chips without rewriting old records. A conversation and a conference
share one table (``kind``); a conference adds preparation notes per participant and a review
meeting date. Participants may be pupils or adults with no account (parents/carers).
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rrp_pwa.extensions import db
from rrp_pwa.models.roster import Pupil, Staff, utcnow

CHIP_KINDS = ("what", "where", "agreed")
CONVERSATION_KINDS = ("conversation", "conference")
PARTICIPANT_ROLES = ("harmed", "caused_harm", "both", "witness", "supporter", "parent_carer", "other_adult")
PARTICIPANT_ROLE_LABELS = {
    "harmed": "Was harmed",
    "caused_harm": "Caused harm",
    "both": "Both harmed and caused harm",
    "witness": "Witness",
    "supporter": "Supporter",
    "parent_carer": "Parent or carer",
    "other_adult": "Other adult",
}
QUESTION_AUDIENCES = ("caused_harm", "harmed", "others")
QUESTION_AUDIENCE_LABELS = {
    "caused_harm": "To the person who caused harm",
    "harmed": "To the person harmed",
    "others": "To witnesses, supporters and others affected",
}


class QuickChat(db.Model):
    """A quick restorative chat: what happened, where, optionally what was agreed, with whom."""

    __table_args__ = (UniqueConstraint("school_id", "client_uuid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    what: Mapped[str] = mapped_column(String(60))
    where: Mapped[str] = mapped_column(String(60))
    agreed: Mapped[str | None] = mapped_column(String(60))
    note: Mapped[str | None] = mapped_column(String(280))
    happened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    client_uuid: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    staff: Mapped[Staff] = relationship()
    pupils: Mapped[list[Pupil]] = relationship(
        secondary="quick_chat_pupil", order_by="(Pupil.given_name, Pupil.family_name)", lazy="selectin")


class QuickChatPupil(db.Model):
    chat_id: Mapped[int] = mapped_column(ForeignKey("quick_chat.id", ondelete="CASCADE"), primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupil.id"), primary_key=True, index=True)


class ChatChipList(db.Model):
    """A school's own chips of one kind (what happened, where, what was agreed), one per line."""

    __table_args__ = (UniqueConstraint("school_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    labels: Mapped[str] = mapped_column(Text)


class QuestionSet(db.Model):
    """A school's wording of the restorative questions for one audience, one question per line."""

    __table_args__ = (UniqueConstraint("school_id", "audience"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    audience: Mapped[str] = mapped_column(String(16))
    questions: Mapped[str] = mapped_column(Text)


class Conversation(db.Model):
    """A restorative conversation, or (``kind`` = conference) a conference after serious harm."""

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="conversation")
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    summary: Mapped[str | None] = mapped_column(String(500))
    happened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    meeting_notes: Mapped[str | None] = mapped_column(Text)
    review_meeting_on: Mapped[date | None] = mapped_column(Date)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    staff: Mapped[Staff] = relationship()
    participants: Mapped[list[Participant]] = relationship(
        back_populates="conversation", cascade="all, delete-orphan", lazy="selectin", order_by="Participant.id")

    @property
    def kind_label(self) -> str:
        return "Conference" if self.kind == "conference" else "Restorative conversation"

    @property
    def pupils(self) -> list[Pupil]:
        return [p.pupil for p in self.participants if p.pupil is not None]


class Participant(db.Model):
    """Someone in a conversation or conference, in a role; a pupil or a named adult with no account."""

    __tablename__ = "conversation_participant"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversation.id", ondelete="CASCADE"), index=True)
    pupil_id: Mapped[int | None] = mapped_column(ForeignKey("pupil.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    preparation_note: Mapped[str | None] = mapped_column(Text)

    conversation: Mapped[Conversation] = relationship(back_populates="participants")
    pupil: Mapped[Pupil | None] = relationship(lazy="joined")
    answers: Mapped[list[Answer]] = relationship(
        back_populates="participant", cascade="all, delete-orphan", lazy="selectin", order_by="Answer.position")

    @property
    def label(self) -> str:
        return self.pupil.display_name if self.pupil else (self.name or "Someone")

    @property
    def role_label(self) -> str:
        return PARTICIPANT_ROLE_LABELS.get(self.role, self.role)


class Answer(db.Model):
    """A short answer to one restorative question, with the question as it was asked."""

    __tablename__ = "conversation_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("conversation_participant.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    question: Mapped[str] = mapped_column(String(300))
    answer: Mapped[str] = mapped_column(String(1000))

    participant: Mapped[Participant] = relationship(back_populates="answers")
