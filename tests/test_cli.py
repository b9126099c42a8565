"""Setting a school up from the command line: the demo school, a school, its staff."""
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from rrp_pwa.extensions import db
from rrp_pwa.insights.rules import overview
from rrp_pwa.mediation.review import follow_ups_needed as mediation_follow_ups
from rrp_pwa.models import ROLES, Group, Pupil, School, Staff
from rrp_pwa.models.conversations import QuickChat
from tests.conftest import make_school

DEMO_EMAILS = {"head@oakfield.example", "pastoral@oakfield.example", "dsl@oakfield.example",
               "midday1@oakfield.example", "midday2@oakfield.example",
               *(f"teacher{n}@oakfield.example" for n in range(1, 7))}


def staff_by_email(email: str) -> Staff:
    return db.session.scalar(select(Staff).where(Staff.email == email))


def test_seed_demo_builds_a_realistic_school(runner):
    result = runner.invoke(args=["seed-demo", "--password", "demo passphrase"])
    assert result.exit_code == 0, result.output
    school = db.session.scalar(select(School))
    assert school.name == "Oakfield Primary School"
    classes = db.session.scalars(select(Group).where(Group.kind == "class")).all()
    assert len(classes) == 6
    assert all(25 <= len(group.pupils) <= 30 for group in classes)
    assert all(group.staff for group in classes)
    staff = db.session.scalars(select(Staff)).all()
    assert {member.email for member in staff} == DEMO_EMAILS
    assert set().union(*(member.roles for member in staff)) == set(ROLES)
    mediators = db.session.scalar(select(func.count()).where(Pupil.peer_mediator.is_(True)))
    assert mediators >= 4
    names = db.session.execute(select(Pupil.given_name, Pupil.family_name)).all()
    assert len({given for given, _ in names}) >= 30 and len({family for _, family in names}) >= 25
    assert staff_by_email("teacher1@oakfield.example").check_password("demo passphrase")
    for email in DEMO_EMAILS:
        assert email in result.output
    assert "demo passphrase" not in result.output


def test_the_demo_school_has_four_weeks_of_restorative_work_to_look_at(runner):
    """A school trying the demo sees the overview, reviews due and pupils' records with something in them."""
    runner.invoke(args=["seed-demo", "--password", "demo passphrase"])
    school = db.session.scalar(select(School))
    today = school.today()
    data = overview(school, today - timedelta(days=27), today, today=today)
    assert data.chats == 20 and data.conversations == 3 and data.mediations == {"agreed": 2, "no_agreement": 1}
    assert len(db.session.scalars(mediation_follow_ups(school.id)).all()) == 1  # the lead's page has one to follow up
    assert dict(data.reviews) == {"kept": 1, "not_kept": 1}
    assert data.reviews_due == 1 and data.follow_ups_needed == 1
    assert len(data.coming_back) >= 3
    last = db.session.scalar(select(func.max(QuickChat.happened_at)))
    assert (last if last.tzinfo else last.replace(tzinfo=timezone.utc)) < datetime.now(timezone.utc)  # none ahead


def test_seed_demo_takes_the_password_from_the_environment(runner):
    result = runner.invoke(args=["seed-demo"], env={"RRP_DEMO_PASSWORD": "from the environment"})
    assert result.exit_code == 0, result.output
    assert staff_by_email("head@oakfield.example").check_password("from the environment")
    assert "from the environment" not in result.output


def test_seed_demo_generates_and_prints_a_password_once(runner):
    result = runner.invoke(args=["seed-demo"], env={"RRP_DEMO_PASSWORD": ""})
    assert result.exit_code == 0, result.output
    password = re.search(r"Password for all demo accounts \(shown only now\): (\S+)", result.output).group(1)
    assert len(password) >= 12
    assert staff_by_email("dsl@oakfield.example").check_password(password)


def test_seed_demo_refuses_to_run_twice(runner):
    runner.invoke(args=["seed-demo", "--password", "demo passphrase"])
    again = runner.invoke(args=["seed-demo", "--password", "demo passphrase"])
    assert again.exit_code != 0
    assert "The demo school already exists; it is loaded only once." in again.output
    assert db.session.scalar(select(func.count()).select_from(School)) == 1


def test_seed_demo_if_empty_leaves_an_existing_school_alone(runner):
    make_school("Brook Primary")
    db.session.commit()
    result = runner.invoke(args=["seed-demo", "--if-empty", "--password", "demo passphrase"])
    assert result.exit_code == 0
    assert "The database already has a school; the demo was not loaded." in result.output
    assert db.session.scalar(select(func.count()).select_from(School)) == 1


def test_seed_demo_if_empty_loads_into_an_empty_database(runner):
    result = runner.invoke(args=["seed-demo", "--if-empty", "--password", "demo passphrase"])
    assert result.exit_code == 0 and "Loaded the demo school" in result.output


def test_create_school(runner):
    result = runner.invoke(args=["create-school", "--name", "Hill Academy", "--slug", "Hill"])
    assert result.exit_code == 0, result.output
    school = db.session.scalar(select(School))
    assert (school.name, school.slug, school.timezone) == ("Hill Academy", "hill", "Europe/London")
    again = runner.invoke(args=["create-school", "--name", "Hill Again", "--slug", "hill"])
    assert again.exit_code != 0 and "already exists" in again.output


def test_create_school_prompts_for_what_is_missing(runner):
    result = runner.invoke(args=["create-school"], input="Brook Primary\nbrook\n")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(School.slug)) == "brook"


@pytest.fixture
def hill(app):
    school = make_school("Hill Academy", "hill")
    db.session.commit()
    return school


def test_create_staff_reads_the_password_from_the_environment(runner, hill):
    result = runner.invoke(args=["create-staff", "--school", "hill", "--email", "Head@Hill.example",
                                 "--name", "Ms Head", "--roles", "admin,dsl"],
                           env={"RRP_PASSWORD": "a long passphrase"})
    assert result.exit_code == 0, result.output
    head = staff_by_email("head@hill.example")
    assert head.roles == {"admin", "dsl"} and head.school_id == hill.id
    assert head.check_password("a long passphrase")
    assert "a long passphrase" not in result.output


def test_create_staff_prompts_for_the_password_twice(runner, hill):
    result = runner.invoke(args=["create-staff", "--school", "hill", "--email", "t@hill.example",
                                 "--name", "T", "--roles", "teacher"],
                           input="a long passphrase\na long passphrase\n", env={"RRP_PASSWORD": ""})
    assert result.exit_code == 0, result.output
    assert staff_by_email("t@hill.example").check_password("a long passphrase")


@pytest.mark.parametrize("roles", ["", "headteacher", "teacher,wizard", ","])
def test_create_staff_refuses_unknown_roles(runner, hill, roles):
    result = runner.invoke(args=["create-staff", "--school", "hill", "--email", "x@hill.example",
                                 "--name", "X", "--roles", roles], env={"RRP_PASSWORD": "a long passphrase"})
    assert result.exit_code != 0
    assert "Roles must be among: admin, teacher, support, pastoral, dsl." in result.output
    assert staff_by_email("x@hill.example") is None


def test_create_staff_refuses_a_short_password_an_unknown_school_and_a_taken_email(runner, hill):
    args = ["--email", "x@hill.example", "--name", "X", "--roles", "teacher"]
    short = runner.invoke(args=["create-staff", "--school", "hill", *args], env={"RRP_PASSWORD": "short"})
    assert short.exit_code != 0 and "at least 10 characters" in short.output
    unknown = runner.invoke(args=["create-staff", "--school", "nowhere", *args], env={"RRP_PASSWORD": "a long passphrase"})
    assert unknown.exit_code != 0 and "No school with the short name 'nowhere'" in unknown.output
    runner.invoke(args=["create-staff", "--school", "hill", *args], env={"RRP_PASSWORD": "a long passphrase"})
    taken = runner.invoke(args=["create-staff", "--school", "hill", *args], env={"RRP_PASSWORD": "a long passphrase"})
    assert taken.exit_code != 0 and "Someone already signs in with that email." in taken.output
