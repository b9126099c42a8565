"""The retention purge while someone changes a record it would delete, each in their own database
session: the record changed is kept (the purge's last look sees the change, or the change waits for
the purge), never deleted just after it was changed. Runs on SQLite by default and on PostgreSQL
with TEST_DATABASE_URL (where rows are locked one by one, and the race is real)."""
import threading
import time
from datetime import date, timedelta

from sqlalchemy import select

from rrp_pwa import retention
from rrp_pwa.agreements.rules import review_agreement
from rrp_pwa.conversations.chats import record_quick_chat
from rrp_pwa.extensions import db
from rrp_pwa.models import Agreement, AgreementReview, School, Staff
from rrp_pwa.models.conversations import QuickChat
from rrp_pwa.retention import plan_locked, plan_purge, purge
from tests.conftest import make_pupil, make_school, make_staff
from tests.test_retention import DAYS, days_ago, finished_agreement

HOLD_SECONDS = 1.0  # long enough for the purge to reach the rows held


def old_chat_with_agreement(school, staff, pupil) -> tuple[int, int]:
    """A chat 800 days old whose agreement was kept 800 days ago: both past their periods."""
    chat = record_quick_chat(school.id, staff, [pupil], "Unkind words", "Playground", happened_at=days_ago(800))
    db.session.flush()
    agreement = finished_agreement(school, staff, pupil, "chat", chat.id, 800)
    db.session.commit()
    return chat.id, agreement.id


def purge_in_thread(app, school_id: int) -> tuple[threading.Thread, dict]:
    """Run the purge's final look and deletes (as ``flask purge-records --yes`` does) in its own session."""
    outcome: dict = {}

    def run() -> None:
        with app.app_context():
            try:
                school = db.session.get(School, school_id)
                plan = plan_locked(school, DAYS)
                purge(plan, None)
                db.session.commit()
                outcome["plan"] = plan
            except Exception as exc:
                outcome["error"] = repr(exc)
                db.session.rollback()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def test_an_agreement_reviewed_while_the_purge_runs_is_kept_with_its_chat(app):
    """Before, the purge planned with the agreement finished, the review committed, and the purge then
    deleted the agreement it had just been given (on PostgreSQL its DELETE waited for the review's lock
    and went ahead; the new review then failed its foreign key, or was deleted with it)."""
    school = make_school()
    staff = make_staff(school, ("pastoral",), name="Pat Pastoral")
    chat_id, agreement_id = old_chat_with_agreement(school, staff, make_pupil(school))
    assert plan_purge(school, DAYS).ids["agreements"] == {agreement_id}
    school_id, staff_id = school.id, staff.id
    db.session.remove()

    with app.app_context():  # Pat reviews it again ("partly kept": due again next week), not yet committed
        agreement = db.session.get(Agreement, agreement_id)
        review_agreement(agreement, "partly_kept", "Better, not there yet", db.session.get(Staff, staff_id),
                         review_again_on=date.today() + timedelta(days=7))
        db.session.flush()
        thread, outcome = purge_in_thread(app, school_id)
        time.sleep(HOLD_SECONDS)
        db.session.commit()
    thread.join(timeout=60)

    assert "error" not in outcome, outcome.get("error")
    assert outcome["plan"].ids["agreements"] == set() and outcome["plan"].ids["chats"] == set()
    agreement = db.session.get(Agreement, agreement_id)
    assert agreement is not None and agreement.status == "partly_kept"
    assert len(db.session.scalars(select(AgreementReview).where(AgreementReview.agreement_id == agreement_id)).all()) == 2
    assert db.session.get(QuickChat, chat_id) is not None  # a chat goes with its agreements, and this one stays


def test_records_held_too_long_are_not_purged_and_nothing_is_deleted(app, runner, monkeypatch):
    """Someone holds the agreement for longer than the purge waits: that school is not purged, the
    command says so and fails (cron mails it), and nothing is deleted."""
    monkeypatch.setattr(retention, "LOCK_WAIT_MS", 200)
    school = make_school()
    staff = make_staff(school, ("pastoral",), name="Pat Pastoral")
    chat_id, agreement_id = old_chat_with_agreement(school, staff, make_pupil(school))
    db.session.remove()

    with app.app_context():
        agreement = db.session.get(Agreement, agreement_id)
        agreement.what = "Play fairly at football and at lunch"  # being edited, not committed
        db.session.flush()
        outcome: dict = {}

        def run_command() -> None:
            with app.app_context():  # the command's own session, as when cron starts it
                outcome["result"] = runner.invoke(args=["purge-records", "--yes"])

        thread = threading.Thread(target=run_command)
        thread.start()
        thread.join(timeout=60)
        db.session.rollback()

    result = outcome["result"]
    assert result.exit_code == 1, result.output
    assert "Not purged: some of these records were being changed" in result.output
    assert "Not purged, records in use: brook-primary." in result.output
    assert db.session.get(Agreement, agreement_id) is not None and db.session.get(QuickChat, chat_id) is not None
