"""What each role sees first on the home screen, most-used first."""
from collections.abc import Callable
from dataclasses import dataclass

from flask import url_for

from rrp_pwa.models import Staff


@dataclass(frozen=True)
class Tile:
    title: str
    text: str
    endpoint: str
    shows: Callable[[Staff], bool] | None = None  # only for the people for whom it is true, when given


TILES_BY_ROLE: dict[str, list[Tile]] = {
    "teacher": [Tile("My groups", "Your classes and the pupils in them.", "roster.groups")],
    "support": [Tile("Find a pupil", "Look up a pupil by name.", "roster.pupils")],
    "pastoral": [Tile("Pupils", "Every pupil in the school and their record.", "roster.pupils")],
    "dsl": [Tile("Pupils", "Every pupil in the school and their record.", "roster.pupils")],
    "admin": [
        Tile("Staff", "Add staff, set roles, reset passwords.", "roster.staff_list"),
        Tile("Pupils", "Add, edit and archive pupils.", "roster.pupils"),
        Tile("Groups", "Classes, tutor groups, year groups and clubs.", "roster.groups"),
    ],
}
# The DSL's before the pastoral lead's: a DSL who is also the pastoral lead sees Safeguarding concerns first.
ROLE_ORDER = ("support", "teacher", "dsl", "pastoral", "admin")


def add_tiles(role: str, *tiles: Tile, first: bool = False) -> None:
    """Let a capability put its tiles on a role's home screen (``first`` puts them at the top)."""
    existing = TILES_BY_ROLE.setdefault(role, [])
    new = [tile for tile in tiles if tile not in existing]
    TILES_BY_ROLE[role] = new + existing if first else existing + new


def tiles_for(staff: Staff) -> list[dict]:
    """The tiles for every role the person holds, without repeats, in a stable order; a tile with
    ``shows`` only if it is true for them."""
    seen, tiles = set(), []
    for role in ROLE_ORDER:
        if not staff.has_role(role):
            continue
        for tile in TILES_BY_ROLE[role]:
            if tile.endpoint not in seen:
                seen.add(tile.endpoint)
                if tile.shows is None or tile.shows(staff):
                    tiles.append({"title": tile.title, "text": tile.text, "url": url_for(tile.endpoint)})
    return tiles
