"""`flask vaccines import` / `import-calendar` (the reference files, as
`flask drugs import`) and `flask vaccines remind` (plan the reminders now)."""

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from app.core.actor import current_actor
from app.core.cli import acting_user_option
from app.core.extensions import db


@click.group()
def vaccines() -> None:
    """The vaccine reference and the vaccination calendar (app/care/data/ by default), and reminders."""


def _run_import(importer, path: Path | None, dry_run: bool) -> None:
    from app.prescribing.drug_import import ImportFailed

    try:
        options = {"dry_run": dry_run}
        report = (
            importer(db.session, current_actor(), path, **options)
            if path
            else importer(db.session, current_actor(), **options)
        )
    except ImportFailed as failed:
        click.echo(f"Nothing imported: {failed}.", err=True)
        sys.exit(1)
    for line, reason in report.rejected:
        click.echo(f"  line {line}: {reason}", err=True)
    click.echo(str(report))


@vaccines.command("import")
@click.argument("path", type=click.Path(path_type=Path), required=False)
@click.option("--dry-run", is_flag=True, help="check the file and report, save nothing")
@with_appcontext
@acting_user_option
def vaccines_import(path: Path | None, dry_run: bool) -> None:
    """Upsert vaccines from a CSV file by code (default: the shipped reference)."""
    from app.care.reference_import import import_vaccines

    _run_import(import_vaccines, path, dry_run)


@vaccines.command("import-calendar")
@click.argument("path", type=click.Path(path_type=Path), required=False)
@click.option("--dry-run", is_flag=True, help="check the file and report, save nothing")
@with_appcontext
@acting_user_option
def vaccines_import_calendar(path: Path | None, dry_run: bool) -> None:
    """Upsert the vaccination calendar from a CSV file by code (default: the French calendar)."""
    from app.care.reference_import import import_calendar

    _run_import(import_calendar, path, dry_run)


@vaccines.command("remind")
@with_appcontext
def vaccines_remind() -> None:
    """Plan the due-vaccination reminders now (the worker does it daily); idempotent."""
    from app.care.reminders import plan_due

    queued, skipped = plan_due(db.session)
    click.echo(f"{queued} reminder(s) queued, {skipped} skipped (no e-mail).")
