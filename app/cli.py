"""CareTrail's flask commands: each domain's group (roles, audit, drugs,
prescriptions, documents), and the start-up ones (setup, seed-demo).

Every command that writes takes `--as USERNAME` (app/core/cli.py): its
changes are attributed to that CareTrail user in the audit, and the rules
apply that user's roles ("system", the operator, by default).
"""

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from app.core.cli import acting_user_option


def register_cli(app: Flask) -> None:
    from app.alerts.cli import alerts
    from app.audit.cli import audit
    from app.care.cli import vaccines
    from app.documents.cli import documents
    from app.jobs.cli import worker
    from app.prescribing.cli import drugs, prescriptions
    from app.security.cli import accounts, delegations, roles

    groups = (
        roles,
        accounts,
        delegations,
        setup,
        seed_demo,
        audit,
        alerts,
        drugs,
        prescriptions,
        documents,
        vaccines,
        worker,
    )
    for group in groups:
        app.cli.add_command(group)


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
