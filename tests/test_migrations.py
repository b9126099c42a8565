"""The committed migrations build exactly the schema the models describe.

On an empty database (a SQLite file; on PostgreSQL a fresh schema made for the test and
dropped after it, so the shared tables are never touched) ``flask db upgrade`` runs the whole
chain, then Alembic's autogenerate comparison must find no difference from the models.
"""
import os
import uuid
from pathlib import Path

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from rrp_pwa import ROOT, create_app
from rrp_pwa.config import database_url
from rrp_pwa.extensions import db

MIGRATIONS = ROOT / "migrations"
# migrations/env.py is Flask-Migrate's template, which still calls db.get_engine() first.
pytestmark = pytest.mark.filterwarnings("ignore:'get_engine' is deprecated:DeprecationWarning")


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    """A URL of an empty database: a new SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    raw = os.environ.get("TEST_DATABASE_URL", "")
    # The machine's PostgreSQL (CI always runs it), in a schema of its own, on either pass.
    base = database_url(raw if raw.startswith("postgres") else "postgresql://postgres@127.0.0.1:5432/test", "")
    schema = f"mig_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        separator = "&" if "?" in base else "?"
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def migrated_app(uri: str, tmp_path: Path):
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "migrations",
                       "INSTANCE_PATH": str(tmp_path / "instance")})


def test_the_chain_has_one_head():
    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1, script.get_heads()
    assert script.get_base() == "0001_roster"


def alembic_config() -> AlembicConfig:
    config = AlembicConfig(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def test_upgrade_builds_exactly_the_models_schema(empty_database, tmp_path):
    app = migrated_app(empty_database, tmp_path)
    with app.app_context():
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
            tables = set(inspect(conn).get_table_names())
        db.engine.dispose()
    assert differences == []
    assert {"school", "staff", "pupil", "group", "group_pupil", "group_staff", "alembic_version"} <= tables


def test_downgrade_to_base_leaves_only_the_version_table(empty_database, tmp_path):
    app = migrated_app(empty_database, tmp_path)
    with app.app_context():
        flask_migrate.upgrade()
        flask_migrate.downgrade(revision="base")
        with db.engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
        db.engine.dispose()
    assert tables == {"alembic_version"}


AT = "2026-11-20 10:00:00+00"


def insert_school_and_staff(conn) -> None:
    conn.execute(text("INSERT INTO school (id, name, slug, timezone, created_at) "
                      "VALUES (1, 'Oak', 'oak', 'Europe/London', :at)"), {"at": AT})
    conn.execute(text("INSERT INTO staff (id, school_id, email, name, password_hash, active, session_epoch, "
                      "created_at) VALUES (7, 1, 'kim@oak.example', 'Kim', 'x', :t, 0, :at)"), {"at": AT, "t": True})


def test_a_school_with_reviewed_agreements_upgrades(empty_database, tmp_path):
    """Migrations that rebuild a table on SQLite (0009, 0011 rebuild ``agreement``) keep the rows that refer
    to it: before, a school with one reviewed agreement could not upgrade past 0008."""
    app = migrated_app(empty_database, tmp_path)
    with app.app_context():
        flask_migrate.upgrade(revision="0008_sign_ins")
        with db.engine.begin() as conn:
            insert_school_and_staff(conn)
            conn.execute(text("INSERT INTO agreement (id, school_id, source_kind, kind, what, status, created_at) "
                              "VALUES (1, 1, 'chat', 'action', 'Share', 'kept', :at)"), {"at": AT})
            conn.execute(text("INSERT INTO agreement_party (id, agreement_id, name, owner) "
                              "VALUES (1, 1, 'Amira', :t)"), {"t": True})
            conn.execute(text("INSERT INTO agreement_review (id, agreement_id, outcome, reviewed_by_id, "
                              "reviewed_at) VALUES (1, 1, 'kept', 7, :at)"), {"at": AT})
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            kept = [conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
                    for table in ("agreement", "agreement_party", "agreement_review")]
        db.engine.dispose()
    assert kept == [1, 1, 1]


def test_a_recorded_follow_up_moves_to_the_not_kept_review_it_answered_and_back(empty_database, tmp_path):
    """0011 moves an agreement's follow-up onto its latest "not kept" review; the downgrade moves it back."""
    app = migrated_app(empty_database, tmp_path)
    at = AT
    with app.app_context():
        flask_migrate.upgrade(revision="0010_audit")
        with db.engine.begin() as conn:
            insert_school_and_staff(conn)
            for agreement_id, followed in ((1, at), (2, None)):
                conn.execute(text("INSERT INTO agreement (id, school_id, source_kind, kind, what, status, created_at, "
                                  "followed_up_at, followed_up_by_id) VALUES (:id, 1, 'chat', 'action', 'Share', "
                                  "'not_kept', :at, :followed, :by)"),
                             {"id": agreement_id, "at": at, "followed": followed, "by": 7 if followed else None})
            # agreement 1: not kept, not kept again (then followed up); agreement 2: not kept, not yet followed up
            for review_id, agreement_id in ((1, 1), (2, 1), (3, 2)):
                conn.execute(text("INSERT INTO agreement_review (id, agreement_id, outcome, reviewed_by_id, "
                                  "reviewed_at) VALUES (:id, :a, 'not_kept', 7, :at)"),
                             {"id": review_id, "a": agreement_id, "at": at})
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            moved = conn.execute(text("SELECT id, followed_up_by_id FROM agreement_review ORDER BY id")).all()
        assert [tuple(row) for row in moved] == [(1, None), (2, 7), (3, None)]
        flask_migrate.downgrade(revision="0010_audit")
        with db.engine.connect() as conn:
            back = conn.execute(text("SELECT id, followed_up_by_id FROM agreement ORDER BY id")).all()
        db.engine.dispose()
    assert [tuple(row) for row in back] == [(1, 7), (2, None)]


def test_seats_taken_out_before_0019_are_listed_as_having_left_early(empty_database, tmp_path):
    """0020: a seat let in and taken out before 0019 kept no time, so the summary and the pupil record
    left it out; it gets the time of its last Remove or Leave (or when it joined, with no such row).
    A seat turned away from the waiting list (never given a place in the ring) still gets none."""
    app = migrated_app(empty_database, tmp_path)
    removed_at = "2026-11-20 10:05:00+00"
    with app.app_context():
        flask_migrate.upgrade(revision="0019_seat_left_at")
        with db.engine.begin() as conn:
            insert_school_and_staff(conn)
            conn.execute(text("INSERT INTO circle (id, school_id, keeper_id, kind, status, one_device, auto_admit, "
                              "join_expires_at, direction, round_no, lap, version, planned_prompts, created_at) "
                              "VALUES (1, 1, 7, 'checkin', 'closed', :f, :f, :at, 1, 0, 0, 9, '[]', :at)"),
                             {"at": AT, "f": False})
            # (id, status, position): taken out by the keeper; left without a history row; turned away
            # while waiting; still seated at the close
            for seat_id, status, position in ((1, "removed", 2), (2, "removed", 3), (3, "removed", 0),
                                              (4, "admitted", 4)):
                conn.execute(text("INSERT INTO seat (id, circle_id, name, is_keeper, status, position, joined_at) "
                                  "VALUES (:id, 1, :name, :f, :status, :position, :at)"),
                             {"id": seat_id, "name": f"Pupil {seat_id}", "status": status, "position": position,
                              "at": AT, "f": False})
            for version, kind, seat_id, at in ((2, "remove", 1, "2026-11-20 10:01:00+00"),
                                               (3, "remove", 1, removed_at), (4, "remove", 3, removed_at)):
                conn.execute(text("INSERT INTO circle_event (circle_id, version, kind, seat_id, round_no, lap, "
                                  "created_at) VALUES (1, :v, :kind, :seat, 0, 0, :at)"),
                             {"v": version, "kind": kind, "seat": seat_id, "at": at})
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            left = {row.id: row.left_at for row in conn.execute(text("SELECT id, left_at FROM seat"))}
        db.engine.dispose()
    assert {seat_id for seat_id, at in left.items() if at is not None} == {1, 2}
    assert str(left[1]).startswith("2026-11-20 10:05:00") and str(left[2]).startswith("2026-11-20 10:00:00")


def test_no_member_of_staff_is_said_to_have_left_by_the_migration_itself(empty_database, tmp_path):
    """0021: nothing kept before it tells a new account from the roster (waiting for its first password)
    from one the MIS said had left or one an admin deactivated, so no account is marked as having left
    (the Staff screen would say so untruly, and lock a new starter out): the roster import marks leavers
    from then on. A downgrade drops the mark."""
    app = migrated_app(empty_database, tmp_path)
    with app.app_context():
        flask_migrate.upgrade(revision="0020_seats_left_before_0019")
        with db.engine.begin() as conn:
            insert_school_and_staff(conn)  # 7: made by hand, active
            # (id, external_id, password_hash, active)
            for staff_id, sourced_id, password, active in ((8, "tea-1", "!no password yet", False),
                                                          (9, "tea-2", "scrypt:hash", False),
                                                          (10, "tea-3", "scrypt:hash", True),
                                                          (11, None, "scrypt:hash", False)):
                conn.execute(text("INSERT INTO staff (id, school_id, email, name, password_hash, active, "
                                  "session_epoch, created_at, external_id) "
                                  "VALUES (:id, 1, :email, 'Someone', :password, :active, 0, :at, :sid)"),
                             {"id": staff_id, "email": f"{staff_id}@oak.example", "password": password,
                              "active": active, "at": AT, "sid": sourced_id})
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            left = {row.id: bool(row.mis_left) for row in conn.execute(text("SELECT id, mis_left FROM staff"))}
        flask_migrate.downgrade(revision="0020_seats_left_before_0019")
        with db.engine.connect() as conn:
            columns = {column["name"] for column in inspect(conn).get_columns("staff")}
        db.engine.dispose()
    assert left == {7: False, 8: False, 9: False, 10: False, 11: False}
    assert "mis_left" not in columns and "external_id" in columns
