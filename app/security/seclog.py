"""The security log: sign-ins, failures, lockouts, 2FA events, sign-outs,
password and role changes (table security_log, migration 0051).

Each entry is written in a transaction of its own, so a refused sign-in is
logged even when the request's own work is rolled back.  The table is
append-only and insert-only for the app's database role, like the audit,
and kept out of the row-change audit.  Never a password, a code or a token.
"""

from flask import g, has_request_context, request
from sqlalchemy import text

from app.core.actor import current_actor
from app.core.extensions import db

INSERT = text(
    "INSERT INTO security_log (event, user_id, username, actor_id, actor, door, client_addr, detail)"
    " VALUES (:event, :user_id, :username, :actor_id, :actor, :door, CAST(:client_addr AS inet), :detail)"
)


def login_door() -> str | None:
    """Which door a sign-in came through ('form' or 'api'), as the view said."""
    return g.get("caretrail_login_door") if has_request_context() else "cli"


def record(event: str, *, user=None, username: str | None = None, detail: str | None = None) -> None:
    """Append one entry.  `user` is FAB's user (or None for an unknown name)."""
    actor = current_actor()
    named = not actor.is_system and actor.user_id is not None
    client_addr = request.remote_addr if has_request_context() else None
    with db.engine.begin() as conn:
        conn.execute(
            INSERT,
            {
                "event": event,
                "user_id": getattr(user, "id", None),
                "username": (getattr(user, "username", None) or username or "")[:150] or None,
                "actor_id": actor.user_id if named else None,
                "actor": actor.username if named else None,
                "door": login_door() if has_request_context() else "cli",
                "client_addr": client_addr,
                "detail": (detail or "")[:500] or None,
            },
        )


FAILURES = text(
    """
    SELECT count(*) FROM security_log
     WHERE user_id = :user_id AND event IN ('login_failed', 'mfa_failed')
       AND at > now() - make_interval(mins => :minutes)
       AND at > coalesce((SELECT max(at) FROM security_log
                           WHERE user_id = :user_id AND event IN ('login', 'password_changed', 'mfa_reset')),
                         '-infinity')
    """
)


def is_locked(user_id: int, threshold: int, minutes: int) -> bool:
    """Whether the account has `threshold` failures (password or second
    factor, any door) within the last `minutes`, none followed by a sign-in."""
    if threshold <= 0:
        return False
    with db.engine.connect() as conn:
        return conn.execute(FAILURES, {"user_id": user_id, "minutes": minutes}).scalar_one() >= threshold


EVENTS = (
    "login",
    "login_failed",
    "login_locked",
    "logout",
    "session_expired",
    "sessions_revoked",
    "mfa_enrolled",
    "mfa_failed",
    "mfa_recovery_used",
    "mfa_reset",
    "password_changed",
    "password_reset_forced",
    "password_refused",
    "roles_changed",
    "delegation_granted",
    "delegation_revoked",
)
PAGE_SIZE = 100


def search(*, username: str | None = None, event: str | None = None, page: int = 0) -> list:
    """Entries newest first, by username (exact, case-insensitive) and event."""
    with db.engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT id, at, event, username, actor, door, host(client_addr) AS client_addr, detail"
                "  FROM security_log"
                " WHERE (CAST(:username AS text) IS NULL OR lower(username) = lower(:username))"
                "   AND (CAST(:event AS text) IS NULL OR event = :event)"
                " ORDER BY at DESC, id DESC LIMIT :limit OFFSET :offset"
            ),
            {"username": username, "event": event, "limit": PAGE_SIZE, "offset": page * PAGE_SIZE},
        ).all()
