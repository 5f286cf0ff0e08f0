"""`flask audit ...`: seal, verify and archive the audit log (docs/audit.md)."""

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext


@click.group()
def audit() -> None:
    """The database audit: seal, verify, archive (docs/audit.md)."""


def _owner_engine():
    """Sealing works with the app's role; archiving needs the owner's."""
    from sqlalchemy import create_engine

    from app.core.extensions import db

    owner_url = current_app.config.get("MIGRATION_DATABASE_URL")
    return create_engine(owner_url) if owner_url else db.engine


@audit.command("seal")
@with_appcontext
def audit_seal() -> None:
    """Extend the hash chain over the entries written since the last seal."""
    from app.audit.integrity import seal
    from app.core.extensions import db

    with db.engine.begin() as connection:
        result = seal(connection)
    click.echo(f"Sealed {result.entry_count} new entries (seal {result.id}, up to entry {result.max_entry_id}).")
    click.echo(f"Chain head: {result.head} (keep a copy elsewhere: a rewrite of the whole chain changes it)")


@audit.command("verify")
@with_appcontext
def audit_verify() -> None:
    """Re-compute the chain; exit status 1 and the first problem when it is broken."""
    from app.audit.integrity import verify
    from app.core.extensions import db

    with db.engine.connect() as connection:
        problems = verify(connection)
    if not problems:
        click.echo("Audit chain intact.")
        return
    click.echo(f"Audit chain BROKEN: {len(problems)} problem(s); first: {problems[0]}", err=True)
    for problem in problems[1:20]:
        click.echo(f"  {problem}", err=True)
    sys.exit(1)


@audit.command("archive")
@click.option("--before", "before", required=True, help="archive the months before this one, e.g. 2026-01")
@click.option("--to", "export_dir", type=click.Path(path_type=Path), default=None, help="export directory")
@with_appcontext
def audit_archive(before: str, export_dir: Path | None) -> None:
    """Export old months (JSON lines, gzip) then detach them from audit_log."""
    from app.audit.integrity import archive_before, parse_month

    try:
        month = parse_month(before)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--before") from exc
    export_dir = export_dir or Path(current_app.config.get("AUDIT_ARCHIVE_DIR", "instance/audit-archive"))
    engine = _owner_engine()
    with engine.begin() as connection:
        archived = archive_before(connection, month, export_dir)
    if not archived:
        click.echo(f"Nothing to archive before {before}.")
    for partition in archived:
        click.echo(
            f"Archived {partition.name}: {partition.entries} entries -> {partition.export_file}"
            f" (sha256 {partition.sha256})"
        )
