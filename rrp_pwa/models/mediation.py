"""Peer mediation: pupil mediators' sign-in, the mediations they run on a shared tablet, the
"Get an adult" alerts they raise, and the staff who are on duty to answer them.

A mediation record holds only what the mediators note (key words, feelings, ideas) and links
to its agreements; a safeguarding concern raised during it lives in the DSL's queue and is
never linked from here.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, and_
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rrp_pwa.extensions import db
from rrp_pwa.models.agreements import Agreement
from rrp_pwa.models.roster import Pupil, Staff, short_names, utcnow

if TYPE_CHECKING:
    from rrp_pwa.models.conversations import Conversation

STEPS = ("people", "rules", "stories", "feelings", "ideas", "agreement", "done")
OUTCOMES = ("agreed", "no_agreement", "adult_took_over")
NO_AGREEMENT = ("no_agreement", "adult_took_over")  # the outcomes that staff follow up
OUTCOME_LABELS = {"agreed": "Agreement made", "no_agreement": "No agreement - passed to staff",
                  "adult_took_over": "An adult took over"}


class MediatorAccount(db.Model):
    """A peer mediator's sign-in: a username and a PIN set by staff, and a printed badge.

    ``badge_version`` is inside the badge's signed QR code: bumping it revokes printed badges.
    ``session_epoch`` is inside every mediator session: bumping it ends them all.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupil.id"), unique=True)
    username: Mapped[str] = mapped_column(String(32), unique=True)  # unique everywhere, like staff emails
    pin_hash: Mapped[str] = mapped_column(String(255))
    badge_version: Mapped[int] = mapped_column(Integer, default=1)
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    pupil: Mapped[Pupil] = relationship()


class Mediation(db.Model):
    """One peer mediation. ``step`` walks STEPS; ``version`` rises with every change so a form
    from an older screen is refused; ``paused_at`` is set while the mediators wait for an adult.
    One that ended with no agreement is followed up by staff (``needs_follow_up``): ``followed_up_at``
    and ``followed_up_by_id`` say when and by whom, ``follow_up_conversation_id`` the conversation or
    conference started from it (none when it was followed up another way)."""

    __table_args__ = (UniqueConstraint("school_id", "client_uuid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    place: Mapped[str | None] = mapped_column(String(80))
    step: Mapped[str] = mapped_column(String(16), default="people")
    version: Mapped[int] = mapped_column(Integer, default=1)
    paused_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ideas: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(16))
    client_uuid: Mapped[str | None] = mapped_column(String(36))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    review_note: Mapped[str | None] = mapped_column(Text)
    followed_up_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    followed_up_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    follow_up_conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversation.id"))

    mediators: Mapped[list[MediationMediator]] = relationship(
        back_populates="mediation", cascade="all, delete-orphan", lazy="selectin", order_by="MediationMediator.id")
    parties: Mapped[list[MediationParty]] = relationship(
        back_populates="mediation", cascade="all, delete-orphan", lazy="selectin", order_by="MediationParty.id")
    alerts: Mapped[list[MediationAlert]] = relationship(
        back_populates="mediation", cascade="all, delete-orphan", order_by="MediationAlert.raised_at")
    reviewed_by: Mapped[Staff | None] = relationship(foreign_keys=[reviewed_by_id])
    followed_up_by: Mapped[Staff | None] = relationship(foreign_keys=[followed_up_by_id])
    follow_up_conversation: Mapped[Conversation | None] = relationship()

    @property
    def is_complete(self) -> bool:
        return self.completed_at is not None

    @property
    def outcome_label(self) -> str:
        return OUTCOME_LABELS.get(self.outcome or "", "Not finished")

    @property
    def ended_without_agreement(self) -> bool:
        """Ended with no agreement (passed to staff, or an adult took over) between pupils: staff follow it up."""
        return self.outcome in NO_AGREEMENT and bool(self.parties)

    @hybrid_property
    def needs_follow_up(self) -> bool:
        """Ended with no agreement (passed to staff, or an adult took over) between pupils, and not followed up
        yet: a restorative conversation or a conference is the next step (DOMAIN.md). In a query, the same test."""
        return self.ended_without_agreement and self.followed_up_at is None

    @needs_follow_up.inplace.expression
    @classmethod
    def _needs_follow_up(cls) -> ColumnElement[bool]:
        return and_(cls.outcome.in_(NO_AGREEMENT), cls.followed_up_at.is_(None), cls.parties.any())

    @property
    def open_alert(self) -> MediationAlert | None:
        """The "Get an adult" still waiting for the mediation to carry on or end."""
        return next((alert for alert in self.alerts if alert.resolved_at is None), None)

    @property
    def names(self) -> dict[int, str]:
        """The name of each pupil in this mediation, its mediators and the people in the disagreement, keyed
        by pupil id: first name and initial, told apart as ``short_names`` tells apart a class's names
        ("Maya Ch." and "Maya Cl."). Every screen, form and list that names a mediation's pupils takes
        their names from here - the mediators' steps, the worry's "Who is it about?", the staff alert, the
        lead's lists - so two pupils with the same short name are never one for the other."""
        return short_names([m.pupil for m in self.mediators] + [p.pupil for p in self.parties])

    @property
    def mediator_names(self) -> str:
        return " and ".join(m.name for m in self.mediators)

    @property
    def party_names(self) -> str:
        return " and ".join(p.name for p in self.parties)


class MediationMediator(db.Model):
    __table_args__ = (UniqueConstraint("mediation_id", "pupil_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mediation_id: Mapped[int] = mapped_column(ForeignKey("mediation.id"), index=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupil.id"), index=True)

    mediation: Mapped[Mediation] = relationship(back_populates="mediators")
    pupil: Mapped[Pupil] = relationship(lazy="joined")

    @property
    def name(self) -> str:
        """The mediator's name as this mediation shows it (``Mediation.names``)."""
        return self.mediation.names[self.pupil_id]


class MediationParty(db.Model):
    """A pupil in the disagreement: their tap on the ground rules, the key words of their story,
    the feeling they picked, and their agreement (with its own "I agree" tap)."""

    __table_args__ = (UniqueConstraint("mediation_id", "pupil_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mediation_id: Mapped[int] = mapped_column(ForeignKey("mediation.id"), index=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupil.id"), index=True)
    rules_agreed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    story_words: Mapped[str | None] = mapped_column(String(300))
    feeling: Mapped[str | None] = mapped_column(String(16))
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreement.id"))

    mediation: Mapped[Mediation] = relationship(back_populates="parties")
    pupil: Mapped[Pupil] = relationship(lazy="joined")
    agreement: Mapped[Agreement | None] = relationship(lazy="selectin")

    @property
    def name(self) -> str:
        """The person's name as this mediation shows it, told apart from everyone else's in it
        (``Mediation.names``)."""
        return self.mediation.names[self.pupil_id]


class MediationAlert(db.Model):
    """A "Get an adult": raised by a mediator, shown live to on-duty staff until resolved."""

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    mediation_id: Mapped[int] = mapped_column(ForeignKey("mediation.id"), index=True)
    raised_by_pupil_id: Mapped[int] = mapped_column(ForeignKey("pupil.id"))
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)

    mediation: Mapped[Mediation] = relationship(back_populates="alerts")
    raised_by: Mapped[Pupil] = relationship()
    answered_by: Mapped[Staff | None] = relationship()


class MediationDuty(db.Model):
    """A member of staff on duty for peer mediation on one day (they mark it themselves)."""

    __table_args__ = (UniqueConstraint("staff_id", "on_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    on_date: Mapped[date] = mapped_column(Date)

    staff: Mapped[Staff] = relationship()
