"""The audit trail: who read or changed a sensitive record, and when (DESIGN.md, security baseline).

A row says who (``staff_id``; none when a command such as ``flask purge-records`` did it), what they did (``action``), to what (``subject_kind`` + ``subject_id``),
when, and at most a short ``detail`` that is never the record's content (roles before and after, say).
Rows are only ever added; ``flask purge-records`` deletes them after their retention period
(never those about a safeguarding concern: rrp_pwa.retention).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rrp_pwa.extensions import db
from rrp_pwa.models.roster import ROLE_LABELS, Staff, utcnow

AUDIT_ACTIONS = {"added": "Added", "viewed": "Opened", "marked_seen": "Marked seen", "roles_changed": "Roles changed",
                 "exported": "Exported", "recorded": "Recorded what was done", "closed": "Closed",
                 "purged": "Purged records past their retention period", "reopened": "Reopened",
                 "password_set": "First password set", "password_reset": "Password reset",
                 "activated": "Reactivated", "deactivated": "Deactivated"}


class AuditEvent(db.Model):
    # a record's trail is read by (school, kind, id)
    __table_args__ = (Index("ix_audit_event_subject", "school_id", "subject_kind", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    subject_kind: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    staff: Mapped[Staff | None] = relationship()

    @property
    def action_label(self) -> str:
        return AUDIT_ACTIONS.get(self.action, self.action)

    @property
    def detail_label(self) -> str | None:
        """``detail`` as the trail shows it: a member of staff's roles are kept as their codes ("pastoral,
        teacher -> teacher") and read in the words of the staff screen ("Pastoral lead, Teacher")."""
        if self.subject_kind != "staff" or self.action not in ("added", "roles_changed") or not self.detail:
            return self.detail
        if self.action == "added":
            return f"roles: {_role_words(self.detail.removeprefix('roles: '))}"
        before, _, after = self.detail.partition(" -> ")
        return f"was {_role_words(before)}; now {_role_words(after)}"


def _role_words(codes: str) -> str:
    """'dsl, pastoral' as 'Designated Safeguarding Lead, Pastoral lead' ('none': no role)."""
    if codes == "none":
        return "no role"
    return ", ".join(ROLE_LABELS.get(code, code) for code in codes.split(", "))
