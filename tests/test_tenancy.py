"""Every query for school data is scoped to the signed-in person's school.

The walk takes every staff route whose URL names a pupil, group or staff member (whichever
capability added it) and proves that staff of school A, holding every role, get 404 for
school B's rows - exactly as if the row did not exist. Routes for other credentials (a class
check-in station, a mediator, a circle seat) do not accept a staff session at all.
"""
import pytest
from flask_login import login_user
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from rrp_pwa import create_app
from rrp_pwa.extensions import db
from rrp_pwa.models import Group, Pupil, Staff
from rrp_pwa.tenancy import current_school_id, get_scoped_or_404, scoped
from tests.conftest import make_group, make_pupil, make_school, make_staff

ID_ARGUMENTS = {"pupil_id", "group_id", "staff_id"}


def id_routes():
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "walk"})
    for rule in app.url_map.iter_rules():
        access = getattr(app.view_functions[rule.endpoint], "access", None)
        if rule.arguments and rule.arguments <= ID_ARGUMENTS and isinstance(access, tuple) and access[0] == "staff":
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule.endpoint, method, rule.rule


ID_ROUTES = sorted(set(id_routes()))


@pytest.fixture
def two_schools(app):
    brook, hill = make_school("Brook Primary"), make_school("Hill Academy")
    everything = make_staff(brook, ("admin", "teacher", "support", "pastoral", "dsl"), name="All Roles")
    hill_pupil = make_pupil(hill, "Kofi", "Mensah", external_id="UPN-1")
    hill_teacher = make_staff(hill, ("teacher",), name="Hill Teacher")
    hill_group = make_group(hill, "Hill Class", pupils=[hill_pupil], staff=[hill_teacher])
    db.session.commit()
    return {"brook": brook, "hill": hill, "everything": everything, "pupil": hill_pupil,
            "group": hill_group, "staff": hill_teacher}


def test_the_walk_found_the_roster_routes():
    endpoints = {endpoint for endpoint, _, _ in ID_ROUTES}
    assert {"roster.pupil", "roster.pupil_edit", "roster.group", "roster.group_members",
            "roster.staff_edit", "roster.staff_reset_password"} <= endpoints


@pytest.mark.parametrize("endpoint,method,rule", ID_ROUTES)
def test_other_schools_rows_are_not_found(client, auth, two_schools, endpoint, method, rule):
    auth.login(two_schools["everything"])
    url = rule.replace("<int:pupil_id>", str(two_schools["pupil"].id)) \
              .replace("<int:group_id>", str(two_schools["group"].id)) \
              .replace("<int:staff_id>", str(two_schools["staff"].id))
    response = client.open(url, method=method, data={})
    assert response.status_code == 404, (endpoint, method, response.status_code)
    assert "We couldn&#39;t find that page." in response.get_data(as_text=True)


def test_other_schools_pupils_never_appear_in_lists_or_search(client, auth, two_schools):
    auth.login(two_schools["everything"])
    assert "Kofi" not in client.get("/pupils").get_data(as_text=True)
    assert "Kofi" not in client.get("/pupils?q=kofi", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Hill Class" not in client.get("/groups").get_data(as_text=True)
    assert "Hill Teacher" not in client.get("/admin/staff").get_data(as_text=True)


def test_members_form_cannot_pull_in_another_schools_pupil(client, auth, two_schools):
    auth.login(two_schools["everything"])
    mine = make_group(two_schools["brook"], "Brook Class")
    db.session.commit()
    response = client.post(f"/admin/groups/{mine.id}/members", data={"pupils": [two_schools["pupil"].id]})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Group, mine.id).pupils == []


def test_mis_ids_may_repeat_across_schools(client, auth, two_schools):
    auth.login(two_schools["everything"])
    response = client.post("/admin/pupils/new", data={"given_name": "Ada", "family_name": "Osei", "external_id": "UPN-1"})
    assert response.status_code == 302


# Unit tests of the helpers


def test_scoped_filters_by_the_given_school(two_schools):
    hill_pupils = db.session.scalars(scoped(Pupil, two_schools["hill"].id)).all()
    assert hill_pupils == [two_schools["pupil"]]
    assert db.session.scalars(scoped(Pupil, two_schools["brook"].id)).all() == []


def test_scoped_uses_the_signed_in_school(app, two_schools):
    with app.test_request_context():
        login_user(two_schools["everything"])
        assert current_school_id() == two_schools["brook"].id
        assert db.session.scalars(scoped(Staff)).all() == [two_schools["everything"]]
        with pytest.raises(NotFound):
            get_scoped_or_404(Pupil, two_schools["pupil"].id)
        assert get_scoped_or_404(Pupil, two_schools["pupil"].id, two_schools["hill"].id) == two_schools["pupil"]


def test_no_school_without_a_signed_in_person(app):
    with app.test_request_context():
        with pytest.raises(NotFound):
            current_school_id()


def test_missing_and_foreign_rows_look_the_same(app, two_schools):
    with app.test_request_context():
        login_user(two_schools["everything"])
        for object_id in (two_schools["group"].id, 999_999):
            with pytest.raises(NotFound):
                get_scoped_or_404(Group, object_id)


def test_every_school_table_has_a_school_id(app):
    """Rows that belong to a school carry school_id, so scoped() works on them."""
    for model in (Staff, Pupil, Group):
        assert "school_id" in model.__table__.c
    assert db.session.scalar(select(Staff).limit(1)) is None
