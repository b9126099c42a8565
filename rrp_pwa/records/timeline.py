"""A registry of timeline sources, so each capability adds its entries to the pupil record
without the record knowing every model.

A source is ``fn(pupil, viewer) -> list[Entry]``. It must return only what ``viewer`` may see
(support staff see what they logged; teachers their groups' pupils; pastoral and admin all;
DSL additionally concerns) and must never return what a pupil said in a circle.
"""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from rrp_pwa.models import Pupil, Staff


@dataclass(frozen=True)
class Entry:
    when: datetime
    kind: str       # circle, checkin, chat, conversation, mediation, conference, agreement, review, concern
    title: str
    detail: str = ""
    url: str | None = None


Source = Callable[[Pupil, Staff], list[Entry]]
_SOURCES: list[Source] = []


def timeline_source(fn: Source) -> Source:
    """Decorator: register ``fn`` as a source of the pupil timeline."""
    if fn not in _SOURCES:
        _SOURCES.append(fn)
    return fn


def timeline_for(pupil: Pupil, viewer: Staff) -> list[Entry]:
    """Every entry about ``pupil`` that ``viewer`` may see, newest first."""
    entries = [entry for source in _SOURCES for entry in source(pupil, viewer)]
    return sorted(entries, key=lambda entry: entry.when, reverse=True)
