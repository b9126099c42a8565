"""Who may see which pupils and groups, and the roster changes admins make."""
from sqlalchemy import Select, exists, func, or_, select

from rrp_pwa.extensions import db
from rrp_pwa.models import Group, GroupPupil, GroupStaff, Pupil, School, Staff
from rrp_pwa.tenancy import scoped

WHOLE_SCHOOL_ROLES = ("admin", "pastoral", "dsl")


class RosterError(Exception):
    """A roster change that breaks a rule; the message is shown to the admin."""


def sees_whole_school(staff: Staff) -> bool:
    return staff.has_role(*WHOLE_SCHOOL_ROLES)


def visible_pupils(staff: Staff) -> Select[tuple[Pupil]]:
    """Pupils this person may see: the whole school for admin, pastoral and DSL; a teacher or
    support assistant sees pupils of the groups they belong to."""
    query = scoped(Pupil, staff.school_id)
    if sees_whole_school(staff):
        return query
    mine = select(GroupPupil.pupil_id).join(GroupStaff, GroupStaff.group_id == GroupPupil.group_id)
    return query.where(Pupil.id.in_(mine.where(GroupStaff.staff_id == staff.id)))


def visible_groups(staff: Staff) -> Select[tuple[Group]]:
    """Groups this person may see: all for admin, pastoral and DSL; otherwise their own."""
    query = scoped(Group, staff.school_id)
    if sees_whole_school(staff):
        return query
    return query.where(exists().where(GroupStaff.group_id == Group.id, GroupStaff.staff_id == staff.id))


def search_pupils(query: Select[tuple[Pupil]], text: str, include_archived: bool = False,
                  limit: int = 50) -> list[Pupil]:
    """Pupils whose given, preferred or family name starts with what was typed (any word)."""
    if not include_archived:
        query = query.where(Pupil.archived.is_(False))
    for word in text.split()[:3]:
        pattern = f"{word.lower()}%"
        query = query.where(or_(func.lower(Pupil.given_name).like(pattern),
                                func.lower(Pupil.family_name).like(pattern),
                                func.lower(Pupil.preferred_name).like(pattern)))
    query = query.order_by(Pupil.given_name, Pupil.family_name).limit(limit)
    return list(db.session.scalars(query))


def add_staff(school: School, email: str, name: str, roles: list[str], password: str) -> Staff:
    """Create a staff member; emails are unique across every school because they sign in by email."""
    email = email.strip().lower()
    if db.session.scalar(select(Staff.id).where(Staff.email == email)):
        raise RosterError("Someone already signs in with that email.")
    staff = Staff(school_id=school.id, email=email, name=name.strip(), active=True, session_epoch=0)
    staff.set_password(password)
    staff.set_roles(roles)
    db.session.add(staff)
    return staff


def update_staff(staff: Staff, acting: Staff, name: str, email: str, roles: list[str]) -> None:
    """Change name, email and roles. An admin cannot remove their own admin role (no lock-out)."""
    email = email.strip().lower()
    clash = db.session.scalar(select(Staff.id).where(Staff.email == email, Staff.id != staff.id))
    if clash:
        raise RosterError("Someone already signs in with that email.")
    if staff.id == acting.id and "admin" not in roles:
        raise RosterError("You can't remove your own admin role. Ask another admin to do it.")
    staff.name, staff.email = name.strip(), email
    staff.set_roles(roles)


def set_staff_active(staff: Staff, acting: Staff, active: bool) -> None:
    """Deactivate (signing them out everywhere) or reactivate; nobody deactivates themselves."""
    if staff.id == acting.id and not active:
        raise RosterError("You can't deactivate your own account.")
    staff.active = active
    if not active:
        staff.session_epoch += 1


def reset_password(staff: Staff, password: str) -> None:
    """Set a new password and end every session that used the old one."""
    staff.set_password(password)
    staff.session_epoch += 1


def set_group_members(group: Group, pupil_ids: list[int], staff_ids: list[int]) -> None:
    """Replace the group's members with pupils and staff of the same school only."""
    group.pupils = list(db.session.scalars(scoped(Pupil, group.school_id).where(Pupil.id.in_(pupil_ids))))
    group.staff = list(db.session.scalars(scoped(Staff, group.school_id).where(Staff.id.in_(staff_ids))))
