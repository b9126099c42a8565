"""All models, imported here so Alembic and the app see one metadata."""
from rrp_pwa.models.checkins import CheckIn, CheckInFollowUp
from rrp_pwa.models.agreements import Agreement, AgreementParty, AgreementReview
from rrp_pwa.models.roster import (
    GROUP_KINDS,
    EndedSignIn,
    ROLES,
    Group,
    GroupPupil,
    GroupStaff,
    Pupil,
    School,
    Staff,
    StaffRole,
    short_names,
)
from rrp_pwa.models.safeguarding import Concern, ConcernAction
from rrp_pwa.models import audit, circles, conversations, mediation, sync  # noqa: F401,E402  (register their tables)

__all__ = [
    "GROUP_KINDS",
    "ROLES",
    "Agreement",
    "AgreementParty",
    "AgreementReview",
    "CheckIn",
    "CheckInFollowUp",
    "Concern",
    "ConcernAction",
    "EndedSignIn",
    "Group",
    "GroupPupil",
    "GroupStaff",
    "Pupil",
    "School",
    "Staff",
    "StaffRole",
]
