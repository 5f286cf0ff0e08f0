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


@click.group()
def accounts() -> None:
    """Sign-in security of an account: 2FA, sessions (the operator's way in
    when the last administrator lost their phone and recovery codes)."""


def _user(username: str):
    user = current_app.appbuilder.sm.find_user(username=username)
    if user is None:
        raise click.BadParameter(f"no CareTrail user named {username!r}", param_hint="USERNAME")
    return user


@accounts.command("reset-2fa")
@click.argument("username")
@with_appcontext
@acting_user_option
def reset_2fa(username: str) -> None:
    """Remove USERNAME's second factor and end their sessions: they enrol again."""
    from app.security import mfa, seclog, sessions

    user = _user(username)
    mfa.reset(user.id)
    sessions.end_all(user.id, "revoked")
    seclog.record("mfa_reset", user=user)
    click.echo(f"Second factor of {username} removed; they enrol again at their next sign-in.")


@accounts.command("sign-out")
@click.argument("username")
@with_appcontext
@acting_user_option
def sign_out(username: str) -> None:
    """End every session and token of USERNAME."""
    from app.security import seclog, sessions

    user = _user(username)
    ended = sessions.end_all(user.id, "revoked")
    seclog.record("sessions_revoked", user=user, detail=f"{ended} sessions and tokens")
    click.echo(f"{ended} sessions and tokens of {username} ended.")
