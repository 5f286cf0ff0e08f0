"""`flask alerts run-once`: evaluate every pending audit entry now, then exit."""

import click
from flask.cli import with_appcontext

from app.core.cli import acting_user_option


@click.group()
def alerts() -> None:
    """Alerts from the audit stream (the worker evaluates them continuously)."""


@alerts.command("run-once")
@with_appcontext
@acting_user_option
def alerts_run_once() -> None:
    """Evaluate all audit entries not evaluated yet, store the alerts, exit."""
    from app.alerts.watch import evaluate_all
    from app.core.extensions import db

    entries, raised = evaluate_all(db.session)
    click.echo(f"{entries} audit entries evaluated, {raised} alert(s) raised.")
