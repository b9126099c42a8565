"""Recording and reading the audit trail of sensitive records (``rrp_pwa.models.audit``).

Audited: opening a safeguarding concern, marking it seen, recording what was done, closing and reopening
it (the DSL's restricted record), exporting a pupil's whole record or the whole school's records, any change to a member of staff's
roles (granting the dsl role opens every concern), an admin setting someone's password (first or reset:
whoever sets it can sign in as them), and deactivating or reactivating a member of staff (by an admin,
or by a roster import when the MIS says they have left). The caller commits, with the change it
records or, for a read, on its own.
"""
from sqlalchemy import Select, select

from rrp_pwa.extensions import db
from rrp_pwa.models.audit import AUDIT_ACTIONS, AuditEvent
from rrp_pwa.models.roster import Staff


def audit(staff: Staff | None, action: str, subject_kind: str, subject_id: int, detail: str | None = None, *,
          school_id: int | None = None) -> AuditEvent:
    """Record that ``staff`` did ``action`` to a record; with no ``staff`` (a command run from cron),
    ``school_id`` says whose trail it joins."""
    if action not in AUDIT_ACTIONS:
        raise ValueError(f"not an audited action: {action}")
    if staff is None and school_id is None:
        raise ValueError("an audit entry with nobody's name needs its school")
    event = AuditEvent(school_id=staff.school_id if staff else school_id, staff_id=staff.id if staff else None,
                       action=action, subject_kind=subject_kind, subject_id=subject_id,
                       detail=(detail or None) and detail[:200])
    db.session.add(event)
    return event


def trail(school_id: int, subject_kind: str, subject_id: int, limit: int = 50) -> Select[tuple[AuditEvent]]:
    """What was recorded about one record, newest first (the latest ``limit``)."""
    return (select(AuditEvent)
            .where(AuditEvent.school_id == school_id, AuditEvent.subject_kind == subject_kind,
                   AuditEvent.subject_id == subject_id)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit))
