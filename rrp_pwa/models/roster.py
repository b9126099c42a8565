"""The school (the tenant), its staff, pupils and groups."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from rrp_pwa.extensions import db

ROLES = ("admin", "teacher", "support", "pastoral", "dsl")
ROLE_LABELS = {
    "admin": "Admin",
    "teacher": "Teacher",
    "support": "Support (midday / TA)",
    "pastoral": "Pastoral lead",
    "dsl": "Designated Safeguarding Lead",
}
GROUP_KINDS = ("class", "tutor", "year", "club")
GROUP_KIND_LABELS = {"class": "Class", "tutor": "Tutor group", "year": "Year group", "club": "Club"}


NO_PASSWORD = "!no password yet"  # not a hash: no password matches it (an account the roster import made)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class School(db.Model):
    """A school: every other row belongs to exactly one."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/London")
    checkin_scale: Mapped[str] = mapped_column(String(8), default="faces", server_default="faces")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def zone(self) -> ZoneInfo:
        """Where the school is: its days, and the times its staff see."""
        return ZoneInfo(self.timezone or "Europe/London")

    def today(self) -> date:
        """Today's date where the school is (what "due today" means to its staff)."""
        return datetime.now(self.zone).date()

    def day_bounds(self, day: date) -> tuple[datetime, datetime]:
        """The start and end (UTC) of ``day`` where the school is."""
        start = datetime.combine(day, time.min, tzinfo=self.zone)
        return start.astimezone(timezone.utc), (start + timedelta(days=1)).astimezone(timezone.utc)


class Staff(UserMixin, db.Model):
    """A member of staff who signs in with email and password and holds one or more roles."""

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The MIS roster says they have left (deleted, disabled or no longer listed): an admin can't let them
    # in (no first password, no reactivation) until an import finds them listed again (rrp_pwa.sync.oneroster).
    mis_left: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    school: Mapped[School] = relationship()
    role_rows: Mapped[list[StaffRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="StaffRole.role"
    )

    @property
    def roles(self) -> set[str]:
        return {row.role for row in self.role_rows}

    def set_roles(self, roles: set[str] | list[str]) -> None:
        """Replace the roles held, ignoring names that are not roles."""
        wanted = set(roles) & set(ROLES)
        self.role_rows = [row for row in self.role_rows if row.role in wanted]
        for role in sorted(wanted - self.roles):
            self.role_rows.append(StaffRole(role=role))

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def has_password(self) -> bool:
        """False for an account the roster import made: nobody can sign in to it until an admin sets
        its first password."""
        return self.password_hash != NO_PASSWORD

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    def get_id(self) -> str:
        """The session id includes the epoch, so bumping it signs the person out everywhere."""
        return f"{self.id}.{self.session_epoch}"


class StaffRole(db.Model):
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(16), primary_key=True)


class EndedSignIn(db.Model):
    """A sign-in on a device that has ended: signed out, or replaced by the next person's sign-in.

    Each sign-in (a member of staff, or a pair of peer mediators) puts a random ``sid`` in the
    session cookie. A copy of that cookie can outlive the sign-out - a slow request sent before
    the person signed out answers afterwards and sets it again - and must not sign them back in
    on a shared tablet. Not school data: a random id and a time, nothing about the person; kept
    only while a copied cookie could still pass the idle timeout.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    sid: Mapped[str] = mapped_column(String(32), unique=True)
    ended_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class Pupil(db.Model):
    """A pupil on the school's roll. Pupils have no account; peer mediators get a sign-in later."""

    __table_args__ = (UniqueConstraint("school_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    given_name: Mapped[str] = mapped_column(String(80))
    family_name: Mapped[str] = mapped_column(String(80))
    preferred_name: Mapped[str | None] = mapped_column(String(80))
    year_group: Mapped[str | None] = mapped_column(String(20))
    external_id: Mapped[str | None] = mapped_column(String(64))
    peer_mediator: Mapped[bool] = mapped_column(Boolean, default=False)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    groups: Mapped[list[Group]] = relationship(
        secondary="group_pupil", back_populates="pupils", order_by="Group.name"
    )

    @property
    def first_name(self) -> str:
        return self.preferred_name or self.given_name

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.family_name}"

    @property
    def short_name(self) -> str:
        """First name and initial: all that other pupils ever see."""
        return f"{self.first_name} {self.family_name[:1]}."


def short_names(pupils: Iterable[Pupil]) -> dict[int, str]:
    """Each pupil's short name as shown beside the others in one list (a class's names at the check-in
    station, a circle's join list): first name and initial, with as much more of the family name as it
    takes to tell two apart ("Maya Ch." and "Maya Cl."), then the year group or a number where even the
    whole names are the same. A pupil tapping their name must never pick someone else's."""
    pupils = list(pupils)
    names: dict[int, str] = {}
    for pupil in pupils:
        first, family = pupil.first_name, pupil.family_name
        alike = [o.family_name.casefold() for o in pupils
                 if o.id != pupil.id and o.first_name.casefold() == first.casefold()]
        k = 1
        while k < len(family) and any(other[:k] == family[:k].casefold() for other in alike):
            k += 1
        names[pupil.id] = f"{first} {family[:k]}." if k < len(family) else f"{first} {family}"
    return told_apart(pupils, names)


def told_apart(pupils: list[Pupil], names: dict[int, str]) -> dict[int, str]:
    """``names`` (each pupil's name as a list shows it) with the year group, or a number where the year
    groups do not tell them apart, after every name that two or more of ``pupils`` share."""
    same = {}
    for pupil in pupils:
        same.setdefault(names[pupil.id].casefold(), []).append(pupil)
    for twins in (group for group in same.values() if len(group) > 1):
        twins.sort(key=lambda twin: twin.id)  # the same number in every list they are in together
        years = [twin.year_group for twin in twins]
        by_year = all(years) and len(set(years)) == len(years)
        for n, twin in enumerate(twins, start=1):
            names[twin.id] = f"{names[twin.id]} ({twin.year_group if by_year else f'#{n}'})"
    return names


class Group(db.Model):
    """A class, tutor group, year group or club, with pupil and staff members."""

    __table_args__ = (UniqueConstraint("school_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16), default="class")
    external_id: Mapped[str | None] = mapped_column(String(64))
    archived: Mapped[bool] = mapped_column(Boolean, default=False)

    pupils: Mapped[list[Pupil]] = relationship(
        secondary="group_pupil", back_populates="groups",
        order_by="(Pupil.given_name, Pupil.family_name)",
    )
    staff: Mapped[list[Staff]] = relationship(secondary="group_staff", order_by="Staff.name")

    @property
    def kind_label(self) -> str:
        return GROUP_KIND_LABELS.get(self.kind, self.kind)

    @property
    def current_pupils(self) -> list[Pupil]:
        """Its pupils not archived: an archived pupil stays a member (restored, they are back), but is not shown."""
        return [pupil for pupil in self.pupils if not pupil.archived]

    @property
    def current_staff(self) -> list[Staff]:
        """Its staff whose accounts are active: a deactivated member stays one until reactivated, but is not shown."""
        return [member for member in self.staff if member.active]


class GroupPupil(db.Model):
    group_id: Mapped[int] = mapped_column(ForeignKey("group.id"), primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupil.id"), primary_key=True, index=True)


class GroupStaff(db.Model):
    group_id: Mapped[int] = mapped_column(ForeignKey("group.id"), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), primary_key=True, index=True)
