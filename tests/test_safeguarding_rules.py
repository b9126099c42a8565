"""The rules of concerns: who raised it, where from, only the DSL handles it."""
from datetime import datetime, timedelta, timezone

import pytest

from rrp_pwa.extensions import db
from rrp_pwa.safeguarding.concerns import (
    ConcernError,
    RaisedConcern,
    as_raised,
    dsl_queue,
    has_raised_a_concern,
    mark_seen,
    new_concern_count,
    raise_concern,
    raised_by,
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


def test_the_raiser_sees_only_whether_the_dsl_has_seen_it(school):
    """Who it is about, when, and new / seen by whom and when / closed: never the note, the DSL's
    notes or what was decided - those stay in the restricted record."""
    raiser, dsl = make_staff(school, ("support",)), make_staff(school, ("dsl",), name="Dee Dsl")
    concern = raise_concern(school.id, "Bruise on her arm", "chat", pupil=make_pupil(school), raised_by_staff=raiser)
    db.session.add(concern)
    db.session.flush()
    assert as_raised(concern, dsl_reachable=True) == RaisedConcern("Amira Khan", concern.created_at, "unseen")
    assert as_raised(concern, dsl_reachable=False).status == "nobody_told"
    record_action(concern, dsl, "Called home; mum explained a fall.")
    seen = as_raised(concern, dsl_reachable=False)  # seen stays seen, even if that DSL has left since
    assert (seen.status, seen.seen_by, seen.seen_at) == ("seen", "Dee Dsl", concern.seen_at)
    record_action(concern, dsl, "No further worry.", close=True)
    assert as_raised(concern, dsl_reachable=True) == RaisedConcern("Amira Khan", concern.created_at, "closed")
    fields = set(RaisedConcern.__dataclass_fields__)
    assert fields == {"about", "raised_at", "status", "seen_by", "seen_at"}


def test_a_raiser_has_only_their_own_concerns_in_their_own_school(school):
    raiser, colleague = make_staff(school, ("teacher",)), make_staff(school, ("support",))
    assert not has_raised_a_concern(raiser)
    mine = raise_concern(school.id, "mine", "pupil", raised_by_staff=raiser)
    theirs = raise_concern(school.id, "theirs", "pupil", raised_by_staff=colleague)
    by_a_mediator = raise_concern(school.id, "worry", "mediation", raised_by_pupil=make_pupil(school))
    elsewhere = raise_concern(make_school("Hill High").id, "elsewhere", "pupil", raised_by_staff=raiser)
    older = raise_concern(school.id, "older", "pupil", raised_by_staff=raiser)
    older.created_at = mine.created_at - timedelta(days=1)
    db.session.add_all([mine, theirs, by_a_mediator, elsewhere, older])
    db.session.flush()
    assert [c.note for c in db.session.scalars(raised_by(raiser))] == ["mine", "older"]
    assert has_raised_a_concern(raiser) and has_raised_a_concern(colleague)
    assert not has_raised_a_concern(make_staff(school, ("dsl",)))
