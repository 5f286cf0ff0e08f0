"""`flask documents ...`: verify an archived document, make a demo signing certificate."""

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from app.core.cli import acting_user_option


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
    from app.core.actor import current_actor
    from app.core.errors import CareTrailError
    from app.core.extensions import db
    from app.documents.archive import verify_archived

    try:
        document, ok, lines = verify_archived(db.session, current_actor(), document_id, current_app.config)
    except CareTrailError as refused:
        click.echo(refused.message, err=True)
        sys.exit(1)
    click.echo(
        f"Document #{document.id}: {document.title} ({document.kind}, patient #{document.patient_id}),"
        f" issued {document.issued_at:%Y-%m-%d %H:%M:%S %Z} by {document.issued_by},"
        f" {document.size_bytes} bytes, {document.page_count} page(s), {document.engine}"
    )
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
