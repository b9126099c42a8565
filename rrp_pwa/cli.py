"""Command-line set-up: create a school and its staff, or load the demo school."""
import os
import secrets

import click
from flask import Flask
from sqlalchemy import func, select

from rrp_pwa.extensions import db
from rrp_pwa.models import ROLES, School
from rrp_pwa.platform import new_school
from rrp_pwa.roster.directory import RosterError, add_staff


def register_cli(app: Flask) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(create_school)
    app.cli.add_command(create_staff)


@click.command("seed-demo")
@click.option("--password", help="Password for every demo staff account (else $RRP_DEMO_PASSWORD, else generated).")
@click.option("--if-empty", is_flag=True, help="Do nothing if the database already has a school.")
def seed_demo(password: str | None, if_empty: bool) -> None:
    """Create the demo school: six classes of pupils, staff in every role, some peer mediators."""
    from rrp_pwa.demo import DEMO_SLUG, seed_demo_school

    if if_empty and db.session.scalar(select(func.count(School.id))):
        click.echo("The database already has a school; the demo was not loaded.")
        return
    if db.session.scalar(select(School.id).where(School.slug == DEMO_SLUG)):
        raise click.ClickException("The demo school already exists; it is loaded only once.")
    password = password or os.environ.get("RRP_DEMO_PASSWORD")
    generated = not password
    password = password or secrets.token_urlsafe(9)
    school, staff = seed_demo_school(password)
    db.session.commit()
    click.echo(f"Loaded the demo school '{school.name}'.")
    click.echo("Sign in as any of these (each holds the roles shown):")
    for member in staff:
        click.echo(f"  {member.email:<32} {', '.join(sorted(member.roles))}")
    if generated:
        click.echo(f"Password for all demo accounts (shown only now): {password}")


@click.command("create-school")
@click.option("--name", prompt="School name")
@click.option("--slug", prompt="Short name for URLs (letters, digits, dashes)")
@click.option("--timezone", "tz", default="Europe/London", show_default=True)
def create_school(name: str, slug: str, tz: str) -> None:
    """Create a school (a tenant)."""
    school = new_school(name, slug, tz)
    db.session.add(school)
    db.session.commit()
    click.echo(f"Created {school.name} ({school.slug}).")


@click.command("create-staff")
@click.option("--school", "slug", required=True, help="The school's short name.")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--roles", required=True, help=f"Comma-separated: {', '.join(ROLES)}.")
def create_staff(slug: str, email: str, name: str, roles: str) -> None:
    """Create a staff member; the password comes from $RRP_PASSWORD or a hidden prompt."""
    school = db.session.scalar(select(School).where(School.slug == slug.strip().lower()))
    if school is None:
        raise click.ClickException(f"No school with the short name '{slug}'.")
    wanted = [role.strip() for role in roles.split(",") if role.strip()]
    unknown = set(wanted) - set(ROLES)
    if unknown or not wanted:
        raise click.ClickException(f"Roles must be among: {', '.join(ROLES)}.")
    password = os.environ.get("RRP_PASSWORD") or click.prompt("Password", hide_input=True,
                                                              confirmation_prompt=True)
    if len(password) < 10:
        raise click.ClickException("Use a password of at least 10 characters.")
    try:
        add_staff(school, email, name, wanted, password)
    except RosterError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Created {name} <{email.strip().lower()}> with roles {', '.join(sorted(wanted))}.")
