"""Who may see which pupils and groups, and the roster changes admins make."""
from sqlalchemy import Select, exists, func, or_, select

from rrp_pwa.audit import audit
from rrp_pwa.extensions import db
from rrp_pwa.models import ROLES, Group, GroupPupil, GroupStaff, Pupil, School, Staff
from rrp_pwa.tenancy import scoped

WHOLE_SCHOOL_ROLES = ("admin", "pastoral", "dsl")


class RosterError(Exception):
    """A roster change that breaks a rule; the message is shown to the admin, beside ``field``
    when the rule is about one field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def sees_whole_school(staff: Staff) -> bool:
    return staff.has_role(*WHOLE_SCHOOL_ROLES)


def school_pupils(school_id: int, with_leavers: bool = False) -> Select[tuple[Pupil]]:
    """Every current pupil of the school (with ``with_leavers``, also those who have left). The rule
    for the records anyone may make about any pupil: quick chats, conversations, peer mediations."""
    query = scoped(Pupil, school_id)
    return query if with_leavers else query.where(Pupil.archived.is_(False))


def group_pupil_ids(staff: Staff) -> Select[tuple[int]]:
    """The ids of pupils in the groups ``staff`` belongs to. An archived group (the MIS dropped the
    class, or an admin archived it) gives its staff nothing, whoever is still listed in it."""
    return (select(GroupPupil.pupil_id)
            .join(GroupStaff, GroupStaff.group_id == GroupPupil.group_id)
            .join(Group, Group.id == GroupPupil.group_id)
            .where(GroupStaff.staff_id == staff.id, Group.archived.is_(False)))


def visible_pupils(staff: Staff) -> Select[tuple[Pupil]]:
    """Pupils this person may see: the whole school for admin, pastoral and DSL; a teacher or
    support assistant sees pupils of the groups they belong to (not archived ones)."""
    query = scoped(Pupil, staff.school_id)
    if sees_whole_school(staff):
        return query
    return query.where(Pupil.id.in_(group_pupil_ids(staff)))


def visible_groups(staff: Staff) -> Select[tuple[Group]]:
    """Groups this person may see: all for admin, pastoral and DSL; otherwise their own that are
    not archived."""
    query = scoped(Group, staff.school_id)
    if sees_whole_school(staff):
        return query
    return query.where(Group.archived.is_(False),
                       exists().where(GroupStaff.group_id == Group.id, GroupStaff.staff_id == staff.id))


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


def add_staff(school: School, email: str, name: str, roles: list[str], password: str,
              acting: Staff | None = None) -> Staff:
    """Create a staff member; emails are unique across every school because they sign in by email.
    Added by an admin (``acting``), the roles given go into the audit trail."""
    email = email.strip().lower()
    if db.session.scalar(select(Staff.id).where(Staff.email == email)):
        raise RosterError("Someone already signs in with that email.", "email")
    staff = Staff(school_id=school.id, email=email, name=name.strip(), active=True, session_epoch=0)
    staff.set_password(password)
    staff.set_roles(roles)
    db.session.add(staff)
    if acting is not None:
        db.session.flush()
        note_added(acting, staff)
    return staff


def update_staff(staff: Staff, acting: Staff, name: str, email: str, roles: list[str]) -> None:
    """Change name, email and roles. An admin cannot remove their own admin role (no lock-out)."""
    email = email.strip().lower()
    clash = db.session.scalar(select(Staff.id).where(Staff.email == email, Staff.id != staff.id))
    if clash:
        raise RosterError("Someone already signs in with that email.", "email")
    if staff.id == acting.id and "admin" not in roles:
        raise RosterError("You can't remove your own admin role. Ask another admin to do it.")
    staff.name, staff.email = name.strip(), email
    before = sorted(staff.roles)
    staff.set_roles(roles)
    note_roles(acting, staff, before)


def roles_taken_away(staff: Staff, acting: Staff, roles: list[str]) -> list[str]:
    """The roles an edit would take from ``staff``, for the admin to confirm first: it takes effect at
    once (without dsl, no concerns; without admin, no admin screens). None when the edit is refused
    anyway (an admin's own admin role)."""
    if staff.id == acting.id and "admin" not in roles:
        return []
    return [role for role in ROLES if role in staff.roles and role not in roles]


def note_added(acting: Staff, staff: Staff) -> None:
    """Keep who added ``staff`` (by hand or by a roster import), and with which roles, in the audit trail."""
    audit(acting, "added", "staff", staff.id, f"roles: {', '.join(sorted(staff.roles)) or 'none'}")


def note_roles(acting: Staff, staff: Staff, before: list[str]) -> None:
    """Keep who gave or took roles in the audit trail: the dsl role opens every concern."""
    after = sorted(staff.roles)
    if after != before:
        audit(acting, "roles_changed", "staff", staff.id, f"{', '.join(before) or 'none'} -> {', '.join(after) or 'none'}")


LEFT_MESSAGE = ("{name} has left the school, as your MIS roster says, so they can't be let in here. If they "
                "have come back (or the MIS was wrong), once a roster import from your MIS lists them again "
                "you can let them sign in from this page.")


def set_staff_active(staff: Staff, acting: Staff, active: bool) -> None:
    """Deactivate (signing them out everywhere) or reactivate, kept in the audit trail with who did it
    (deactivating a DSL ends their reading of concerns; reactivating lets someone back to children's
    records). Nobody deactivates themselves. An account with no password yet (made by the roster
    import) is let in only with its first password (``give_first_password``): reactivated without one,
    it would look ready and let nobody in. Someone the MIS says has left (``mis_left``) is not let back
    in: the MIS says who works at the school, and the next import would deactivate them again - or,
    with imports of changes only, never, leaving a former member of staff with children's records.
    An import that lists them again clears the mark; then an admin reactivates them, deliberately."""
    if staff.id == acting.id and not active:
        raise RosterError("You can't deactivate your own account.")
    if active and staff.mis_left:
        raise RosterError(LEFT_MESSAGE.format(name=staff.name))
    if active and not staff.has_password:
        raise RosterError(f"{staff.name} has no password yet. Set a first password to let them sign in.")
    if staff.active == active:
        return
    staff.active = active
    if not active:
        staff.session_epoch += 1
    audit(acting, "activated" if active else "deactivated", "staff", staff.id)


def reset_password(staff: Staff, password: str) -> None:
    """Set a new password and end every session that used the old one."""
    staff.set_password(password)
    staff.session_epoch += 1


def give_first_password(staff: Staff, password: str) -> None:
    """Let someone the roster import added (no password yet) sign in: set their first password and
    activate the account in one step. Anyone who already has a password is reset instead; nobody the
    MIS says has left is let in (``set_staff_active``)."""
    if staff.mis_left:
        raise RosterError(LEFT_MESSAGE.format(name=staff.name))
    if staff.has_password:
        raise RosterError(f"{staff.name} already has a password. Reset it instead.")
    staff.set_password(password)
    staff.active = True


def _blank_to_none(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _mis_id_taken(model: type[Pupil] | type[Group], row: Pupil | Group, external_id: str) -> bool:
    query = scoped(model, row.school_id).where(model.external_id == external_id)
    if row.id is not None:
        query = query.where(model.id != row.id)
    return db.session.scalar(query.with_only_columns(model.id)) is not None


def save_pupil(pupil: Pupil, given_name: str, family_name: str, preferred_name: str | None = None,
               year_group: str | None = None, external_id: str | None = None,
               peer_mediator: bool = False) -> Pupil:
    """Set a pupil's details (new pupils need ``school_id`` set). The MIS id is unique within
    the school, because roster imports match pupils by it; blank optional fields are stored as none."""
    external_id = _blank_to_none(external_id)
    if external_id and _mis_id_taken(Pupil, pupil, external_id):
        raise RosterError("Another pupil already has that MIS id.", "external_id")
    pupil.given_name, pupil.family_name = given_name.strip(), family_name.strip()
    pupil.preferred_name, pupil.year_group = _blank_to_none(preferred_name), _blank_to_none(year_group)
    pupil.external_id, pupil.peer_mediator = external_id, bool(peer_mediator)
    if pupil.archived is None:
        pupil.archived = False
    db.session.add(pupil)
    return pupil


def save_group(group: Group, name: str, kind: str, external_id: str | None = None) -> Group:
    """Set a group's details (new groups need ``school_id`` set); its MIS id is unique in the school."""
    external_id = _blank_to_none(external_id)
    if external_id and _mis_id_taken(Group, group, external_id):
        raise RosterError("Another group already has that MIS id.", "external_id")
    group.name, group.kind, group.external_id = name.strip(), kind, external_id
    if group.archived is None:
        group.archived = False
    db.session.add(group)
    return group


def members_not_offered(group: Group) -> tuple[list[Pupil], list[Staff]]:
    """The group's archived pupils and deactivated staff: the members form doesn't offer them."""
    return [p for p in group.pupils if p.archived], [s for s in group.staff if not s.active]


def set_group_members(group: Group, pupil_ids: list[int] | None, staff_ids: list[int] | None) -> None:
    """Replace the group's pupils on roll and active staff with those chosen, of the same school only
    (none ticked empties them). Archived pupils and deactivated staff stay as they are: the form
    doesn't offer them, and a teacher back from leave must still have their class."""
    pupil_ids, staff_ids = pupil_ids or [], staff_ids or []
    kept_pupils, kept_staff = members_not_offered(group)
    group.pupils = kept_pupils + list(db.session.scalars(
        scoped(Pupil, group.school_id).where(Pupil.id.in_(pupil_ids), Pupil.archived.is_(False))))
    group.staff = kept_staff + list(db.session.scalars(
        scoped(Staff, group.school_id).where(Staff.id.in_(staff_ids), Staff.active.is_(True))))
