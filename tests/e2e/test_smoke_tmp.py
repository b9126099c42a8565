from tests.conftest import PASSWORD, make_school, make_staff
from tests.e2e.conftest import PHONE, assert_accessible
from rrp_pwa.extensions import db


def test_sign_in(live_server, data_app, page, axe):
    school = make_school()
    staff = make_staff(school, ("teacher",))
    db.session.commit()
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/")
    assert_accessible(axe, page)
    page.get_by_label("Email").fill(staff.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Hello, Sam Teacher").wait_for()
    assert_accessible(axe, page)
