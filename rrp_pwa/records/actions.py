"""What staff can do from a pupil's page, contributed by each capability (like home tiles).

``add_pupil_action("Record a check-in", "checkins.for_pupil", roles=("teacher",))`` shows a
button on the pupil page that links to ``url_for(endpoint, pupil_id=pupil.id)``. Roles only
decide whether the button shows; the endpoint itself must check permission as strictly.
"""
from dataclasses import dataclass

from flask import url_for

from rrp_pwa.models import Pupil, Staff


@dataclass(frozen=True)
class PupilAction:
    label: str
    endpoint: str
    roles: tuple[str, ...] = ()


_ACTIONS: list[PupilAction] = []


def add_pupil_action(label: str, endpoint: str, roles: tuple[str, ...] = ()) -> None:
    action = PupilAction(label, endpoint, tuple(roles))
    if action not in _ACTIONS:
        _ACTIONS.append(action)


def pupil_actions(pupil: Pupil, viewer: Staff) -> list[dict]:
    """The buttons ``viewer`` sees on ``pupil``'s page, in the order they were added."""
    return [{"label": a.label, "url": url_for(a.endpoint, pupil_id=pupil.id)}
            for a in _ACTIONS if not a.roles or viewer.has_role(*a.roles)]
