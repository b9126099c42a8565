"""Command-line roster import (the webhook worker lives beside it)."""
from pathlib import Path

import click
from sqlalchemy import func, select

from rrp_pwa.extensions import db
from rrp_pwa.models import School
from rrp_pwa.sync import bp
from rrp_pwa.sync.oneroster import OneRosterInvalid, import_roster, read_package


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
    for kind, actions in plan.counts().items():
        click.echo(f"{kind}: " + ", ".join(f"{n} {action}" for action, n in sorted(actions.items())))
    if plan.empty:
        click.echo("Nothing to change: the roster already matches this package.")
    if dry_run:
        db.session.rollback()
        click.echo("Dry run: nothing was written.")
    else:
        db.session.commit()
        click.echo(f"Imported into {school.name}.")
