"""Every route declares who may use it, and every non-public route turns away anonymous visitors.

The walk covers the whole URL map, so a route added anywhere without a permission decorator
(or with one that lets strangers in) fails here. Add an endpoint to PUBLIC_ENDPOINTS only when
anonymous people must use it by design (a sign-in page, a circle join page).
"""
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.routing import IntegerConverter, UUIDConverter

from rrp_pwa import create_app
from rrp_pwa.auth.permissions import public, staff_required, wants_machine_answer
from rrp_pwa.extensions import db
from tests.conftest import make_school, make_staff

PUBLIC_ENDPOINTS = {
    "auth.sign_in",
    "auth.sign_out",
    "pwa.manifest",
    "pwa.service_worker",
    "pwa.offline",
    "pwa.offline_pupil",  # the offline page for a pupil's circle pages, which have no sign-in
    "pwa.healthz",
    "mediation.sign_in", "mediation.badge_sign_in", "mediation.sign_out",  # peer mediators sign in without staff accounts
    "circles.join_code", "circles.join",  # pupils join a circle by its code or QR link, with no account
}
# Flask's own static file view: files under static/, no school data, no decorator possible.
FLASK_STATIC = {"static"}

MACHINE_REQUESTS = {
    "htmx": {"HX-Request": "true"},
    "json": {"Accept": "application/json"},
    "event-stream": {"Accept": "text/event-stream"},
}


def dummy_value(converter):
    if isinstance(converter, IntegerConverter):
        return 1
    if isinstance(converter, UUIDConverter):
        return uuid.UUID(int=1)
    items = getattr(converter, "items", None)
    return sorted(items)[0] if items else "x"


def url_for_rule(rule) -> str:
    values = {name: dummy_value(converter) for name, converter in rule._converters.items()}
    return rule.build(values, append_unknown=False)[1]


def all_requests():
    """(endpoint, method, url) for every route of the app, once per method it answers."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "walk"})
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, url_for_rule(rule)


ROUTES = sorted(set(all_requests()))
PROTECTED = [route for route in ROUTES if route[0] not in PUBLIC_ENDPOINTS | FLASK_STATIC]


def test_every_view_declares_who_may_use_it(app):
    undeclared = sorted(endpoint for endpoint, view in app.view_functions.items()
                        if endpoint not in FLASK_STATIC and not hasattr(view, "access"))
    assert undeclared == []


def test_public_list_names_only_public_routes(app):
    assert PUBLIC_ENDPOINTS <= set(app.view_functions)
    assert all(app.view_functions[endpoint].access == "public" for endpoint in PUBLIC_ENDPOINTS)


def test_every_public_route_is_on_the_list(app):
    """A route marked public but not listed here is a surprise someone should look at."""
    marked = {endpoint for endpoint, view in app.view_functions.items() if getattr(view, "access", None) == "public"}
    assert marked <= PUBLIC_ENDPOINTS


TYPED_STEPS = {"mediation.stories", "mediation.feelings", "mediation.ideas", "mediation.agreements"}


@pytest.mark.parametrize("endpoint,method,url", PROTECTED)
def test_anonymous_page_request_goes_to_sign_in(app, client, endpoint, method, url):
    response = client.open(url, method=method, headers={"Accept": "text/html", "Referer": "http://localhost/pupils?q=a"})
    if url.startswith("/api/"):
        assert response.status_code in (401, 403)
        return
    if endpoint in TYPED_STEPS and response.status_code == 401:
        # a mediation step's words, sent after the tablet timed out: the mediator sign-in page in place,
        # carrying them, and coming back to the step (rrp_pwa/mediation/team.py)
        assert f'action="/sign-in/mediator?next={urlsplit(url).path}"' in response.get_data(as_text=True)
        return
    assert response.status_code == 302, (endpoint, method, response.status_code)
    target = urlsplit(response.headers["Location"])
    if app.view_functions[endpoint].access == "seat":
        assert target.path == "/join"  # a pupil's device has no account: it joins with the circle's code
        return
    assert target.path.startswith("/sign-in")  # staff sign-in, or a mediator sign-in for their pages
    if method == "GET" or target.path != "/sign-in":
        assert parse_qs(target.query)["next"][0].startswith(urlsplit(url).path)
    else:  # a form sent: back, once signed in, to the page it was on (its Referer), not to its POST-only address
        assert parse_qs(target.query)["next"] == ["/pupils?q=a"]


@pytest.mark.parametrize("kind", sorted(MACHINE_REQUESTS))
@pytest.mark.parametrize("endpoint,method,url", PROTECTED)
def test_anonymous_machine_request_gets_a_status(client, endpoint, method, url, kind):
    response = client.open(url, method=method, headers=MACHINE_REQUESTS[kind])
    assert response.status_code in (401, 403), (endpoint, method, kind, response.status_code)
    assert "Location" not in response.headers


def test_public_routes_answer_anonymous_visitors(client):
    for url in ("/sign-in", "/manifest.webmanifest", "/sw.js", "/offline", "/offline/pupil", "/healthz"):
        assert client.get(url).status_code == 200, url


# Unit tests of the decorators and of the request classifier


def test_public_marks_the_view():
    @public
    def view():
        return "ok"

    assert view.access == "public" and view() == "ok"


def test_staff_required_records_the_roles():
    @staff_required("admin", "dsl")
    def view():
        return "ok"

    assert view.access == ("staff", ("admin", "dsl"))
    assert view.__name__ == "view"


@pytest.mark.parametrize("path,headers,expected", [
    ("/pupils", {"Accept": "text/html"}, False),
    ("/pupils", {}, False),
    ("/pupils", {"Accept": "*/*"}, False),
    ("/pupils", {"HX-Request": "true"}, True),
    ("/pupils", {"Accept": "application/json"}, True),
    ("/pupils", {"Accept": "text/event-stream"}, True),
    ("/api/v1/events", {"Accept": "text/html"}, True),
])
def test_wants_machine_answer(app, path, headers, expected):
    with app.test_request_context(path, headers=headers):
        assert wants_machine_answer() is expected


@pytest.mark.parametrize("roles,allowed", [
    (("admin",), True), (("teacher",), False), (("support",), False), (("pastoral",), False),
    (("dsl",), False), (("teacher", "admin"), True),
])
def test_staff_required_roles_decide(app, client, auth, roles, allowed):
    """Holding any one of the listed roles is enough; holding none is a 403, not a redirect."""
    staff = make_staff(make_school(), roles)
    db.session.commit()
    auth.login(staff)
    assert client.get("/admin/staff").status_code == (200 if allowed else 403)
