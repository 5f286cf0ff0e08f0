"""`flask roles ...`: the roles and their permissions (app/security/roles.py)."""

import click
from flask import current_app
from flask.cli import with_appcontext

from app.core.cli import acting_user_option


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
