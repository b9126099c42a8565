"""Who may read which restorative records (chats, conversations, conferences, agreements).

The rule: admin, pastoral and DSL staff read every record of their school; a teacher reads
records about pupils in the groups they belong to; anyone reads what they logged themselves.
Support staff (midday assistants) therefore see only what they logged. Safeguarding concerns
are not restorative records: only the DSL reads them (see safeguarding/concerns.py).
"""
from collections.abc import Iterable

from sqlalchemy import select

from rrp_pwa.agreements.rules import pupils_involved
from rrp_pwa.extensions import db
from rrp_pwa.models.agreements import Agreement
from rrp_pwa.models.roster import GroupPupil, GroupStaff, Pupil, Staff

WHOLE_SCHOOL_READERS = ("admin", "pastoral", "dsl")


def teaches(viewer: Staff, pupil_ids: Iterable[int]) -> bool:
    """True when ``viewer`` is a teacher in a group holding any of these pupils."""
    pupil_ids = list(pupil_ids)
    if not pupil_ids or not viewer.has_role("teacher"):
        return False
    found = db.session.scalar(
        select(GroupPupil.pupil_id).join(GroupStaff, GroupStaff.group_id == GroupPupil.group_id)
        .where(GroupStaff.staff_id == viewer.id, GroupPupil.pupil_id.in_(pupil_ids)).limit(1))
    return found is not None


def reads_everything_about(viewer: Staff, pupil: Pupil) -> bool:
    """May ``viewer`` read every restorative record about ``pupil`` (not only their own)?"""
    if viewer.school_id != pupil.school_id:
        return False
    return viewer.has_role(*WHOLE_SCHOOL_READERS) or teaches(viewer, [pupil.id])


def may_read(viewer: Staff, school_id: int, pupils: Iterable[Pupil], author_id: int | None) -> bool:
    """May ``viewer`` open a record of ``school_id`` about ``pupils``, logged by ``author_id``?"""
    if viewer.school_id != school_id:
        return False
    if viewer.has_role(*WHOLE_SCHOOL_READERS) or (author_id is not None and author_id == viewer.id):
        return True
    return teaches(viewer, [pupil.id for pupil in pupils])


def may_read_agreement(staff: Staff, agreement: Agreement) -> bool:
    """Whoever may read the pupils an agreement concerns (``pupils_involved``), or made it, may read it."""
    return may_read(staff, agreement.school_id, pupils_involved(agreement), agreement.created_by_id)
