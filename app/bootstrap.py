"""What must be true before serving: schema at head, roles in sync, an admin.

Run by `python run.py`, `make run` and `flask --app run.py setup`; each step
is idempotent, and none of them happens when the app is merely imported.
"""

import secrets
from pathlib import Path

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app
from sqlalchemy import text

from app.core.actor import SETUP, acting_as, explicit_actor
from app.core.extensions import db
from app.security.sync import sync_roles

# Advisory lock held by sql/env.py while migrating.  Any constant works; it
# only has to be the same for every deploy.
MIGRATION_LOCK_KEY = 4_242_001


class NotMigrated(RuntimeError):
    pass


def unreachable_database(exc: BaseException, url: str) -> str | None:
    """One line saying the database cannot be reached, or None when `exc` is
    about something else: a start on a server that is down (or a wrong
    host, port or password) says so, not 113 lines of traceback."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import InterfaceError, OperationalError

    if not isinstance(exc, OperationalError | InterfaceError):
        return None
    text = str(getattr(exc, "orig", None) or exc).strip()
    reason = text.splitlines()[0] if text else type(exc).__name__
    where = make_url(url).render_as_string(hide_password=True)
    return f"cannot reach the database at {where}: {reason}"


def migration_heads(app: Flask) -> tuple[set[str], set[str]]:
    """(revisions applied to the database, revisions the code expects)."""
    directory = app.extensions["migrate"].directory
    script = ScriptDirectory(str(Path(directory)))
    with db.engine.connect() as connection:
        applied = set(MigrationContext.configure(connection).get_current_heads())
    return applied, set(script.get_heads())


def check_schema_is_current(app: Flask) -> None:
    applied, expected = migration_heads(app)
    if applied != expected:
        raise NotMigrated(
            f"The database schema is at {sorted(applied) or 'nothing'}, the code expects {sorted(expected)}: "
            "run `flask --app run.py db upgrade` first (make run does it for you)."
        )


def ensure_first_admin(appbuilder, *, username: str, password: str | None, email: str) -> str | None:
    """Create the first administrator when there is no user at all.

    Returns the password when one was generated (the caller prints it once),
    else None.  Does nothing when any user exists.
    """
    sm = appbuilder.sm
    if sm.count_users() > 0:
        return None
    generated = None
    if not password:
        password = generated = secrets.token_urlsafe(12)
    role = sm.find_role(sm.auth_role_admin)
    user = sm.add_user(username, "Admin", "CareTrail", email, role, password=password)
    if not user:
        raise RuntimeError(f"could not create the first administrator {username!r}")
    return generated


def sync_hospital_time_zone(zone: str) -> bool:
    """Make hospital_settings.timezone (what the database reads working hours
    in, whoever writes) equal to the TIMEZONE setting; True when it changed."""
    with db.engine.begin() as connection:
        changed = connection.execute(
            text("UPDATE hospital_settings SET timezone = :zone WHERE id = 1 AND timezone <> :zone"), {"zone": zone}
        ).rowcount
    return bool(changed)


def prepare_to_serve(app: Flask, *, log=print) -> None:
    """Schema check, role sync, first admin: the start-up steps of run.py,
    as SETUP unless a user was named (`flask setup --as NAME`)."""
    named = explicit_actor()
    with acting_as(named if named is not None and not named.is_system else SETUP):
        _prepare_to_serve(app, log)


def _prepare_to_serve(app: Flask, log) -> None:
    check_schema_is_current(app)
    with db.engine.begin() as connection:
        created = connection.execute(text("SELECT audit_ensure_partitions()")).scalar_one()
    if created:
        log(f"Audit: {created} monthly partition(s) created ahead.")
    report = sync_roles(app.appbuilder)
    log(f"Roles: {report}.")
    config = current_app.config
    if sync_hospital_time_zone(config["TIMEZONE"]):
        log(f"Hospital time zone set to {config['TIMEZONE']} (working hours are read in it).")
    generated = ensure_first_admin(
        app.appbuilder,
        username=config["ADMIN_USERNAME"],
        password=config["ADMIN_PASSWORD"],
        email=config["ADMIN_EMAIL"],
    )
    if generated:
        log(
            f"First administrator created: username {config['ADMIN_USERNAME']!r}, password {generated!r} "
            "(shown only this once; set ADMIN_PASSWORD to choose it)."
        )
