"""`flask drugs ...` (the drug reference's files, docs/drugs.md) and
`flask prescriptions expire`."""

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from app.core.actor import current_actor
from app.core.cli import acting_user_option
from app.core.extensions import db


@click.group()
def drugs() -> None:
    """The drug reference: import the pharmacy's medication and interaction files (docs/drugs.md)."""


def _run_import(importer, path: Path, dry_run: bool) -> None:
    from app.prescribing.drug_import import ImportFailed

    try:
        report = importer(db.session, current_actor(), path, dry_run=dry_run)
    except ImportFailed as failed:
        click.echo(f"Nothing imported: {failed}.", err=True)
        sys.exit(1)
    for line, reason in report.rejected:
        click.echo(f"  line {line}: {reason}", err=True)
    click.echo(str(report))


@drugs.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="check the file and report, save nothing")
@with_appcontext
@acting_user_option
def drugs_import(path: Path, dry_run: bool) -> None:
    """Upsert medications from a CSV file, by code (rejected lines are listed; a bad file imports nothing)."""
    from app.prescribing.drug_import import import_medications

    _run_import(import_medications, path, dry_run)


@drugs.command("import-interactions")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="check the file and report, save nothing")
@with_appcontext
@acting_user_option
def drugs_import_interactions(path: Path, dry_run: bool) -> None:
    """Upsert drug interactions from a CSV file, by pair (in either order)."""
    from app.prescribing.drug_import import import_interactions

    _run_import(import_interactions, path, dry_run)


@click.group()
def prescriptions() -> None:
    """Prescriptions' housekeeping."""


@prescriptions.command("expire")
@with_appcontext
@acting_user_option
def prescriptions_expire() -> None:
    """Mark signed prescriptions past their validity as expired (daily, e.g. from cron)."""
    from app.prescribing.rules import expire_overdue

    click.echo(f"{expire_overdue(db.session, current_actor())} prescription(s) expired.")
