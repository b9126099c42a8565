"""All models, imported here so Alembic and the app see one metadata."""
from rrp_pwa.models.roster import (
    GROUP_KINDS,
    ROLES,
    Group,
    GroupPupil,
    GroupStaff,
    Pupil,
    School,
    Staff,
    StaffRole,
)

__all__ = [
    "GROUP_KINDS",
    "ROLES",
    "Group",
    "GroupPupil",
    "GroupStaff",
    "Pupil",
    "School",
    "Staff",
    "StaffRole",
]
