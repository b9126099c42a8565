"""Models of the sync capability: the roster's link to the MIS, roster packages waiting to be
confirmed, the event feed, API tokens, webhooks and the receipts that make offline sends idempotent."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rrp_pwa.extensions import db
from rrp_pwa.models.roster import Staff, utcnow

# A staff member's OneRoster sourcedId, so a re-import matches them instead of adding them again.
Staff.external_id = mapped_column(String(64), nullable=True)
Index("uq_staff_school_id_external_id", Staff.__table__.c.school_id, Staff.__table__.c.external_id, unique=True)

EVENT_ACTIONS = ("created", "updated", "deleted")
DELIVERY_STATES = ("pending", "delivered", "failed")


class PendingImport(db.Model):
    """A roster package an admin has checked (the diff) and not yet confirmed, kept in the database so
    the confirm may reach any worker on any machine. ``digest`` is the SHA-256 of ``package`` when it
    was checked; ``diff_digest`` the fingerprint of the diff the admin was shown (None: checked by a
    release that kept none). It holds a whole roster (children's personal data): see
    rrp_pwa.sync.uploads for when it is deleted."""

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    digest: Mapped[str] = mapped_column(String(64))
    package: Mapped[bytes] = mapped_column(LargeBinary)
    diff_digest: Mapped[str | None] = mapped_column(String(64))


class FeedCounter(db.Model):
    """The last sequence number given to a school's events. Writers lock this row (UPDATE) inside
    their transaction, so sequence order is commit order and a polling reader never skips one."""

    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


class FeedEvent(db.Model):
    """A record was created, updated or deleted; ``record`` is its JSON as it was at that moment."""

    __table_args__ = (UniqueConstraint("school_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(8))
    record_type: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    record: Mapped[str] = mapped_column(Text)


class ApiToken(db.Model):
    """A per-school token for the MIS connector. Only a SHA-256 hash is kept; the token is shown once."""

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WebhookEndpoint(db.Model):
    """A URL the school's connector listens on; ``cursor`` is the last event sequence queued for it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(80))
    cursor: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    deliveries: Mapped[list[WebhookDelivery]] = relationship(
        back_populates="endpoint", cascade="all, delete-orphan", order_by="WebhookDelivery.id.desc()")


class WebhookDelivery(db.Model):
    """One event to be POSTed to one endpoint, retried with backoff until delivered or given up."""

    __table_args__ = (UniqueConstraint("endpoint_id", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoint.id"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("feed_event.id"))
    state: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    endpoint: Mapped[WebhookEndpoint] = relationship(back_populates="deliveries")
    event: Mapped[FeedEvent] = relationship()
    attempt_rows: Mapped[list[WebhookAttempt]] = relationship(
        cascade="all, delete-orphan", order_by="WebhookAttempt.id")


class WebhookAttempt(db.Model):
    """One try at a delivery, for the delivery log: when, the HTTP status or the error, how long."""

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_delivery.id"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(300))
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)


class SyncReceipt(db.Model):
    """The record an offline device's UUID produced: a second send of the same UUID is a duplicate."""

    __table_args__ = (UniqueConstraint("school_id", "client_uuid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    client_uuid: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[int] = mapped_column(Integer)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
