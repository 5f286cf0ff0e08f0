"""Break-the-glass (issue 18): a user whose role hides part of a patient's
record opens it whole, for a while, after typing why; auditors review it.

- `break_the_glass()` records the grant (break_glass_grants, migration
  0087): the reason is required, the database computes when it ends
  (BREAK_GLASS_MINUTES, default 60, on its own clock) and journals the act
  in access_log (action 'break_glass'), which the alert rule of the same
  name reads (app/alerts/journal_rules.py).
- `reading_patient()` is what the doors of one patient's record enter
  (the patient's page and its API read, a document's download): while
  the signed-in user holds an active grant on THAT patient, the actor
  carries the break-the-glass reading (app/security/roles.py:
  BREAK_GLASS_GRANTS, what a doctor reads, nothing written) and the grant's
  id, so the same policy (field matrix, domain rules) answers and every read
  is journaled with the grant and its reason.  Once it expired (database
  clock), nothing is lent.
- `review_grant()` closes a grant's review once with a verdict (Auditor,
  Admin); the database refuses any other change to a grant.
"""

from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, has_app_context, has_request_context

from app.core.actor import Actor, acting_as, current_actor
from app.core.db_context import clean_reason
from app.core.errors import BadInput, Conflict, ConstraintViolation, Forbidden, NotFound
from app.core.request_locals import request_g
from app.core.rules import refusal_of
from app.security.policy import READ, field_groups_of, may
from app.security.roles import (
    ACCESS_LOG,
    ADMIN_ROLE,
    BREAK_GLASS_GRANTS,
    BREAK_GLASS_ROLE,
    BREAK_GLASS_ROLES,
    PATIENTS,
)
from app.security.sessions import MAY_HOLD_GRANT

DEFAULT_MINUTES = 60
VERDICTS = ("justified", "unjustified")
PAGE_SIZE = 50


def grant_minutes() -> int:
    """BREAK_GLASS_MINUTES from the configuration (1 to 1440; default 60)."""
    minutes = current_app.config.get("BREAK_GLASS_MINUTES", DEFAULT_MINUTES) if has_app_context() else DEFAULT_MINUTES
    return int(minutes)


def lent(actor: Actor, grant_id: int) -> Actor:
    """The actor reading under grant `grant_id`: its own roles plus the break-the-glass reading."""
    return replace(actor, roles=actor.roles | {BREAK_GLASS_ROLE}, break_glass_id=grant_id)


def glass_would_open_more(actor: Actor) -> bool:
    """Whether the grant would show this actor more than its role does
    (a doctor or an administrator already reads the whole record)."""
    wider = lent(actor, 0)
    if field_groups_of(wider, PATIENTS) != field_groups_of(actor, PATIENTS):
        return True
    return any(not may(actor, READ, resource) for resource in BREAK_GLASS_GRANTS)


def may_break_the_glass(actor: Actor) -> bool:
    """A signed-in user of a role that cares for or receives patients
    (BREAK_GLASS_ROLES), not an auditor, whose role hides part of a record."""
    if actor.is_system or actor.user_id is None or ADMIN_ROLE in actor.roles or "Auditor" in actor.roles:
        return False
    return bool(actor.roles & set(BREAK_GLASS_ROLES)) and glass_would_open_more(actor)


ACTIVE_GRANT = sa.text(
    "SELECT id FROM break_glass_grants WHERE user_id = :user_id AND patient_id = :patient_id"
    " AND granted_at <= now() AND expires_at > now() ORDER BY expires_at DESC LIMIT 1"
)


def active_grant_id(session, actor: Actor, patient_id: int) -> int | None:
    """The user's grant on this patient still running by the database's clock, if any."""
    if actor.user_id is None or actor.is_system:
        return None
    return session.execute(ACTIVE_GRANT, {"user_id": actor.user_id, "patient_id": patient_id}).scalar()


def widened_for(session, actor: Actor, patient_id: int) -> Actor:
    """`actor`, lent the break-the-glass reading if it holds an active grant on this patient."""
    if actor.break_glass_id is not None or not may_break_the_glass(actor):
        return actor  # no query for those who read the whole record already
    if _holds_no_grant(actor):
        return actor  # nor for those who hold none (found as the user was loaded)
    grant_id = active_grant_id(session, actor, patient_id)
    return actor if grant_id is None else lent(actor, grant_id)


def _holds_no_grant(actor: Actor) -> bool:
    """The statement that loaded the signed-in user found no grant of theirs
    running, on any patient (sessions.MAY_HOLD_GRANT; None outside a request
    or for another user: then the grant is looked for)."""
    if not has_request_context():
        return False
    return request_g().get(MAY_HOLD_GRANT) == (actor.user_id, False)


@contextmanager
def reading_patient(session, patient_id: int):
    """Within: the current actor, widened for this patient's record when it
    holds an active grant on it (every rule and template asks current_actor())."""
    actor = current_actor()
    wider = widened_for(session, actor, patient_id)
    if wider is actor:
        yield actor
        return
    with acting_as(wider):
        yield wider


@dataclass(frozen=True)
class Grant:
    id: int
    user_id: int
    username: str
    patient_id: int
    patient: str | None
    reason: str
    granted_at: datetime
    expires_at: datetime
    is_active: bool
    reviewed_by: str | None
    reviewed_at: datetime | None
    verdict: str | None
    review_comment: str | None
    reads: int

    def as_dict(self) -> dict:
        data = dict(self.__dict__)
        for key in ("granted_at", "expires_at", "reviewed_at"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


GRANTS_SQL = """
    SELECT g.id, g.user_id, g.username, g.patient_id,
           CASE WHEN p.id IS NULL THEN NULL ELSE upper(p.last_name) || ' ' || p.first_name || ' (' || p.mrn || ')' END,
           g.reason, g.granted_at, g.expires_at, (g.expires_at > now()) AS is_active,
           r.username, g.reviewed_at, g.verdict, g.review_comment,
           (SELECT count(*) FROM access_log a WHERE a.break_glass_id = g.id AND a.action <> 'break_glass')
      FROM break_glass_grants g
      LEFT JOIN patients p ON p.id = g.patient_id
      LEFT JOIN ab_user r ON r.id = g.reviewed_by_id
"""


LOCK_GRANTING = sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")


def break_the_glass(session, actor: Actor, patient_id: int, reason: str | None, *, door: str) -> Grant:
    """Open patient `patient_id`'s whole record to `actor` (read only) for
    BREAK_GLASS_MINUTES; the reason is required.  Journaled, committed."""
    from app.security.journal import journal_patient_read

    if not may_break_the_glass(actor):
        raise Forbidden(
            "Break-the-glass is for staff whose role hides part of a patient's record;"
            " yours does not allow it or already shows the whole record."
        )
    reason = clean_reason(reason)
    if reason is None:
        raise ConstraintViolation("reason", "Say why you need this record: a reason is required.")
    if session.execute(sa.text("SELECT 1 FROM patients WHERE id = :id"), {"id": patient_id}).first() is None:
        raise NotFound(f"No patient #{patient_id}.")
    # One grant at a time per user and patient: two clicks at once wait for
    # each other here, and the second finds the first's grant.
    session.execute(LOCK_GRANTING, {"key": f"break_glass {actor.user_id} {patient_id}"})
    if active_grant_id(session, actor, patient_id) is not None:
        session.rollback()
        raise Conflict("You already have this record open under break-the-glass.", field="patient_id")
    try:
        grant_id = session.execute(
            sa.text(
                "INSERT INTO break_glass_grants (user_id, username, patient_id, reason, minutes)"
                " VALUES (:user_id, :username, :patient_id, :reason, :minutes) RETURNING id"
            ),
            {
                "user_id": actor.user_id,
                "username": actor.username,
                "patient_id": patient_id,
                "reason": reason,
                "minutes": grant_minutes(),
            },
        ).scalar_one()
        session.commit()
    except sa.exc.SQLAlchemyError as exc:
        session.rollback()
        raise refusal_of(exc) from exc
    if has_request_context():  # this request's reads now look for it
        request_g().pop(MAY_HOLD_GRANT, None)
    journal_patient_read(session, lent(actor, grant_id), patient_id, "break_glass", door=door)
    return get_grant(session, grant_id)


def get_grant(session, grant_id: int) -> Grant:
    row = session.execute(sa.text(GRANTS_SQL + " WHERE g.id = :id"), {"id": grant_id}).first()
    if row is None:
        raise NotFound(f"No break-the-glass grant #{grant_id}.")
    return Grant(*row)


def require_reviewer(actor: Actor) -> None:
    """Auditors and administrators review grants (those who read the journal)."""
    if not (actor.is_system or may(actor, READ, ACCESS_LOG)):
        raise Forbidden("Your role may not review break-the-glass access.")


def list_grants(
    session,
    actor: Actor,
    *,
    state: str = "open",
    username: str | None = None,
    patient_id: int | None = None,
    verdict: str | None = None,
    page: int = 0,
) -> list[Grant]:
    """Grants to review (state 'open', oldest first) or reviewed ('closed',
    newest first), by user, patient, verdict."""
    require_reviewer(actor)
    if state not in ("open", "closed"):
        raise BadInput("The state is open or closed.", field="state")
    if verdict and verdict not in VERDICTS:
        raise BadInput("The verdict is justified or unjustified.", field="verdict")
    where = ["g.verdict IS NULL" if state == "open" else "g.verdict IS NOT NULL"]
    params: dict = {"limit": PAGE_SIZE, "offset": page * PAGE_SIZE}
    if username:
        where.append("g.username = :username")
        params["username"] = username
    if patient_id is not None:
        where.append("g.patient_id = :patient_id")
        params["patient_id"] = patient_id
    if verdict:
        where.append("g.verdict = :verdict")
        params["verdict"] = verdict
    order = "g.granted_at, g.id" if state == "open" else "g.reviewed_at DESC, g.id DESC"
    sql = GRANTS_SQL + f" WHERE {' AND '.join(where)} ORDER BY {order} LIMIT :limit OFFSET :offset"
    rows = session.execute(sa.text(sql), params).all()
    session.rollback()
    return [Grant(*row) for row in rows]


def reads_under(session, actor: Actor, grant_id: int):
    """What was read under a grant: the journal's rows, oldest first."""
    require_reviewer(actor)
    rows = session.execute(
        sa.text(
            "SELECT id, accessed_at, action, door, host(client_addr) AS client_addr FROM access_log"
            " WHERE break_glass_id = :id ORDER BY id"
        ),
        {"id": grant_id},
    ).all()
    session.rollback()
    return rows


def review_grant(session, actor: Actor, grant_id: int, verdict: str | None, comment: str | None) -> Grant:
    """Close a grant's review with a verdict (justified, unjustified: the
    latter with a comment), once; committed."""
    require_reviewer(actor)
    if verdict not in VERDICTS:
        raise ConstraintViolation("verdict", "Choose a verdict: justified or unjustified.")
    comment = clean_reason(comment, field="comment")
    if verdict == "unjustified" and not comment:
        raise ConstraintViolation("comment", "Say why the access was not justified.")
    if actor.user_id is None:
        raise ConstraintViolation("reviewed_by", "A review is closed by a person (a user account).")
    found = session.execute(
        sa.text("SELECT user_id, verdict FROM break_glass_grants WHERE id = :id FOR UPDATE"), {"id": grant_id}
    ).first()
    if found is None:
        session.rollback()
        raise NotFound(f"No break-the-glass grant #{grant_id}.")
    if found.verdict is not None:
        session.rollback()
        raise Conflict("This break-the-glass access was already reviewed.", field="verdict")
    if found.user_id == actor.user_id:
        session.rollback()
        raise Forbidden("No one reviews their own break-the-glass access.")
    try:
        session.execute(
            sa.text(
                "UPDATE break_glass_grants SET reviewed_by_id = :by, verdict = :verdict, review_comment = :comment"
                " WHERE id = :id"
            ),
            {"by": actor.user_id, "verdict": verdict, "comment": comment, "id": grant_id},
        )
        session.commit()
    except sa.exc.SQLAlchemyError as exc:
        session.rollback()
        raise refusal_of(exc) from exc
    return get_grant(session, grant_id)
