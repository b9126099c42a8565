"""Live panels on a person's home screen, contributed by capabilities (like tiles).

``add_home_panel("mediation/_home_alerts.html", shows=fn, head="mediation/_head.html")`` puts
the panel above the tiles for staff for whom ``fn(staff)`` is true; ``head`` is included in the
page's <head> (its stylesheet and script).
"""
from collections.abc import Callable
from dataclasses import dataclass

from rrp_pwa.models import Staff


@dataclass(frozen=True)
class Panel:
    template: str
    shows: Callable[[Staff], bool]
    head: str | None = None


_PANELS: list[Panel] = []


def add_home_panel(template: str, shows: Callable[[Staff], bool], head: str | None = None) -> None:
    if all(panel.template != template for panel in _PANELS):
        _PANELS.append(Panel(template, shows, head))


def panels_for(staff: Staff) -> list[Panel]:
    return [panel for panel in _PANELS if panel.shows(staff)]
