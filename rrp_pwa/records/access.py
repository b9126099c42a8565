"""Who may read which records about pupils (chats, conversations, conferences, agreements, circles,
check-ins, mediations): every source of the pupil record and every list of them asks here.

The rule: admin, pastoral and DSL staff read every record of their school; a teacher reads
records about pupils in the groups they belong to; anyone reads what they logged themselves.
Support staff (midday assistants) therefore see only what they logged. Who logged what: a chat,
conversation or conference, the member of staff who led it; an agreement, whoever made it; a
circle (taking part in it, the check-ins in it), its keeper; a check-in a member of staff recorded,
them; a check-in at the class station, the teacher who opened the station (the low ones go on
their list). Safeguarding concerns are not restorative records: only the DSL reads them (see
safeguarding/concerns.py).
"""
from collections.abc import Iterable

from sqlalchemy import ColumnElement, Select, false

from rrp_pwa.agreements.rules import agreement_sources, pupils_involved
from rrp_pwa.extensions import db
from rrp_pwa.models.agreements import Agreement
from rrp_pwa.models.roster import GroupPupil, Pupil, Staff
from rrp_pwa.roster.directory import group_pupil_ids

WHOLE_SCHOOL_READERS = ("admin", "pastoral", "dsl")


def taught_by(viewer: Staff) -> set[int]:
    """The pupils in the groups ``viewer`` teaches (none if not a teacher; archived groups count for nothing),
    for checking many records at once."""
    if not viewer.has_role("teacher"):
        return set()
    return set(db.session.scalars(group_pupil_ids(viewer)))


def teaches(viewer: Staff, pupil_ids: Iterable[int], taught: set[int] | None = None) -> bool:
    """True when ``viewer`` is a teacher in a group (not archived) holding any of these pupils (``taught``:
    ``taught_by(viewer)`` when already read)."""
    pupil_ids = list(pupil_ids)
    if not pupil_ids or not viewer.has_role("teacher"):
        return False
    if taught is not None:
        return not taught.isdisjoint(pupil_ids)
    found = db.session.scalar(group_pupil_ids(viewer).where(GroupPupil.pupil_id.in_(pupil_ids)).limit(1))
    return found is not None


def reads_everything_about(viewer: Staff, pupil: Pupil) -> bool:
    """May ``viewer`` read every restorative record about ``pupil`` (not only their own)?"""
    if viewer.school_id != pupil.school_id:
        return False
    return viewer.has_role(*WHOLE_SCHOOL_READERS) or teaches(viewer, [pupil.id])


def only_theirs(query: Select, author: ColumnElement, viewer: Staff, pupil: Pupil) -> Select:
    """Narrow ``query`` (records about ``pupil``) to those ``viewer`` may read: all of them when they read
    everything about the pupil, otherwise those whose ``author`` (the staff id who logged each) is theirs;
    none of another school's."""
    if viewer.school_id != pupil.school_id:
        return query.where(false())
    return query if reads_everything_about(viewer, pupil) else query.where(author == viewer.id)


def may_read(viewer: Staff, school_id: int, pupils: Iterable[Pupil], author_id: int | None,
             taught: set[int] | None = None) -> bool:
    """May ``viewer`` open a record of ``school_id`` about ``pupils``, logged by ``author_id``?"""
    if viewer.school_id != school_id:
        return False
    if viewer.has_role(*WHOLE_SCHOOL_READERS) or (author_id is not None and author_id == viewer.id):
        return True
    return teaches(viewer, [pupil.id for pupil in pupils], taught)


def may_read_agreement(staff: Staff, agreement: Agreement) -> bool:
    """Whoever may read the pupils an agreement concerns (``pupils_involved``), or made it, may read it."""
    return may_read(staff, agreement.school_id, pupils_involved(agreement), agreement.created_by_id)


def readable_agreements(staff: Staff, agreements: Iterable[Agreement]) -> list[Agreement]:
    """The agreements ``staff`` may read (``may_read_agreement``), checked in a fixed number of queries:
    load the list ``with_people``; the source conversations and the teacher's pupils are read once."""
    agreements = list(agreements)
    sources, taught = agreement_sources(agreements), taught_by(staff)
    return [a for a in agreements
            if may_read(staff, a.school_id, pupils_involved(a, sources), a.created_by_id, taught)]
