"""Delegation (table delegations, migration 0086): an administrator grants a
user a role, or "act for Dr X", for a window [starts_at, ends_at) with a
reason.  It applies only inside the window, ends by itself, can be revoked,
and what is done under it is attributed "on behalf of" in the audit
(audit_log.on_behalf_of) and the journal of reads (access_log.on_behalf_of).

At every request (and for a command run with --as), `powers_for()` reads the
user's delegations in force with ONE query, on the database's clock
(`now()`): a delegation past its end, not yet started or revoked gives
nothing, from the very next request on.  What it gives:

- a role granted: added to the user's roles for every check (the rules'
  `may()`, FAB's menus and routes);
- "act for Dr X": nothing until the user chooses to act for Dr X (the top
  bar's "Act for", or the API's `X-On-Behalf-Of: <username>` header).  Then
  Dr X's roles are added (never Admin), Dr X's agenda and prescriptions
  count as the user's own (a secretary or junior doctor runs Dr X's agenda,
  a nurse prepares Dr X's renewals as drafts in Dr X's name), signing a
  prescription stays Dr X's own act, and every change and read is stamped
  "on behalf of dr.x".

The database holds the rules (CHECKs and triggers/0086): the window, its
maximum length, exactly one of role/acted-for, nobody delegating to
themselves, revocation all-or-nothing and once, terms never rewritten.
This module checks first for a friendly answer naming the field.
"""

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.core.actor import Actor, DelegatedPowers
from app.core.db_context import audit_reason, clean_reason
from app.core.errors import ConstraintViolation, Forbidden, NotFound
from app.core.rules import refusal_of
from app.security import mfa, seclog
from app.security.policy import READ, WRITE, require
from app.security.roles import ADMIN_ROLE, DELEGATIONS, ROLE_MATRIX

STATUSES = ("active", "future", "ended", "revoked")
ON_BEHALF_HEADER = "X-On-Behalf-Of"
ACT_FOR_SESSION_KEY = "_ct_act_for"  # the browser session's choice: the username acted for

# Tests freeze the clock the window is checked against (None: the database's now()).
_frozen_at: datetime | None = None


@contextmanager
def frozen_clock(at: datetime):
    """Check every delegation's window against `at` instead of now() (tests)."""
    global _frozen_at
    previous, _frozen_at = _frozen_at, at
    try:
        yield
    finally:
        _frozen_at = previous


CLOCK = "coalesce(CAST(:at AS timestamptz), now())"

IN_FORCE = text(
    f"""
    SELECT d.id, r.name AS role, u.id AS acted_for_id, u.username AS acted_for,
           ARRAY(SELECT ar.name FROM ab_user_role ur JOIN ab_role ar ON ar.id = ur.role_id
                  WHERE ur.user_id = u.id) AS acted_for_roles
      FROM delegations d
      LEFT JOIN ab_role r ON r.id = d.role_id
      LEFT JOIN ab_user u ON u.id = d.acted_for_id AND u.active
     WHERE d.grantee_id = :user_id AND d.revoked_at IS NULL
       AND d.starts_at <= {CLOCK} AND {CLOCK} < d.ends_at
    """
)


def powers_for(session, user_id: int, act_for: str | None = None) -> DelegatedPowers:
    """What the user's delegations in force give now (one query).  `act_for`
    is whom the user asks to act for: refused (Forbidden, naming the header)
    unless an "act for" delegation to that user is in force."""
    rows = session.execute(IN_FORCE, {"user_id": user_id, "at": _frozen_at}).all()
    roles = {row.role for row in rows if row.role and row.role != ADMIN_ROLE}
    acts_for = {row.acted_for: row for row in rows if row.acted_for}
    powers = DelegatedPowers(user_id, frozenset(roles), may_act_for=tuple(sorted(acts_for)))
    if not act_for:
        return powers
    chosen = acts_for.get(act_for)
    if chosen is None:
        raise Forbidden(f"No delegation in force lets you act for {act_for[:150]}.", field=ON_BEHALF_HEADER)
    inherited = frozenset(chosen.acted_for_roles or ()) - {ADMIN_ROLE}
    return DelegatedPowers(
        user_id,
        frozenset(roles) | inherited,
        on_behalf_of=chosen.acted_for,
        acting_for_user_id=chosen.acted_for_id,
        may_act_for=powers.may_act_for,
    )


def delegable_roles() -> list[str]:
    """The roles a delegation may grant: the matrix's, never Admin."""
    return sorted(ROLE_MATRIX)


@dataclass(frozen=True)
class Delegation:
    id: int
    grantee: str
    role: str | None
    acted_for: str | None
    starts_at: datetime
    ends_at: datetime
    reason: str
    granted_by: str
    created_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None
    revoke_reason: str | None
    status: str

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "grantee": self.grantee,
            "role": self.role,
            "acts_for": self.acted_for,
            "starts_at": self.starts_at.isoformat(),
            "ends_at": self.ends_at.isoformat(),
            "reason": self.reason,
            "granted_by": self.granted_by,
            "created_at": self.created_at.isoformat(),
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "revoked_by": self.revoked_by,
            "revoke_reason": self.revoke_reason,
            "status": self.status,
        }


SELECT = f"""
    SELECT d.id, g.username AS grantee, r.name AS role, f.username AS acted_for, d.starts_at, d.ends_at,
           d.reason, b.username AS granted_by, d.created_at, d.revoked_at, v.username AS revoked_by,
           d.revoke_reason,
           CASE WHEN d.revoked_at IS NOT NULL THEN 'revoked'
                WHEN {CLOCK} < d.starts_at THEN 'future'
                WHEN {CLOCK} >= d.ends_at THEN 'ended'
                ELSE 'active' END AS status
      FROM delegations d
      JOIN ab_user g ON g.id = d.grantee_id
      JOIN ab_user b ON b.id = d.granted_by_id
      LEFT JOIN ab_role r ON r.id = d.role_id
      LEFT JOIN ab_user f ON f.id = d.acted_for_id
      LEFT JOIN ab_user v ON v.id = d.revoked_by_id
"""


def search(
    session, actor: Actor, *, status: str | None = None, username: str | None = None, limit: int = 200
) -> list[Delegation]:
    """Delegations newest first, by status and by user (grantee or acted for)."""
    require(actor, READ, DELEGATIONS)
    if status is not None and status not in STATUSES:
        raise ConstraintViolation("status", f"Status: one of {', '.join(STATUSES)}.")
    rows = session.execute(
        text(
            f"SELECT * FROM ({SELECT}) s"
            " WHERE (CAST(:status AS text) IS NULL OR s.status = :status)"
            "   AND (CAST(:username AS text) IS NULL OR lower(s.grantee) = lower(:username)"
            "        OR lower(s.acted_for) = lower(:username))"
            " ORDER BY s.starts_at DESC, s.id DESC LIMIT :limit"
        ),
        {"status": status, "username": username, "limit": limit, "at": _frozen_at},
    ).all()
    return [Delegation(**row._mapping) for row in rows]


def my_delegations(session, actor: Actor) -> list[Delegation]:
    """The signed-in user's delegations in force or to come (their own page)."""
    if actor.user_id is None:
        return []
    rows = session.execute(
        text(
            f"SELECT * FROM ({SELECT} WHERE d.grantee_id = :user_id) s"
            " WHERE s.status IN ('active', 'future') ORDER BY s.starts_at"
        ),
        {"user_id": actor.user_id, "at": _frozen_at},
    ).all()
    return [Delegation(**row._mapping) for row in rows]


def show_delegation(session, actor: Actor, delegation_id: int) -> Delegation:
    require(actor, READ, DELEGATIONS)
    return get_delegation(session, delegation_id)


def get_delegation(session, delegation_id: int) -> Delegation:
    row = session.execute(text(f"{SELECT} WHERE d.id = :id"), {"id": delegation_id, "at": _frozen_at}).one_or_none()
    if row is None:
        raise NotFound("No such delegation.")
    return Delegation(**row._mapping)


def _user(session, username: str | None, field: str) -> tuple[int, str]:
    name = (username or "").strip() if isinstance(username, str) else None
    if not name:
        raise ConstraintViolation(field, "Name the user (their login).")
    row = session.execute(
        text("SELECT id, username, active FROM ab_user WHERE lower(username) = lower(:name)"), {"name": name[:256]}
    ).one_or_none()
    if row is None:
        raise ConstraintViolation(field, f"No user is named {name[:150]}.")
    if not row.active:
        raise ConstraintViolation(field, f"{row.username}'s account is inactive.")
    return row.id, row.username


def _required_reason(raw, field: str) -> str:
    if raw is not None and not isinstance(raw, str):
        raise ConstraintViolation(field, "Text is expected.")
    reason = clean_reason(raw, field=field)
    if not reason:
        raise ConstraintViolation(field, "Say why (e.g. covering Dr Martin's leave).")
    return reason


def _check_granting(actor: Actor, verb: str) -> None:
    require(actor, WRITE, DELEGATIONS, f"Only an administrator {verb} delegations.")
    if actor.on_behalf_of is not None:
        raise Forbidden(f"An administrator {verb} a delegation in their own name, not on someone's behalf.")
    if actor.user_id is None:
        raise Forbidden(f"A delegation names who {verb} it: run the command with --as <administrator>.")


def set_max_days(session, actor: Actor, days: int) -> None:
    """The longest window a new delegation may have (hospital_settings.delegation_max_days)."""
    _check_granting(actor, "sets the length of")
    if not 1 <= days <= 366:
        raise ConstraintViolation("delegation_max_days", "Between 1 and 366 days.")
    try:
        session.execute(text("UPDATE hospital_settings SET delegation_max_days = :days WHERE id = 1"), {"days": days})
        session.commit()
    except SQLAlchemyError as exc:
        session.rollback()
        raise refusal_of(exc) from exc


def _check_second_factor(session, grantee_id: int, grantee_name: str, role: str | None, acted_for_id) -> None:
    """A role that must sign in with a second factor (MFA_REQUIRED_ROLES) is
    not delegated to someone who signs in without one: they would hold it
    on a password alone."""
    gained = {role} if role else set()
    if acted_for_id is not None:
        gained |= set(
            session.scalars(
                text("SELECT r.name FROM ab_user_role ur JOIN ab_role r ON r.id = ur.role_id WHERE ur.user_id = :u"),
                {"u": acted_for_id},
            )
        ) - {ADMIN_ROLE}
    if mfa.is_required_for(gained) and not mfa.is_enrolled(grantee_id):
        raise ConstraintViolation(
            "grantee",
            f"{grantee_name} signs in without a second factor, which {', '.join(sorted(gained))} requires:"
            " they enrol first (their account's two-factor page).",
        )


def grant(
    session,
    actor: Actor,
    *,
    grantee: str,
    role: str | None = None,
    acts_for: str | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None,
    reason: str | None,
) -> int:
    """Grant a delegation (administrators); its id.  The security log records it."""
    _check_granting(actor, "grants")
    reason = _required_reason(reason, "reason")
    grantee_id, grantee_name = _user(session, grantee, "grantee")
    if grantee_id == actor.user_id:
        raise ConstraintViolation("grantee", "You may not grant a delegation to yourself.")
    if bool(role) == bool(acts_for):
        raise ConstraintViolation("role", "Grant either a role or acting for a user (one of role, acts_for).")
    role_id = acted_for_id = None
    if role:
        if role not in delegable_roles():
            raise ConstraintViolation("role", f"A delegated role is one of {', '.join(delegable_roles())}.")
        role_id = session.scalar(text("SELECT id FROM ab_role WHERE name = :name"), {"name": role})
        if role_id is None:
            raise ConstraintViolation("role", "This role does not exist yet (run `roles sync`).")
    else:
        acted_for_id, acts_for = _user(session, acts_for, "acts_for")
        if acted_for_id == grantee_id:
            raise ConstraintViolation("acts_for", "A user does not act for themselves.")
    _check_second_factor(session, grantee_id, grantee_name, role, acted_for_id)
    if ends_at is None:
        raise ConstraintViolation("ends_at", "Say when the delegation ends.")
    for name, instant in (("starts_at", starts_at), ("ends_at", ends_at)):
        if instant is not None and instant.tzinfo is None:
            raise ConstraintViolation(name, "Give the time zone (e.g. 2026-12-24T08:00:00+01:00).")
    now, max_days = session.execute(text("SELECT now(), delegation_max_days()")).one()
    start = max(starts_at or now, now)
    if ends_at <= start:
        raise ConstraintViolation("ends_at", "The end is after the start, and in the future.")
    if (ends_at - start).total_seconds() > max_days * 86400:
        raise ConstraintViolation("ends_at", f"A delegation lasts at most {max_days} days.")
    session.commit()  # the write's own transaction starts stamped with the reason (app/core/db_context.py)
    try:
        with audit_reason(reason):
            delegation_id = session.execute(
                text(
                    "INSERT INTO delegations (grantee_id, role_id, acted_for_id, starts_at, ends_at, reason,"
                    " granted_by_id) VALUES (:grantee, :role, :acts_for, :starts, :ends, :reason, :by) RETURNING id"
                ),
                {
                    "grantee": grantee_id,
                    "role": role_id,
                    "acts_for": acted_for_id,
                    "starts": start,
                    "ends": ends_at,
                    "reason": reason,
                    "by": actor.user_id,
                },
            ).scalar_one()
            session.commit()
    except SQLAlchemyError as exc:
        session.rollback()
        raise refusal_of(exc) from exc
    what = f"role {role}" if role else f"act for {acts_for}"
    seclog.record(
        "delegation_granted",
        user=_Named(grantee_id, grantee_name),
        detail=f"#{delegation_id} {what}, {start.isoformat()} to {ends_at.isoformat()}: {reason}",
    )
    return delegation_id


def revoke(session, actor: Actor, delegation_id: int, reason: str | None) -> Delegation:
    """Revoke a delegation (administrators): it gives nothing from the next request on."""
    _check_granting(actor, "revokes")
    reason = _required_reason(reason, "reason")
    delegation = get_delegation(session, delegation_id)
    if delegation.status == "revoked":
        raise ConstraintViolation("status", "This delegation is already revoked.")
    if delegation.status == "ended":
        raise ConstraintViolation("status", "This delegation has already ended.")
    session.commit()  # as in grant(): the revocation's transaction carries its reason
    try:
        with audit_reason(reason):
            session.execute(
                text(
                    "UPDATE delegations SET revoked_at = now(), revoked_by_id = :by, revoke_reason = :reason"
                    " WHERE id = :id"
                ),
                {"by": actor.user_id, "reason": reason, "id": delegation_id},
            )
            session.commit()
    except SQLAlchemyError as exc:
        session.rollback()
        raise refusal_of(exc) from exc
    grantee_id = session.scalar(text("SELECT grantee_id FROM delegations WHERE id = :id"), {"id": delegation_id})
    seclog.record(
        "delegation_revoked", user=_Named(grantee_id, delegation.grantee), detail=f"#{delegation_id}: {reason}"
    )
    return get_delegation(session, delegation_id)


@dataclass(frozen=True)
class _Named:
    """What seclog.record() reads of a user: its id and username."""

    id: int
    username: str
