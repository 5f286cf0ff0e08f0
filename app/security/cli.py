"""`flask roles ...`: the roles and their permissions (app/security/roles.py);
`flask accounts ...`: an account's sign-in security; `flask delegations ...`:
delegations granted, listed and revoked through their rules
(app/security/delegation.py), as the --as administrator."""

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


@click.group()
def delegations() -> None:
    """Delegations: a role or acting for a user, for a window of time (app/security/delegation.py)."""


def _instant(value: str | None, name: str):
    from datetime import datetime

    from app.core.timezone import aware

    if not value:
        return None
    try:
        return aware(datetime.fromisoformat(value))
    except ValueError:
        raise click.BadParameter("an ISO 8601 date and time, e.g. 2026-12-24T08:00", param_hint=name) from None


@delegations.command("list")
@click.option("--status", type=click.Choice(("active", "future", "ended", "revoked")))
@click.option("--user", "username", help="grantee or person acted for")
@with_appcontext
@acting_user_option
def delegations_list(status: str | None, username: str | None) -> None:
    """List delegations, newest first."""
    from app.core.actor import current_actor
    from app.core.extensions import db
    from app.security import delegation

    for item in delegation.search(db.session, current_actor(), status=status, username=username):
        what = f"role {item.role}" if item.role else f"act for {item.acted_for}"
        click.echo(
            f"#{item.id} {item.status:8} {item.grantee}: {what}, {item.starts_at.isoformat()} to"
            f" {item.ends_at.isoformat()} ({item.reason}; granted by {item.granted_by})"
        )


@delegations.command("grant")
@click.argument("grantee")
@click.option("--role", help="a role of the matrix (never Admin)")
@click.option("--acts-for", "acts_for", help="the login of the person acted for")
@click.option("--from", "starts_at", help="start (ISO 8601, the hospital's time; default now)")
@click.option("--until", "ends_at", required=True, help="end (ISO 8601, the hospital's time)")
@click.option("--reason", required=True)
@with_appcontext
@acting_user_option
def delegations_grant(grantee, role, acts_for, starts_at, ends_at, reason) -> None:
    """Grant GRANTEE a role or acting for a user, for a window, with a reason."""
    from app.core.actor import current_actor
    from app.core.extensions import db
    from app.security import delegation

    delegation_id = delegation.grant(
        db.session,
        current_actor(),
        grantee=grantee,
        role=role,
        acts_for=acts_for,
        starts_at=_instant(starts_at, "--from"),
        ends_at=_instant(ends_at, "--until"),
        reason=reason,
    )
    click.echo(f"Delegation #{delegation_id} granted.")


@delegations.command("revoke")
@click.argument("delegation_id", type=int)
@click.option("--reason", required=True)
@with_appcontext
@acting_user_option
def delegations_revoke(delegation_id: int, reason: str) -> None:
    """Revoke delegation DELEGATION_ID: it gives nothing from the next request on."""
    from app.core.actor import current_actor
    from app.core.extensions import db
    from app.security import delegation

    delegation.revoke(db.session, current_actor(), delegation_id, reason)
    click.echo(f"Delegation #{delegation_id} revoked.")


@delegations.command("max-days")
@click.argument("days", type=int)
@with_appcontext
@acting_user_option
def delegations_max_days(days: int) -> None:
    """The longest window a new delegation may have (default 90 days)."""
    from app.core.actor import current_actor
    from app.core.extensions import db
    from app.security import delegation

    delegation.set_max_days(db.session, current_actor(), days)
    click.echo(f"A delegation now lasts at most {days} days.")
