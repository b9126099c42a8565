"""Exports of the school record: one pupil's whole record (CSV and JSON, for the MIS and for a
subject access request) and a school-wide CSV for a date range.

Rules: exports hold exactly the record types of the feed (``register_record``), in the same
JSON shape; safeguarding concerns are never among them, whoever asks (they are released by
the DSL through the school's own safeguarding process, not through this app's exports).
"""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timezone

from rrp_pwa.extensions import db
from rrp_pwa.models import Pupil, School
from rrp_pwa.sync.feed import record_types

CSV_COLUMNS = ("type", "id", "date_time", "recorded_at", "category", "location", "pupil_role", "pupils", "staff",
               "narrative", "outcome", "follow_up")


class ExportError(Exception):
    """An export that can't be made as asked; the message is shown to the user."""


def pupil_records(pupil: Pupil) -> list[dict]:
    """Every exportable record about ``pupil``, oldest first."""
    records = []
    for kind in record_types():
        query = kind.scoped(pupil.school_id).where(kind.involving(pupil.id))
        records += [kind.to_json(r) for r in db.session.scalars(query) if kind.ready(r)]
    return sorted(records, key=lambda r: (r["date_time"] or "", r["type"], r["id"]))


def pupil_export(pupil: Pupil) -> dict:
    """The JSON export: who the pupil is, then their records."""
    return {"exported_at": datetime.now(timezone.utc).isoformat(),
            "pupil": {"id": pupil.id, "mis_id": pupil.external_id, "given_name": pupil.given_name,
                      "preferred_name": pupil.preferred_name, "family_name": pupil.family_name,
                      "year_group": pupil.year_group, "groups": [g.name for g in pupil.groups],
                      "archived": pupil.archived},
            "records": pupil_records(pupil)}


def school_records(school: School, start: date, end: date) -> list[dict]:
    """Every exportable record of the school dated from ``start`` to ``end`` inclusive, in the school's
    own days (a record made at 00:30 in British Summer Time is on that day, not the one before)."""
    if end < start:
        raise ExportError("The last day can't be before the first.")
    if (end - start).days > 400:
        raise ExportError("Export at most about a year at a time.")
    (since, _), (_, until) = school.day_bounds(start), school.day_bounds(end)
    records = []
    for kind in record_types():
        query = kind.scoped(school.id).where(kind.when >= since, kind.when < until)
        records += [kind.to_json(r) for r in db.session.scalars(query) if kind.ready(r)]
    return sorted(records, key=lambda r: (r["date_time"] or "", r["type"], r["id"]))


def _people(people: list[dict]) -> str:
    return "; ".join(f"{p['name']} ({p['mis_id'] or p['id']}, {p['role']})" for p in people)


def _follow_up(value: dict | None) -> str:
    if not value:
        return ""
    return "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in value.items() if v not in (None, [], ""))


def to_csv(records: list[dict], pupil: Pupil | None = None) -> str:
    """One row per record; ``pupil_role`` is the given pupil's part in it (empty for a school export)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in records:
        role = next((p["role"] for p in r["pupils"] if pupil and p["id"] == pupil.id), "")
        # every text cell: a place a pupil mediator typed, a name from the roster, as much as a narrative
        writer.writerow([r["type"], r["id"], r["date_time"], r["recorded_at"], *map(_safe_cell, (
            r["category"], r["location"], role, _people(r["pupils"]), _people(r["staff"]), r["narrative"],
            r["outcome"], _follow_up(r["follow_up"])))])
    return out.getvalue()


def _safe_cell(value) -> str:
    """Free text that a spreadsheet would run as a formula is prefixed with an apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
