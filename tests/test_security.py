"""The security baseline: headers on every response, no state change on GET, friendly errors,
the health check and the generated secret key."""
import json
import os
import stat

import pytest
from sqlalchemy import select
from werkzeug.exceptions import InternalServerError
from werkzeug.routing import IntegerConverter, UUIDConverter

from rrp_pwa import create_app
from rrp_pwa.auth.permissions import public
from rrp_pwa.config import instance_secret_key
from rrp_pwa.extensions import db
from rrp_pwa.security import CSP
from tests.conftest import make_group, make_pupil, make_school, make_staff

EXPECTED_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                "connect-src 'self'; font-src 'self'; manifest-src 'self'; worker-src 'self'; "
                "form-action 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")


@pytest.fixture
def everyone(app):
    """A staff member holding every role, with a pupil and a group of their own."""
    school = make_school()
    staff = make_staff(school, ("admin", "teacher", "support", "pastoral", "dsl"), name="All Roles")
    pupil = make_pupil(school)
    group = make_group(school, pupils=[pupil], staff=[staff])
    db.session.commit()
    return {"staff_id": staff.id, "pupil_id": pupil.id, "group_id": group.id, "staff": staff}


# Headers


def assert_security_headers(response):
    assert response.headers["Content-Security-Policy"] == EXPECTED_CSP
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_csp_is_exactly_the_strict_policy():
    assert CSP == EXPECTED_CSP
    assert "unsafe-inline" not in CSP and "unsafe-eval" not in CSP


@pytest.mark.parametrize("url,headers", [
    ("/sign-in", {}),
    ("/", {}),
    ("/pupils", {"HX-Request": "true"}),
    ("/healthz", {}),
    ("/manifest.webmanifest", {}),
    ("/sw.js", {}),
    ("/offline", {}),
    ("/offline/pupil", {}),
    ("/static/css/app.css", {}),
    ("/no-such-page", {}),
    ("/no-such-page", {"Accept": "application/json"}),
])
def test_security_headers_on_anonymous_responses(client, url, headers):
    with client.get(url, headers=headers) as response:
        assert_security_headers(response)


@pytest.mark.parametrize("url", ["/", "/pupils", "/pupils?q=a", "/groups", "/admin/staff", "/account"])
def test_security_headers_on_signed_in_pages(client, auth, everyone, url):
    auth.login(everyone["staff"])
    response = client.get(url)
    assert response.status_code == 200
    assert_security_headers(response)
    assert response.headers["Cache-Control"] == "no-store"


def test_pages_carry_no_inline_script_or_style(client, auth, everyone):
    auth.login(everyone["staff"])
    for url in ("/sign-in", "/", "/pupils", f"/pupils/{everyone['pupil_id']}", "/admin/staff/new",
                f"/admin/groups/{everyone['group_id']}/members"):
        page = client.get(url).get_data(as_text=True)
        assert "style=" not in page and " hx-on" not in page and "hx-vars" not in page
        assert "<script>" not in page and "<style" not in page
        for chunk in page.split("<script")[1:]:
            assert chunk.lstrip().startswith("src="), url


def test_htmx_is_configured_without_eval(client):
    page = client.get("/sign-in").get_data(as_text=True)
    config = json.loads(page.split('name="htmx-config" content=\'')[1].split("'")[0])
    assert config["allowEval"] is False and config["includeIndicatorStyles"] is False


# No state change on GET


def dummy(converter, name, ids):
    if name in ids:
        return ids[name]
    if isinstance(converter, IntegerConverter):
        return 1
    if isinstance(converter, UUIDConverter):
        import uuid
        return uuid.UUID(int=1)
    items = getattr(converter, "items", None)
    return sorted(items)[0] if items else "x"


def database_state() -> dict:
    db.session.expire_all()
    return {table.name: sorted(map(repr, db.session.execute(select(table)).all()))
            for table in db.metadata.sorted_tables}


# The one write a GET may make: the audit trail of who opened a sensitive record (rrp_pwa.audit).
AUDITED_READS = {"safeguarding.concern", "sync.pupil_export_json", "sync.pupil_export_csv"}


def test_no_get_route_changes_the_database(app, client, auth, everyone):
    """Every GET in the URL map, signed in with every role, leaves every table as it was - but for an
    audited read, which adds to the audit trail and to nothing else."""
    auth.login(everyone["staff"])
    ids = {key: value for key, value in everyone.items() if key.endswith("_id")}
    rules = [rule for rule in app.url_map.iter_rules() if "GET" in rule.methods and rule.endpoint != "static"]
    changed, state = [], database_state()
    for rule in rules:
        url = rule.build({name: dummy(conv, name, ids) for name, conv in rule._converters.items()},
                         append_unknown=False)[1]
        with client.get(url) as response:
            if response.mimetype != "text/event-stream":
                response.get_data()
            assert response.status_code < 500, url
        after = database_state()
        tables = sorted(name for name in after if after[name] != state[name])
        if tables and not (rule.endpoint in AUDITED_READS and tables == ["audit_event"]):
            changed.append((rule.endpoint, url, tables))
        state = after
    assert changed == []
    assert len(rules) >= 15


# Friendly errors, as pages and as htmx fragments


def error_page(response) -> str:
    page = response.get_data(as_text=True)
    assert "<!doctype html>" in page and 'class="error-panel" role="alert"' in page
    return page


def error_fragment(response) -> str:
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<div class="error-panel" role="alert">') and "<html" not in body
    return body


@pytest.mark.parametrize("headers,check", [({}, error_page), ({"HX-Request": "true"}, error_fragment)])
def test_404(client, auth, headers, check):
    auth.login()
    response = client.get("/no-such-page", headers=headers)
    assert response.status_code == 404
    assert "We couldn&#39;t find that page." in check(response)


@pytest.mark.parametrize("headers,check", [({}, error_page), ({"HX-Request": "true"}, error_fragment)])
def test_403(client, auth, headers, check):
    auth.login(roles=("teacher",))
    response = client.get("/admin/staff", headers=headers)
    assert response.status_code == 403
    assert "You don&#39;t have permission to see this." in check(response)


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
@pytest.mark.parametrize("headers,check", [({}, error_page), ({"HX-Request": "true"}, error_fragment)])
def test_400(client, headers, check):
    response = client.post("/sign-in", data={"email": "a@b.example", "password": "x"}, headers=headers)
    assert response.status_code == 400
    assert "if a form expired, reload the page" in check(response)


@pytest.mark.app_config(LOGIN_ACCOUNT_LIMIT=1)
def test_429_on_the_sign_in_page(client, everyone):
    email = everyone["staff"].email
    client.post("/sign-in", data={"email": email, "password": "wrong"})
    response = client.post("/sign-in", data={"email": email, "password": "wrong"})
    assert response.status_code == 429
    assert "Too many sign-in attempts for this account" in response.get_data(as_text=True)


@pytest.mark.parametrize("headers,check", [({}, error_page), ({"HX-Request": "true"}, error_fragment)])
def test_429_page(app, client, headers, check):
    @app.route("/test-too-many")
    @public
    def too_many():
        from flask import abort
        abort(429)

    response = client.get("/test-too-many", headers=headers)
    assert response.status_code == 429
    assert "Too many attempts. Please wait a little and try again." in check(response)


@pytest.mark.app_config(PROPAGATE_EXCEPTIONS=False)
@pytest.mark.parametrize("headers,check", [({}, error_page), ({"HX-Request": "true"}, error_fragment)])
def test_500(app, client, headers, check):
    @app.route("/test-broken")
    @public
    def broken():
        raise RuntimeError("a bug")

    response = client.get("/test-broken", headers=headers)
    assert response.status_code == 500
    page = check(response)
    assert "Something went wrong on our side." in page and "a bug" not in page


def test_errors_answer_json_to_json_clients(client):
    response = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert response.status_code == 404 and response.is_json
    assert response.get_json() == {"error": "We couldn't find that page. It may have been moved, "
                                            "or it belongs to another school."}


def test_get_on_a_post_only_route_is_405(client):
    response = client.get("/sign-out")
    assert response.status_code == 405
    assert "That action isn&#39;t available here." in response.get_data(as_text=True)


def test_internal_server_error_handler_is_registered(app):
    assert InternalServerError in app.error_handler_spec[None][500]


# Health check


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.is_json
    assert response.get_json() == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize("anything", [None])
def test_healthz_reports_an_unreachable_database(tmp_path, anything):
    broken = create_app({"TESTING": True, "SECRET_KEY": "x",
                         "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/db.sqlite3"})
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unreachable"}


# Secret key


def test_secret_key_is_generated_once_with_0600_permissions(tmp_path):
    instance = tmp_path / "instance"
    settings = {"INSTANCE_PATH": str(instance), "SECRET_KEY": None,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/db.sqlite3"}
    first = create_app(settings)
    key_file = instance / "secret_key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert len(first.config["SECRET_KEY"]) == 64
    second = create_app(settings)
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]
    assert key_file.read_text() == first.config["SECRET_KEY"]


def test_a_configured_secret_key_is_used_and_nothing_is_written(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "from-the-environment",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/db.sqlite3"})
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()


def test_instance_secret_key_differs_per_instance(tmp_path):
    assert instance_secret_key(str(tmp_path / "a")) != instance_secret_key(str(tmp_path / "b"))


def test_embedded_database_lives_in_the_instance_folder(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x", "DATABASE_URL": None})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/rrp.sqlite3"


def test_in_memory_sqlite_works_with_the_pool_settings(tmp_path):
    """The pool sizing for real databases must not stop an in-memory SQLite app starting."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})
    assert app.test_client().get("/healthz").get_json() == {"status": "ok", "database": "ok"}
    assert "pool_size" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert "pool_use_lifo" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    file_app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/pool.sqlite3",
                           "SECRET_KEY": "x"})
    assert file_app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_size"] >= 1
