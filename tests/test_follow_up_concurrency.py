"""A change posted while someone else holds the record, each in their own database session: the
retention purge deleting an agreement, a second reviewer saving theirs, a conversation finished
twice at once. The post waits for them, then sees what they did - the agreement gone (404), their
review or the finished conversation (409) - instead of failing on a deleted row (a 500) or doing it
a second time unseen. Runs on SQLite by default and on PostgreSQL with TEST_DATABASE_URL, where
rows are locked one by one."""
import threading
import time

from sqlalchemy import func, select

from rrp_pwa.agreements.rules import review_agreement
from rrp_pwa.conversations.restorative import finish, start_conversation
from rrp_pwa.extensions import db
from rrp_pwa.models import Agreement, AgreementReview, School, Staff
from rrp_pwa.models.conversations import Conversation
from rrp_pwa.retention import plan_locked, purge
from tests.conftest import make_pupil, make_school, make_staff
from tests.test_retention import DAYS
from tests.test_retention_concurrency import HOLD_SECONDS, old_chat_with_agreement


def hold_in_thread(app, change) -> tuple[threading.Thread, dict]:
    """Run ``change`` in its own session and keep it uncommitted for HOLD_SECONDS (its locks held), then
    commit. Returns once the change holds what it locks."""
    outcome: dict = {}
    holding = threading.Event()

    def run() -> None:
        with app.app_context():
            try:
                change()
                db.session.flush()
                holding.set()
                time.sleep(HOLD_SECONDS)
                db.session.commit()
            except Exception as exc:
                outcome["error"] = repr(exc)
                db.session.rollback()
            finally:
                holding.set()

    thread = threading.Thread(target=run)
    thread.start()
    holding.wait(timeout=60)
    return thread, outcome


def reviews_of(agreement_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(AgreementReview)
                             .where(AgreementReview.agreement_id == agreement_id))


def test_a_review_posted_while_the_purge_deletes_the_agreement_says_it_is_not_there(app, client, auth):
    """Before: the review read the agreement before the purge committed, then wrote to a deleted row -
    a 500 (on PostgreSQL a foreign key violation, on SQLite an update that matched no row)."""
    school = make_school()
    staff = make_staff(school, ("pastoral",), name="Pat Pastoral")
    chat_id, agreement_id = old_chat_with_agreement(school, staff, make_pupil(school))
    school_id = school.id
    auth.login(staff)
    db.session.remove()

    def purge_school() -> None:
        purge(plan_locked(db.session.get(School, school_id), DAYS), None)

    thread, outcome = hold_in_thread(app, purge_school)
    response = client.post(f"/agreements/{agreement_id}/review", data={"outcome": "not_kept", "seen_reviews": 1})
    thread.join(timeout=60)

    assert "error" not in outcome, outcome.get("error")
    assert response.status_code == 404
    assert "We couldn&#39;t find that page" in response.get_data(as_text=True)
    assert db.session.get(Agreement, agreement_id) is None and reviews_of(agreement_id) == 0


def test_two_reviews_at_the_same_moment_the_second_is_told_to_check_the_first(app, client, auth):
    """Before: both reviewers' forms showed no review; the second read the agreement before the first
    committed, then saved its verdict on top of the first's without either seeing the other."""
    school = make_school()
    pat = make_staff(school, ("pastoral",), name="Pat Pastoral")
    teacher = make_staff(school, ("pastoral",), name="Tess Teacher")
    _, agreement_id = old_chat_with_agreement(school, pat, make_pupil(school))
    pat_id = pat.id
    auth.login(teacher)
    db.session.remove()

    def pat_reviews() -> None:
        review_agreement(db.session.get(Agreement, agreement_id), "not_kept", "Fell out again",
                         db.session.get(Staff, pat_id), seen_reviews=1)

    thread, outcome = hold_in_thread(app, pat_reviews)
    response = client.post(f"/agreements/{agreement_id}/review", data={"outcome": "kept", "seen_reviews": 1})
    thread.join(timeout=60)

    assert "error" not in outcome, outcome.get("error")
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone has reviewed this agreement since you opened it" in page and "Fell out again" in page
    assert reviews_of(agreement_id) == 2  # the one from 800 days ago and Pat's; not Tess's on top
    assert db.session.get(Agreement, agreement_id).status == "not_kept"


def test_a_conversation_finished_twice_at_once_makes_one_agreement(app, client, auth):
    """A double tap on Finish, or a second tab: before, both posts read the conversation unfinished and
    each made an agreement; now the second waits for the first and is told it has been finished."""
    school = make_school()
    teacher = make_staff(school, ("teacher",))
    talk = start_conversation(school.id, teacher, "conversation", [(make_pupil(school), "harmed")])
    db.session.commit()
    talk_id, teacher_id, owner_id = talk.id, teacher.id, talk.participants[0].id
    auth.login(teacher)
    db.session.remove()

    def first_tap() -> None:
        conversation = db.session.get(Conversation, talk_id)
        finish(conversation, db.session.get(Staff, teacher_id), "Play fairly at lunch",
               [conversation.participants[0].id])

    thread, outcome = hold_in_thread(app, first_tap)
    response = client.post(f"/conversations/{talk_id}/agreement", data={"what": "Play fairly at lunch",
                                                                      "owners": [owner_id]})
    thread.join(timeout=60)

    assert "error" not in outcome, outcome.get("error")
    assert response.status_code == 409 and "already been finished" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Agreement)
                             .where(Agreement.source_kind == "conversation", Agreement.source_id == talk_id)) == 1
