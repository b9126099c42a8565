"""The platform operator creates schools with their first admin; each school sees only itself."""
from sqlalchemy import select

from rrp_pwa.extensions import db
from rrp_pwa.models import School, Staff


def test_add_school_creates_the_school_and_its_first_admin_who_can_sign_in(runner, client, monkeypatch):
    monkeypatch.setenv("RRP_PASSWORD", "a long first password")
    result = runner.invoke(args=["platform", "add-school", "--name", "Portsdown Primary", "--slug", "portsdown",
                                 "--admin-email", "Head@Portsdown.example", "--admin-name", "Mrs Patel"])
    assert result.exit_code == 0, result.output
    school = db.session.scalar(select(School).where(School.slug == "portsdown"))
    admin = db.session.scalar(select(Staff).where(Staff.email == "head@portsdown.example"))
    assert admin.school_id == school.id and admin.roles == {"admin"}
    response = client.post("/sign-in", data={"email": "head@portsdown.example", "password": "a long first password"})
    assert response.status_code == 302
    assert client.get("/admin/staff").status_code == 200


def test_add_school_refuses_a_taken_short_name_or_email(runner, monkeypatch):
    monkeypatch.setenv("RRP_PASSWORD", "a long first password")
    args = ["platform", "add-school", "--name", "A", "--slug", "alpha", "--admin-email", "a@x.example", "--admin-name", "A"]
    assert runner.invoke(args=args).exit_code == 0
    again = runner.invoke(args=args)
    assert again.exit_code != 0 and "already exists" in again.output
    clash = runner.invoke(args=["platform", "add-school", "--name", "B", "--slug", "beta", "--admin-email", "a@x.example",
                                "--admin-name", "B"])
    assert clash.exit_code != 0 and "already signs in" in clash.output
    assert db.session.scalar(select(School).where(School.slug == "beta")) is None


def test_add_school_refuses_a_short_password(runner, monkeypatch):
    monkeypatch.setenv("RRP_PASSWORD", "short")
    result = runner.invoke(args=["platform", "add-school", "--name", "C", "--slug", "gamma",
                                 "--admin-email", "c@x.example", "--admin-name", "C"])
    assert result.exit_code != 0 and "at least 10" in result.output


def test_list_schools_counts_staff_and_pupils(runner, monkeypatch):
    monkeypatch.setenv("RRP_PASSWORD", "a long first password")
    runner.invoke(args=["platform", "add-school", "--name", "Delta School", "--slug", "delta",
                        "--admin-email", "d@x.example", "--admin-name", "D"])
    result = runner.invoke(args=["platform", "list-schools"])
    assert "delta" in result.output and "staff    1" in result.output



def test_a_mistyped_time_zone_is_refused_before_anything_is_made(runner, monkeypatch):
    monkeypatch.setenv("RRP_PASSWORD", "a long first password")
    result = runner.invoke(args=["platform", "add-school", "--name", "D", "--slug", "delta", "--timezone", "Europe/Londn",
                                 "--admin-email", "d@x.example", "--admin-name", "D"])
    assert result.exit_code != 0 and "'Europe/Londn' is not a time zone name" in result.output
    older = runner.invoke(args=["create-school", "--name", "E", "--slug", "echo", "--timezone", "Mars/Base"])
    assert older.exit_code != 0 and "not a time zone name" in older.output
    assert db.session.scalars(select(School)).all() == []
