"""Talking-piece moves commit without waiting for the disk on PostgreSQL; records wait as usual.

``synchronous_commit`` is PostgreSQL's, so this module always runs on the machine's PostgreSQL (CI
runs it), in a schema of its own, whatever TEST_DATABASE_URL says; the circle and the helpers are
those of tests/test_circle_routes.py.
"""
import re
import secrets

import pytest
from sqlalchemy import create_engine, event, select, text

from rrp_pwa import create_app
from rrp_pwa.extensions import db
from rrp_pwa.models.circles import Circle, Seat
from tests.test_circle_routes import HX, seated, sign_in, world  # noqa: F401  (world is a fixture)

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="module")
def pg_schema():
    schema = f"rrp_durable_{secrets.token_hex(4)}"
    admin = create_engine(PG)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = f"{PG}?options=-csearch_path%3D{schema}"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "schema"})
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    yield url
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def app_config(pg_schema) -> dict:
    return {"TESTING": True, "SQLALCHEMY_DATABASE_URI": pg_schema, "SECRET_KEY": "test-secret",
            "WTF_CSRF_ENABLED": False, "SERVER_NAME": "rrp.test"}


def test_only_piece_moves_commit_without_waiting_for_the_disk(app, world):
    """Passing, giving, taking back and turning the piece round are live state: their commits skip the
    wait for the disk (as every embedded SQLite commit does). Records keep it: an agreement recorded,
    a pupil agreeing to it."""
    assert db.engine.dialect.name == "postgresql"
    circle = world["circle"]
    keeper = sign_in(app, world["keeper"])
    amira_device, _ = seated(app, circle, world["pupils"][0])
    seen = []

    def note(session):
        seen.append(session.execute(text("SHOW synchronous_commit")).scalar())

    event.listen(db.session, "before_commit", note)
    try:
        def committed_with(path, **form):
            seen.clear()
            version = db.session.get(Circle, circle.id).version
            db.session.remove()
            response = keeper.post(path, data={"version": version, **form}, headers=HX)
            assert response.status_code in (200, 302), path
            return seen[-1]

        seat_id = db.session.scalar(select(Seat.id).where(Seat.circle_id == circle.id, Seat.is_keeper.is_(False)))
        assert committed_with(f"/circles/{circle.id}/give/{seat_id}") == "off"
        assert committed_with(f"/circles/{circle.id}/reverse") == "off"
        assert committed_with(f"/circles/{circle.id}/take-back") == "off"
        assert committed_with(f"/circles/{circle.id}/turn", turn="pass") == "off"
        assert committed_with(f"/circles/{circle.id}/agreements", kind="value", what="We listen") == "on"
        seat_page = amira_device.get(f"/circles/{circle.id}/seat").get_data(as_text=True)
        agreement_id = re.search(r"/seat/agree/(\d+)", seat_page).group(1)
        seen.clear()
        assert amira_device.post(f"/circles/{circle.id}/seat/agree/{agreement_id}", headers=HX).status_code == 200
        assert seen[-1] == "on"
    finally:
        event.remove(db.session, "before_commit", note)
