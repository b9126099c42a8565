"""The rules of concerns: who raised it, where from, only the DSL handles it."""
from datetime import datetime, timedelta, timezone

import pytest

from rrp_pwa.extensions import db
from rrp_pwa.safeguarding.concerns import (
    ConcernError,
    dsl_queue,
    mark_seen,
    new_concern_count,
    raise_concern,
    record_action,
    reopen,
)
from tests.conftest import make_pupil, make_school, make_staff


@pytest.fixture
def school(app):
    return make_school()


@pytest.mark.parametrize("kwargs, message", [({"note": "  "}, "Write what you saw"),
                                             ({"note": "x" * 5001}, "5,000"),
                                             ({"context_kind": "party"}, "Unknown place"),
                                             ({"raised_by_staff": None}, "who raised it")])
def test_bad_concerns_are_refused(school, kwargs, message):
    args = {"note": "Bruise", "context_kind": "chat", "raised_by_staff": make_staff(school, ("support",)), **kwargs}
    with pytest.raises(ConcernError, match=message):
        raise_concern(school.id, args.pop("note"), args.pop("context_kind"), **args)


def test_a_pupil_of_another_school_is_refused(school):
    with pytest.raises(ConcernError, match="not in this school"):
        raise_concern(school.id, "Bruise", "chat", pupil=make_pupil(make_school("Hill High")),
                      raised_by_staff=make_staff(school, ("teacher",)))


def test_queue_puts_new_first_then_newest_and_counts_new(school):
    raiser, dsl = make_staff(school, ("teacher",)), make_staff(school, ("dsl",))
    now = datetime.now(timezone.utc)
    old, seen, fresh = (raise_concern(school.id, note, "pupil", raised_by_staff=raiser)
                        for note in ("old", "seen", "new"))
    old.created_at, seen.created_at, fresh.created_at = now - timedelta(days=2), now, now - timedelta(hours=1)
    db.session.add_all([old, seen, fresh])
    db.session.flush()
    mark_seen(seen, dsl)
    other = make_school("Hill High")
    db.session.add(raise_concern(other.id, "elsewhere", "pupil", raised_by_staff=make_staff(other, ("teacher",))))
    db.session.commit()
    assert [c.note for c in db.session.scalars(dsl_queue(school.id))] == ["new", "old", "seen"]
    assert new_concern_count(school.id) == 2 and seen.seen_by_id == dsl.id


@pytest.mark.parametrize("roles", [("admin",), ("pastoral",), ("teacher",)])
def test_only_the_schools_dsl_marks_seen(school, roles):
    concern = raise_concern(school.id, "Bruise", "chat", raised_by_staff=make_staff(school, ("support",)))
    db.session.add(concern)
    with pytest.raises(ConcernError, match="Only the school's DSL"):
        mark_seen(concern, make_staff(school, roles))
    with pytest.raises(ConcernError):
        mark_seen(concern, make_staff(make_school("Hill High"), ("dsl",)))
    assert concern.status == "new"


def test_only_a_closed_concern_is_reopened_and_only_by_the_dsl(school):
    dsl = make_staff(school, ("dsl",))
    concern = raise_concern(school.id, "Bruise", "chat", pupil=make_pupil(school), raised_by_staff=dsl)
    db.session.add(concern)
    with pytest.raises(ConcernError, match="not closed"):
        reopen(concern, dsl)
    record_action(concern, dsl, "Checked; explained by PE.", close=True)
    with pytest.raises(ConcernError, match="Only the school's DSL"):
        reopen(concern, make_staff(school, ("pastoral", "admin")))
    reopen(concern, dsl)
    assert concern.status == "seen"
    record_action(concern, dsl, "Closed again.", close=True)
    assert concern.status == "closed"
