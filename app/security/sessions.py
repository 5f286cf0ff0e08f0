"""Server-side sessions that can be revoked (table user_sessions, migration 0051).

A browser session's cookie (Flask's signed session) carries a random secret;
a JWT carries its `jti`.  The database keeps only their SHA-256, with the
user, the kind and when it was last used.  A cookie or token whose row is
missing or ended is refused, so logging out, changing one's password or an
administrator's "sign out everywhere" kills a copied cookie or a stolen token
at once, and a browser session unused for SESSION_IDLE_MINUTES ends by itself.
Each start and end is written to the security log by the callers.

A browser session is read with its user, in the one statement that loads
them (browser_session_of(), app/security/manager.py).  It also says whether
the user holds a delegation not revoked nor over (app/security/delegation.py):
only then does the request read which ones are in force, so a user without
one costs no query more.
"""

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy import text

from app.core.extensions import db

BROWSER, ACCESS, REFRESH = "browser", "access", "refresh"
SESSION_KEY = "_ct_sid"  # where the browser session's secret sits in the (signed) cookie
TOUCH_EVERY_SECONDS = 30  # last_seen_at is not rewritten at every request
# g.<this>: (the signed-in user's id, whether they may hold a break-the-glass
# grant still running), as the statement that loaded them found it; read by
# glass.widened_for() before it asks which patient a grant is on.
MAY_HOLD_GRANT = "caretrail_may_hold_grant"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def start(user_id: int, kind: str, secret: str | None = None, client_addr: str | None = None) -> str:
    """Register a session (or a token's jti) and return its secret."""
    secret = secret or secrets.token_urlsafe(32)
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO user_sessions (token_hash, user_id, kind, client_addr)"
                " VALUES (:h, :u, :k, CAST(:addr AS inet))"
            ),
            {"h": _hash(secret), "u": user_id, "k": kind, "addr": client_addr},
        )
    return secret


# The tables as the user's loading statement reads them (not mapped: written in SQL here).
_user_sessions = sa.table(
    "user_sessions",
    sa.column("id", sa.BigInteger),
    sa.column("token_hash", sa.String),
    sa.column("user_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("ended_at", sa.DateTime(timezone=True)),
    sa.column("last_seen_at", sa.DateTime(timezone=True)),
)
_delegations = sa.table(
    "delegations",
    sa.column("grantee_id", sa.Integer),
    sa.column("revoked_at", sa.DateTime(timezone=True)),
    sa.column("ends_at", sa.DateTime(timezone=True)),
)

_break_glass_grants = sa.table(
    "break_glass_grants",
    sa.column("user_id", sa.Integer),
    sa.column("expires_at", sa.DateTime(timezone=True)),
)


def _may_be_delegated() -> sa.Exists:
    """Whether the session's user may hold a delegation in force: not
    revoked, not over.  Whether it has started is for
    delegation.powers_for() to say."""
    delegations = _delegations
    return sa.exists().where(
        delegations.c.grantee_id == _user_sessions.c.user_id,
        delegations.c.revoked_at.is_(None),
        delegations.c.ends_at > sa.func.now(),
    )


def _may_hold_grant() -> sa.Exists:
    """Whether the session's user holds a break-the-glass grant not yet
    expired, on any patient.  Which patient, and whether it has started, is
    for glass.active_grant_id() to say."""
    grants = _break_glass_grants
    return sa.exists().where(grants.c.user_id == _user_sessions.c.user_id, grants.c.expires_at > sa.func.now())


def browser_session_of(user_id) -> sa.Lateral:
    """The browser session whose secret hashes to the `token_hash` parameter,
    if it is the user's (`user_id`: their column) and not ended, as a
    lateral subquery of the statement that loads the user: `session_id`,
    `alive` (used within the last `idle_for`, an interval parameter),
    `stale` (last noted more than TOUCH_EVERY_SECONDS ago), `delegated`
    (_may_be_delegated()) and `glass` (_may_hold_grant()).  Read with the
    user, it costs no query of its own."""
    sessions, now = _user_sessions, sa.func.now()
    return (
        sa.select(
            sessions.c.id.label("session_id"),
            (sessions.c.last_seen_at > now - sa.bindparam("idle_for", type_=sa.Interval)).label("alive"),
            (sessions.c.last_seen_at < now - timedelta(seconds=TOUCH_EVERY_SECONDS)).label("stale"),
            _may_be_delegated().label("delegated"),
            _may_hold_grant().label("glass"),
        )
        .where(
            sessions.c.token_hash == sa.bindparam("token_hash"),
            sessions.c.user_id == user_id,
            sessions.c.kind == BROWSER,
            sessions.c.ended_at.is_(None),
        )
        .lateral("browser_session")
    )


def browser_parameters(secret: str | None, idle_minutes: int) -> dict:
    """browser_session_of()'s parameters (no secret: a hash no row has)."""
    return {"token_hash": _hash(secret) if secret else "", "idle_for": timedelta(minutes=idle_minutes)}


def browser_state(row) -> tuple[str, bool, bool]:
    """('live', 'idle' (it has just been ended for it) or 'dead', whether
    the user may hold a delegation in force, whether they may hold a
    break-the-glass grant), from browser_session_of()'s columns read with
    the user.  The rare writes, ending an idle session or
    noting it was used, commit on their own, whatever the request then does."""
    if row.session_id is None:
        return "dead", False, False
    if not row.alive:
        _write_now("UPDATE user_sessions SET ended_at = now(), ended_reason = 'idle' WHERE id = :id", row.session_id)
        return "idle", False, False
    if row.stale:
        _write_now("UPDATE user_sessions SET last_seen_at = now() WHERE id = :id", row.session_id)
    return "live", row.delegated, row.glass


def _write_now(statement: str, session_id: int) -> None:
    with db.engine.begin() as conn:
        conn.execute(text(statement), {"id": session_id})


def check_token(jti: str) -> tuple[bool, bool, bool]:
    """(whether the token is live, whether its user may hold a delegation in
    force, whether they may hold a break-the-glass grant), read in the
    request's own transaction."""
    sessions = _user_sessions
    row = db.session.execute(
        sa.select(_may_be_delegated().label("delegated"), _may_hold_grant().label("glass")).where(
            sessions.c.token_hash == _hash(jti), sessions.c.kind != BROWSER, sessions.c.ended_at.is_(None)
        )
    ).one_or_none()
    return (row is not None, bool(row and row.delegated), bool(row and row.glass))


def token_is_live(jti: str) -> bool:
    return check_token(jti)[0]


def end(secret: str | None, reason: str) -> None:
    if not secret:
        return
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE user_sessions SET ended_at = now(), ended_reason = :r"
                " WHERE token_hash = :h AND ended_at IS NULL"
            ),
            {"h": _hash(secret), "r": reason},
        )


def end_all(user_id: int, reason: str) -> int:
    """End every session and token of the user; how many were live."""
    with db.engine.begin() as conn:
        return conn.execute(
            text(
                "UPDATE user_sessions SET ended_at = now(), ended_reason = :r WHERE user_id = :u AND ended_at IS NULL"
            ),
            {"u": user_id, "r": reason},
        ).rowcount


def live_count(user_id: int) -> int:
    with db.engine.connect() as conn:
        return conn.execute(
            text("SELECT count(*) FROM user_sessions WHERE user_id = :u AND ended_at IS NULL"), {"u": user_id}
        ).scalar_one()
