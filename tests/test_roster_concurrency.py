"""Two roster imports of one school at the same moment (two admins, or the command line and the web),
each in its own database session: they run one after the other, never side by side, so neither
fails with a server error and neither applies half a diff. Runs on SQLite by default and on
PostgreSQL with TEST_DATABASE_URL (where rows are locked one by one, and the race is real)."""
import threading
import time

from sqlalchemy import func, select

from rrp_pwa.extensions import db
from rrp_pwa.models import GroupPupil, Pupil, School
from rrp_pwa.models.sync import PendingImport
from rrp_pwa.sync import oneroster
from rrp_pwa.sync.oneroster import import_roster
from tests.conftest import AuthActions, make_school, make_staff
from tests.test_oneroster import package
from tests.test_pending_import import check

HOLD_SECONDS = 1.0  # long enough for the other import to reach the point where it must wait


def roster_is_whole() -> None:
    """small_school imported exactly once: four pupils, each in their classes once."""
    assert db.session.scalar(select(func.count(Pupil.id))) == 4
    memberships = list(db.session.execute(select(GroupPupil.group_id, GroupPupil.pupil_id)))
    assert len(memberships) == len(set(memberships)) == 4


def in_thread(target) -> tuple[threading.Thread, dict]:
    """Run ``target`` in a thread; its answer or the exception it raised lands in the dict returned."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["answer"] = target()
        except Exception as exc:  # a server error, as the test client propagates it
            outcome["error"] = repr(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def test_a_confirm_while_the_command_line_imports_waits_or_is_refused_never_a_server_error(app, client, auth):
    """Before, on PostgreSQL the confirm read the roster without the pupils the command line was adding,
    added them too, and failed on the unique key once the command line committed (a 500)."""
    admin = auth.login(roles=("admin",))
    school_id = admin.school_id
    _, token = check(client)
    db.session.remove()

    response = hold_an_import(app, school_id, lambda: client.post("/admin/sync/roster/confirm", data={"upload": token}))
    page = response.get_data(as_text=True)
    assert response.status_code == 409, page
    assert "The roster changed after you checked this package" in page
    assert "so nothing was\n    imported." in page
    assert "Nothing to change: your roster already matches this package." in page
    roster_is_whole()
    assert db.session.scalar(select(func.count(PendingImport.id))) == 0


def hold_an_import(app, school_id: int, then, hold: float = HOLD_SECONDS):
    """Import small_school in a session of its own and, before committing it, start ``then`` in a
    thread; commit ``hold`` seconds later. Return ``then``'s outcome."""
    with app.app_context():
        import_roster(db.session.get(School, school_id), package("small_school"), apply=True)
        db.session.flush()
        thread, outcome = in_thread(then)
        time.sleep(hold)
        db.session.commit()
    thread.join(timeout=60)
    assert "error" not in outcome, outcome.get("error")
    return outcome["answer"]


def test_a_command_line_import_while_another_holds_the_roster_waits_then_finds_nothing_to_do(app, runner, tmp_path):
    """Before, the second command read the roster before the first committed (on SQLite too: its reads
    came before its first write) and added the same pupils again: a unique-key error."""
    school_id = make_school().id
    db.session.commit()
    path = tmp_path / "roster.zip"
    path.write_bytes(package("small_school"))
    result = hold_an_import(app, school_id, lambda: runner.invoke(args=["import-oneroster", str(path)]))
    assert result.exit_code == 0, result.output
    assert "Nothing to change: the roster already matches this package." in result.output
    roster_is_whole()


def test_an_import_held_too_long_is_refused_and_writes_nothing(app, client, auth, runner, tmp_path, monkeypatch):
    """The confirm and the command line wait a bounded time for another import; past it they say why,
    import nothing, and the package still waits (nothing was taken)."""
    monkeypatch.setattr(oneroster, "ROSTER_LOCK_WAIT_MS", 200)
    admin = auth.login(roles=("admin",))
    school_id = admin.school_id
    _, token = check(client)
    db.session.remove()
    response = hold_an_import(app, school_id, lambda: client.post("/admin/sync/roster/confirm", data={"upload": token}))
    page = response.get_data(as_text=True)
    assert response.status_code == 409, page
    assert "Another import was changing the roster while you were looking, so nothing was imported." in page
    assert "upload the package again to check what it would change now." in page
    assert db.session.scalar(select(func.count(PendingImport.id))) == 1
    roster_is_whole()

    path = tmp_path / "roster.zip"
    path.write_bytes(package("delta_tobedeleted"))
    db.session.remove()
    with app.app_context():
        oneroster.lock_roster(school_id)
        thread, outcome = in_thread(lambda: runner.invoke(args=["import-oneroster", str(path)]))
        thread.join(timeout=60)
        db.session.rollback()
    result = outcome["answer"]
    assert result.exit_code == 1, result.output
    assert "Another import is changing this school's roster: nothing was imported." in result.output
    roster_is_whole()


def test_two_admins_confirming_at_once_import_the_roster_once(app):
    """Two admins checked the roster at the same moment (each has a package waiting) and confirm at
    once: one imports, the other is shown that the roster changed (409), never a 500."""
    school = make_school()
    admins = [make_staff(school, ("admin",)) for _ in range(2)]
    db.session.commit()
    clients = [app.test_client() for _ in admins]
    tokens = []
    for admin, admin_client in zip(admins, clients):
        AuthActions(admin_client).login(admin)
        first = waiting_package()
        tokens.append(check(admin_client)[1])
    put_back(first)  # two checks racing each keep their package: the second deleted none
    db.session.remove()
    barrier = threading.Barrier(2)

    def confirm(admin_client, token):
        barrier.wait()
        return admin_client.post("/admin/sync/roster/confirm", data={"upload": token})

    runs = [in_thread(lambda c=c, t=t: confirm(c, t)) for c, t in zip(clients, tokens)]
    for thread, _ in runs:
        thread.join(timeout=60)

    errors = [outcome["error"] for _, outcome in runs if "error" in outcome]
    assert errors == []
    statuses = sorted(outcome["answer"].status_code for _, outcome in runs)
    assert statuses == [302, 409], [outcome["answer"].get_data(as_text=True) for _, outcome in runs]
    refused = next(outcome["answer"] for _, outcome in runs if outcome["answer"].status_code == 409)
    assert "The roster changed after you checked this package" in refused.get_data(as_text=True)
    roster_is_whole()


def waiting_package() -> dict | None:
    """The columns of the package waiting (if any), to keep it again later."""
    row = db.session.execute(select(PendingImport.__table__)).mappings().first()
    return None if row is None else {key: value for key, value in row.items() if key != "id"}


def put_back(pending: dict) -> None:
    """Keep again the package a later check deleted, as two checks racing would have left it."""
    db.session.execute(PendingImport.__table__.insert().values(**pending))
    db.session.commit()
    assert db.session.scalar(select(func.count(PendingImport.id))) == 2
