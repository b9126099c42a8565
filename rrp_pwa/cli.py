"""Command-line set-up and upkeep: create a school and its staff, load the demo school, purge old records."""
import os
import secrets

import click
from flask import Flask, current_app
from sqlalchemy import func, select

from rrp_pwa.extensions import db
from rrp_pwa.models import ROLES, School, Staff
from rrp_pwa.platform import new_school
from rrp_pwa.roster.directory import RosterError, add_staff


def register_cli(app: Flask) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(create_school)
    app.cli.add_command(create_staff)
    app.cli.add_command(purge_records)


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


@click.command("purge-records")
@click.option("--school", "slug", help="Only this school (its short name); else every school.")
@click.option("--yes", is_flag=True, help="Delete without asking (for cron).")
@click.option("--dry-run", is_flag=True, help="Only report what would be deleted.")
@click.option("--by", "by_email", help="With --school: the email of the member of staff running it, for the audit trail.")
def purge_records(slug: str | None, yes: bool, dry_run: bool, by_email: str | None) -> None:
    """Delete records past their retention period (RETAIN_*_DAYS), school by school.

    Each school's purge is one transaction and leaves an audit entry with the counts. Safeguarding
    concerns are never purged here.
    """
    from rrp_pwa.retention import CONCERNS_NOTE, LABELS, LOCK_WAIT_MS, RecordsInUse, plan_locked, plan_purge, purge

    days = current_app.config["RETENTION_DAYS"]
    query = select(School.id).order_by(School.slug)
    if slug:
        query = query.where(School.slug == slug.strip().lower())
    school_ids = db.session.scalars(query).all()
    if slug and not school_ids:
        raise click.ClickException(f"No school with the short name '{slug}'.")
    by = None
    if by_email:
        by = db.session.scalar(select(Staff).where(Staff.email == by_email.strip().lower(), Staff.active.is_(True),
                                                   Staff.school_id.in_(school_ids)))
        if not slug or by is None:
            raise click.ClickException("--by needs --school and the email of an active member of staff of that school.")
    click.echo(CONCERNS_NOTE)
    in_use: list[str] = []
    for school_id in school_ids:
        school = db.session.get(School, school_id)
        plan = plan_purge(school, days)
        click.echo(f"{school.name} ({school.slug}):")
        for kind, count in plan.counts().items():
            kept_from = plan.cutoffs[kind].astimezone(school.zone)
            click.echo(f"  {LABELS[kind]}, kept {days[kind]} days (anything from before {kept_from:%-d %b %Y}): {count}")
        if plan.empty or dry_run:
            click.echo("  Nothing to purge." if plan.empty else "  Dry run: nothing was deleted.")
        elif not yes and not _confirmed(f"  Delete these records of {school.name}?"):
            click.echo("  Not purged.")
        else:
            try:  # someone may have reviewed an agreement meanwhile: look again, with the rows locked
                plan = plan_locked(school, days)
            except RecordsInUse:
                db.session.rollback()
                in_use.append(school.slug)
                click.echo("  Not purged: some of these records were being changed, and still were after "
                           f"{LOCK_WAIT_MS // 1000} seconds. Nothing was deleted; run it again later.")
                continue
            purge(plan, by)
            db.session.commit()
            click.echo(f"  Purged: {plan.detail().removeprefix('purge-records: ') or 'nothing'}.")
        db.session.rollback()
    if in_use:
        raise click.ClickException(f"Not purged, records in use: {', '.join(in_use)}.")


def _confirmed(question: str) -> bool:
    """Ask, holding no transaction open while a person decides."""
    db.session.rollback()
    return click.confirm(question, default=False)
