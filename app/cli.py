"""CareTrail's flask commands: roles sync, setup, seed-demo."""

import click
from flask import Flask, current_app
from flask.cli import with_appcontext


def register_cli(app: Flask) -> None:
    app.cli.add_command(roles)
    app.cli.add_command(setup)
    app.cli.add_command(seed_demo)


@click.group()
def roles() -> None:
    """Roles and permissions (app/security/roles.py)."""


@roles.command("sync")
@with_appcontext
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
def setup() -> None:
    """After `db upgrade`: sync roles, create the first admin, load demo data if DEMO_DATA."""
    from app.services.bootstrap import prepare_to_serve

    prepare_to_serve(current_app, log=click.echo)
    if current_app.config["DEMO_DATA"]:
        _seed_demo()


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Load the demo hospital (staff, users per role, rooms, ~200 patients); idempotent."""
    _seed_demo()


def _seed_demo() -> None:
    from app.services.demo_data import seed_demo_data

    summary = seed_demo_data(current_app.appbuilder, password=current_app.config["DEMO_PASSWORD"])
    click.echo(f"Demo data: {summary}")
