"""CareTrail's flask commands: roles sync, setup, seed-demo, audit ...

Every command that writes takes `--as USERNAME`: its changes are attributed
to that CareTrail user in the audit ("system" by default).
"""

import functools
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext


def register_cli(app: Flask) -> None:
    app.cli.add_command(roles)
    app.cli.add_command(setup)
    app.cli.add_command(seed_demo)
    app.cli.add_command(audit)
    app.cli.add_command(drugs)
    app.cli.add_command(prescriptions)
    app.cli.add_command(documents)


def acting_user_option(command):
    """Adds --as USERNAME and runs the command as that user (for the audit)."""

    @click.option("--as", "acting_username", default="system", show_default=True, help="attribute changes to this user")
    @functools.wraps(command)
    def wrapper(*args, acting_username: str, **kwargs):
        from app.core.db_context import acting_as

        user_id = None
        if acting_username != "system":
            user = current_app.appbuilder.sm.find_user(username=acting_username)
            if user is None:
                raise click.BadParameter(f"no CareTrail user named {acting_username!r}", param_hint="--as")
            user_id = user.id
            current_app.appbuilder.session.rollback()  # the lookup's transaction had no actor yet
        with acting_as(acting_username, user_id):
            return command(*args, **kwargs)

    return wrapper


@click.group()
def roles() -> None:
    """Roles and permissions (app/security/roles.py)."""


@roles.command("sync")
@with_appcontext
@acting_user_option
def roles_sync() -> None:
    """Make the roles in the database match the role matrix."""
    from app.security.sync import sync_roles

    report = sync_roles(current_app.appbuilder)
    click.echo(f"Roles: {report}.")
    for line in report.added:
        click.echo(f"  + {line}")
    for line in report.removed:
        click.echo(f"  - {line}")


@click.command()
@with_appcontext
@acting_user_option
def setup() -> None:
    """After `db upgrade`: sync roles, create the first admin, load demo data if DEMO_DATA."""
    _prepare_to_serve()
    if current_app.config["DEMO_DATA"]:
        _seed_demo()


@click.command("seed-demo")
@with_appcontext
@acting_user_option
def seed_demo() -> None:
    """Set up as `setup` does (the demo's users need the roles), then load the
    demo hospital (staff, users per role, rooms, ~200 patients); idempotent."""
    _prepare_to_serve()
    _seed_demo()


def _prepare_to_serve() -> None:
    from app.bootstrap import NotMigrated, prepare_to_serve

    try:
        prepare_to_serve(current_app, log=click.echo)
    except NotMigrated as refusal:
        raise click.ClickException(str(refusal)) from None


def _seed_demo() -> None:
    from app.demo.hospital import RolesMissing, seed_demo_data

    try:
        summary = seed_demo_data(current_app.appbuilder, password=current_app.config["DEMO_PASSWORD"])
    except RolesMissing as refusal:
        raise click.ClickException(str(refusal)) from None
    click.echo(f"Demo data: {summary}")


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


@click.group()
def drugs() -> None:
    """The drug reference: import the pharmacy's medication and interaction files (docs/drugs.md)."""


def _run_import(importer, path: Path, dry_run: bool) -> None:
    from app.prescribing.drug_import import ImportFailed

    try:
        report = importer(path, dry_run=dry_run)
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
    from app.prescribing.lists import expire_overdue

    click.echo(f"{expire_overdue()} prescription(s) expired.")


@click.group()
def documents() -> None:
    """The archive of issued PDF documents: verify one, make a demo signing certificate."""


@documents.command("verify")
@click.argument("document_id", type=int)
@with_appcontext
@acting_user_option
def documents_verify(document_id: int) -> None:
    """Check an archived document's bytes against its SHA-256 and, when signed,
    its signature; exit status 1 when anything fails.  Journaled as a 'verify'."""
    import sqlalchemy as sa

    from app.core.db_context import current_context
    from app.core.extensions import db
    from app.documents.archive import Issuer, audited_sha256, journal_access
    from app.documents.models import Document
    from app.documents.signing import verify_document_bytes

    document = db.session.get(Document, document_id, options=[sa.orm.undefer(Document.content)])
    if document is None:
        click.echo(f"No document #{document_id}.", err=True)
        sys.exit(1)
    click.echo(
        f"Document #{document.id}: {document.title} ({document.kind}, patient #{document.patient_id}),"
        f" issued {document.issued_at:%Y-%m-%d %H:%M:%S %Z} by {document.issued_by},"
        f" {document.size_bytes} bytes, {document.page_count} page(s), {document.engine}"
    )
    result = verify_document_bytes(
        document.content, document.sha256, current_app.config, expect_signature=document.signed_by is not None
    )
    audited = audited_sha256(db.session, document.id)
    actor = current_context()
    issuer = Issuer(actor["username"] or "system", int(actor["user_id"]) if actor["user_id"] else None)
    journal_access(db.session, document, action="verify", issuer=issuer)
    db.session.commit()
    lines = result.report()
    if audited is None:
        lines.insert(1, "SHA-256 at issue (audit): not found in the audit log")
    elif audited == result.actual_sha256:
        lines.insert(1, "SHA-256 at issue (audit): matches")
    else:
        lines.insert(1, f"SHA-256 at issue (audit): DIFFERS, the audit recorded {audited}")
    ok = result.ok and audited in (None, result.actual_sha256)
    if not ok:
        lines[-1] = "FAILED: the document is not as issued."
    for line in lines:
        click.echo(line)
    if not ok:
        sys.exit(1)


@documents.command("demo-cert")
@click.option("--out", "out", type=click.Path(path_type=Path, dir_okay=False), required=True, help="PKCS#12 to write")
@click.option(
    "--passphrase",
    envvar="DOCUMENT_SIGNING_PASSPHRASE",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="protects the key (default: $DOCUMENT_SIGNING_PASSPHRASE, else asked)",
)
@click.option("--common-name", default="CareTrail demo signature", show_default=True, help="the signer's name")
@click.option("--force", is_flag=True, help="overwrite an existing file")
def documents_demo_cert(out: Path, passphrase: str, common_name: str, force: bool) -> None:
    """Create a self-signed signing certificate for trying signatures (not a qualified one)."""
    from app.documents.signing import DEMO_CERTIFICATE_DAYS, make_demo_certificate

    if out.exists() and not force:
        raise click.BadParameter(f"{out} exists (--force to overwrite it)", param_hint="--out")
    if not passphrase:
        raise click.BadParameter("an empty passphrase would leave the key unprotected", param_hint="--passphrase")
    path = make_demo_certificate(out, passphrase, common_name).resolve()
    click.echo(f"Self-signed certificate for {common_name!r} written to {path} (valid {DEMO_CERTIFICATE_DAYS} days).")
    click.echo("Sign every document issued from now on with it:")
    click.echo(f"  export DOCUMENT_SIGNING_P12={path}")
    click.echo("  export DOCUMENT_SIGNING_PASSPHRASE=...   # the passphrase you just chose")
    click.echo(
        "A self-signed certificate proves the document left this CareTrail unaltered; it is NOT a qualified"
        " (eIDAS) signature, and readers show it as untrusted until its certificate is trusted by hand."
    )
