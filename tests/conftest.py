"""Fixtures in the flaskr manner: a fresh database per test, a client, a CLI runner and an
``auth`` helper, plus small factories. TEST_DATABASE_URL selects PostgreSQL; SQLite otherwise."""
import os
import re

import pytest
from sqlalchemy import delete
from werkzeug.security import generate_password_hash

from rrp_pwa import create_app
from rrp_pwa.config import database_url
from rrp_pwa.extensions import db
from rrp_pwa.models import Group, Pupil, School, Staff

PASSWORD = "correct horse battery"
# Hashed once, at a low scrypt cost, so a test that makes many staff doesn't spend seconds
# hashing; the app's own hashing (add_staff, password reset) keeps the full cost.
FIXTURE_PASSWORD_HASH = generate_password_hash(PASSWORD, method="scrypt:1024:8:1")


@pytest.fixture(scope="session")
def database_uri(tmp_path_factory) -> str:
    raw = os.environ.get("TEST_DATABASE_URL")
    if raw:
        return database_url(raw, "")
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def _schema(database_uri):
    """Create the tables once per run; each test then starts from empty tables."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_uri, "SECRET_KEY": "schema"})
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.engine.dispose()
    return database_uri


def empty_tables() -> None:
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(delete(table))
    db.session.commit()


def pytest_configure(config):
    config.addinivalue_line("markers", "app_config(**settings): extra app settings for one test "
                                       "(e.g. @pytest.mark.app_config(WTF_CSRF_ENABLED=True))")


@pytest.fixture
def app_config(_schema, request) -> dict:
    """Configuration for the test app; a test module may override this fixture, and one test
    may add settings with ``@pytest.mark.app_config(NAME=value)``."""
    settings = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": _schema, "SECRET_KEY": "test-secret",
                "WTF_CSRF_ENABLED": False, "SERVER_NAME": "rrp.test"}
    for marker in reversed(list(request.node.iter_markers("app_config"))):
        settings.update(marker.kwargs)
    return settings


@pytest.fixture
def app(app_config):
    app = create_app(app_config)
    with app.app_context():
        empty_tables()
        yield app
        db.session.remove()
        empty_tables()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def make_school(name: str = "Brook Primary", slug: str | None = None) -> School:
    school = School(name=name, slug=slug or re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-"),
                    timezone="Europe/London")
    db.session.add(school)
    db.session.flush()
    return school


def make_staff(school: School, roles=("teacher",), email: str | None = None, name: str = "Sam Teacher") -> Staff:
    email = email or f"{'-'.join(roles)}.{db.session.query(Staff).count() + 1}@{school.slug}.example"
    staff = Staff(school_id=school.id, email=email.strip().lower(), name=name, active=True, session_epoch=0,
                  password_hash=FIXTURE_PASSWORD_HASH)
    staff.set_roles(list(roles))
    db.session.add(staff)
    db.session.flush()
    return staff


def make_pupil(school: School, given: str = "Amira", family: str = "Khan", **kw) -> Pupil:
    pupil = Pupil(school_id=school.id, given_name=given, family_name=family,
                  year_group=kw.pop("year_group", "Year 5"), peer_mediator=kw.pop("peer_mediator", False),
                  archived=kw.pop("archived", False), **kw)
    db.session.add(pupil)
    db.session.flush()
    return pupil


def make_group(school: School, name: str = "Year 5 Cedar", pupils=(), staff=(), kind: str = "class") -> Group:
    group = Group(school_id=school.id, name=name, kind=kind, archived=False)
    group.pupils, group.staff = list(pupils), list(staff)
    db.session.add(group)
    db.session.flush()
    return group


class AuthActions:
    """Sign in as a member of staff of a given school and role(s)."""

    def __init__(self, client):
        self._client = client

    def login(self, staff: Staff | None = None, roles=("teacher",), school: School | None = None) -> Staff:
        if staff is None:
            school = school or db.session.query(School).first() or make_school()
            staff = make_staff(school, roles)
            db.session.commit()
        response = self._client.post("/sign-in", data={"email": staff.email, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        return staff

    def logout(self):
        return self._client.post("/sign-out")


@pytest.fixture
def auth(client):
    return AuthActions(client)
