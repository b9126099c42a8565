"""Every query for school data goes through here, filtered by the signed-in person's school."""
from typing import TypeVar

from flask import abort
from flask_login import current_user
from sqlalchemy import Select, select

from rrp_pwa.extensions import db

T = TypeVar("T")


def current_school_id() -> int:
    """The school of whoever is signed in; a request without one has no school data to see."""
    school_id = getattr(current_user, "school_id", None)
    if school_id is None:
        abort(404)
    return school_id


def scoped(model: type[T], school_id: int | None = None) -> Select[tuple[T]]:
    """A SELECT of ``model`` rows that belong to the current (or given) school only."""
    return select(model).where(model.school_id == (school_id or current_school_id()))


def one_or_404(query: Select[tuple[T]]) -> T:
    """The row a scoped query finds; a row the person may not see is indistinguishable from none."""
    found = db.session.scalar(query)
    if found is None:
        abort(404)
    return found


def get_scoped_or_404(model: type[T], object_id: int, school_id: int | None = None) -> T:
    """One row of the current school by id; another school's row is indistinguishable from none."""
    return one_or_404(scoped(model, school_id).where(model.id == object_id))
