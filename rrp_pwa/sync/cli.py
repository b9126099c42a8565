"""Command-line roster import and the webhook delivery worker (which also purges expired roster packages)."""
import os
import time
from pathlib import Path

import click
from flask import current_app
from sqlalchemy import func, select

from rrp_pwa.extensions import db
from rrp_pwa.models import School
from rrp_pwa.sync import bp
from rrp_pwa.sync.oneroster import OneRosterInvalid, RosterBusy, import_roster, read_package
from rrp_pwa.sync.uploads import purge_expired
from rrp_pwa.sync.webhooks import deliver_due, enqueue, pending_count


def pick_school(slug: str | None) -> School:
    """The school named by ``--school``, or the only school there is."""
    if slug:
        school = db.session.scalar(select(School).where(School.slug == slug.strip().lower()))
        if school is None:
            raise click.ClickException(f"No school with the short name '{slug}'.")
        return school
    if db.session.scalar(select(func.count(School.id))) != 1:
        raise click.ClickException("Say which school with --school SHORT-NAME.")
    return db.session.scalar(select(School))


@bp.cli.command("import-oneroster")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--school", "slug", help="The school's short name (needed when there is more than one).")
@click.option("--dry-run", is_flag=True, help="Show what would change and write nothing.")
def import_oneroster(path: Path, slug: str | None, dry_run: bool) -> None:
    """Import a OneRoster 1.2 CSV package (ZIP): pupils, staff, classes and their members."""
    school = pick_school(slug)
    data = path.read_bytes()
    try:
        total = read_package(data).row_count
        with click.progressbar(length=total, label="Checking and importing" if not dry_run else "Checking") as bar:
            plan = import_roster(school, data, apply=not dry_run, progress=bar.update)
    except OneRosterInvalid as exc:
        db.session.rollback()
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(f"Nothing was imported: {len(exc.problems)} problem(s) to fix first.") from None
    except RosterBusy:
        db.session.rollback()
        raise click.ClickException("Another import is changing this school's roster: nothing was imported. "
                                   "Run this again once it has finished.") from None
    if plan.for_another_school(school):  # as the web diff warns; in a dry run too, and before the commit
        click.echo(f"Check this is your school's package: it is for {plan.schools_named}, and this is {school.name}. "
                   + ("If it is another school's, do not import it." if dry_run else
                      "If it was another school's, import this school's own package to put the roster right."),
                   err=True)
    elif plan.with_other_schools(school):
        click.echo(f"Check this is your school's package: it is for {plan.schools_named}, not only {school.name}, "
                   "and importing it brings in everyone in it.", err=True)
    elif plan.schools:
        click.echo(f"The package is for {plan.schools_named}.")
    for kind, actions in plan.counts().items():
        click.echo(f"{kind}: " + ", ".join(f"{n} {action}" for action, n in sorted(actions.items())))
    for noun, skipped in plan.skipped_by_kind():
        click.echo(f"{len(skipped)} {noun}(s) not imported:")
        for problem in skipped:
            click.echo(f"  {problem}")
    if plan.empty:
        click.echo("Nothing to change: the roster already matches this package.")
    if dry_run:
        db.session.rollback()
        click.echo("Dry run: nothing was written.")
    else:
        db.session.commit()
        click.echo(f"Imported into {school.name}.")


def public_url() -> str:
    """Where connectors reach this app, for the links in webhook bodies ($RRP_PUBLIC_URL)."""
    return current_app.config.get("PUBLIC_URL") or os.environ.get("RRP_PUBLIC_URL") or "http://localhost:8000"


@bp.cli.command("deliver-webhooks")
@click.option("--once", is_flag=True, help="Queue and try what is due once, then stop (for cron or tests).")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between rounds when running on.")
def deliver_webhooks(once: bool, interval: float) -> None:
    """Send new events to every school's webhook endpoints, retrying failures with backoff.

    Runs apart from the web workers so a slow or dead endpoint never holds up a request. Each round
    also deletes roster packages checked but left unconfirmed for longer than the app keeps them.
    """
    while True:
        purge_expired()
        queued = enqueue()
        db.session.commit()
        tried = deliver_due(public_url())
        db.session.commit()
        if once:
            click.echo(f"Queued {queued}, tried {tried}, {pending_count()} waiting to retry.")
            return
        time.sleep(interval)
