"""Server-side sessions that can be revoked (table user_sessions, migration 0051).

A browser session's cookie (Flask's signed session) carries a random secret;
a JWT carries its `jti`.  The database keeps only their SHA-256, with the
user, the kind and when it was last used.  A cookie or token whose row is
missing or ended is refused, so logging out, changing one's password or an
administrator's "sign out everywhere" kills a copied cookie or a stolen token
at once, and a browser session unused for SESSION_IDLE_MINUTES ends by itself.
Each start and end is written to the security log by the callers.

The same statement says whether the user holds a delegation not revoked
nor over (app/security/delegation.py): only then does the request read
which ones are in force, so a user without one costs no query more.
"""

import hashlib
import secrets

from sqlalchemy import text

from app.core.extensions import db

BROWSER, ACCESS, REFRESH = "browser", "access", "refresh"
SESSION_KEY = "_ct_sid"  # where the browser session's secret sits in the (signed) cookie
TOUCH_EVERY_SECONDS = 30  # last_seen_at is not rewritten at every request


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


# Whether the session's user may hold a delegation in force: not revoked,
# not over.  Whether it has started is for delegation.powers_for() to say.
DELEGATED = (
    "EXISTS (SELECT 1 FROM delegations d WHERE d.grantee_id = user_sessions.user_id"
    " AND d.revoked_at IS NULL AND d.ends_at > now()) AS delegated"
)


def check_browser(secret: str | None, user_id: int, idle_minutes: int) -> tuple[str, bool]:
    """('live', 'idle' (it has just been ended for it) or 'dead', whether
    the user may hold a delegation in force).  Read in the request's own
    transaction (no second connection for every page); the rare writes,
    ending an idle session or noting it was used, commit on their own,
    whatever the request then does."""
    if not secret:
        return "dead", False
    row = db.session.execute(
        text(
            "SELECT id, last_seen_at > now() - make_interval(mins => :idle) AS alive,"
            f"       last_seen_at < now() - make_interval(secs => :touch) AS stale, {DELEGATED}"
            "  FROM user_sessions"
            " WHERE token_hash = :h AND user_id = :u AND kind = 'browser' AND ended_at IS NULL"
        ),
        {"h": _hash(secret), "u": user_id, "idle": idle_minutes, "touch": TOUCH_EVERY_SECONDS},
    ).one_or_none()
    if row is None:
        return "dead", False
    if not row.alive:
        _write_now("UPDATE user_sessions SET ended_at = now(), ended_reason = 'idle' WHERE id = :id", row.id)
        return "idle", False
    if row.stale:
        _write_now("UPDATE user_sessions SET last_seen_at = now() WHERE id = :id", row.id)
    return "live", row.delegated


def _write_now(statement: str, session_id: int) -> None:
    with db.engine.begin() as conn:
        conn.execute(text(statement), {"id": session_id})


def check_token(jti: str) -> tuple[bool, bool]:
    """(whether the token is live, whether its user may hold a delegation in force),
    read in the request's own transaction."""
    row = db.session.execute(
        text(f"SELECT {DELEGATED} FROM user_sessions WHERE token_hash = :h AND kind <> 'browser' AND ended_at IS NULL"),
        {"h": _hash(jti)},
    ).one_or_none()
    return (row is not None, bool(row and row.delegated))


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
