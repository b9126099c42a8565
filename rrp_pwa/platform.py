"""Platform administration for a hosted deployment (a local authority or a trust): schools and
their first admin. Run by whoever operates the servers, never from the web."""
import os
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import func, select

from rrp_pwa.extensions import db
from rrp_pwa.models import Pupil, School, Staff
from rrp_pwa.roster.directory import RosterError, add_staff

platform = AppGroup("platform", help="Operate a multi-school deployment.")


def register_platform_cli(app: Flask) -> None:
    app.cli.add_command(platform)


def new_school(name: str, slug: str, tz: str) -> School:
    """A school (not yet added to the session) whose short name is free and well formed and whose time
    zone exists, or a clear refusal: a mistyped time zone would break every page that shows its staff
    a date."""
    slug = slug.strip().lower()
    if not slug.replace("-", "").isalnum():
        raise click.ClickException("The short name may hold only letters, digits and dashes.")
    tz = (tz or "").strip()
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.ClickException(f"'{tz}' is not a time zone name; use one such as Europe/London.") from None
    if db.session.scalar(select(School.id).where(School.slug == slug)):
        raise click.ClickException(f"A school with the short name '{slug}' already exists.")
    return School(name=name.strip(), slug=slug, timezone=tz)


@platform.command("add-school")
@click.option("--name", required=True, help="The school's name.")
@click.option("--slug", required=True, help="A short unique name (letters, digits, dashes).")
@click.option("--timezone", "tz", default="Europe/London", show_default=True)
@click.option("--admin-email", required=True, help="The school's first admin signs in with this.")
@click.option("--admin-name", required=True)
def add_school(name: str, slug: str, tz: str, admin_email: str, admin_name: str) -> None:
    """Create a school and its first admin in one step (password from $RRP_PASSWORD or a prompt)."""
    school = new_school(name, slug, tz)
    password = os.environ.get("RRP_PASSWORD") or click.prompt("Password for the first admin", hide_input=True,
                                                              confirmation_prompt=True)
    if len(password) < 10:
        raise click.ClickException("Use a password of at least 10 characters.")
    slug = school.slug
    db.session.add(school)
    db.session.flush()
    try:
        add_staff(school, admin_email, admin_name, ["admin"], password)
    except RosterError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Created {school.name} ({slug}) with admin {admin_email.strip().lower()}.")


@platform.command("list-schools")
def list_schools() -> None:
    """Every school with its number of staff and pupils."""
    staff = dict(db.session.execute(select(Staff.school_id, func.count()).group_by(Staff.school_id)).all())
    pupils = dict(db.session.execute(select(Pupil.school_id, func.count()).where(Pupil.archived.is_(False))
                                     .group_by(Pupil.school_id)).all())
    for school in db.session.scalars(select(School).order_by(School.name)):
        click.echo(f"{school.slug:<24} {school.name:<40} staff {staff.get(school.id, 0):>4}  "
                   f"pupils {pupils.get(school.id, 0):>5}")
