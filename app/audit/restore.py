"""Restore from the audit: a row's earlier (or later) version, a deleted row,
or a whole transaction undone, through audit_restore() in the database
(audit_restore.sql in triggers/), so that psql users get exactly the same rules.

The restore runs as the signed-in user, in one transaction: it is audited
like any change (reason 'restore of audit entry N' unless the user gave one),
and a conflict or a refused constraint leaves nothing half-restored.
"""

from dataclasses import dataclass, field

import sqlalchemy as sa
from psycopg import errors as pg_errors
from sqlalchemy.exc import DBAPIError

from app.audit.search import DERIVED_COLUMNS
from app.core.actor import Actor
from app.core.db_errors import violation_from_db_error
from app.core.errors import Conflict, ConstraintViolation, DatabaseWriteFailed, NotFound
from app.security.policy import READ, RESTORE, require
from app.security.roles import AUDIT

MODES = ("before", "after", "transaction")


class AuditEntryNotFound(NotFound):
    def __init__(self, entry_id: int):
        super().__init__(f"No audit entry {entry_id}.")


class RestoreRefused(ConstraintViolation):
    """This entry cannot be restored (a TRUNCATE, a table that is gone...)."""

    def __init__(self, message: str):
        super().__init__("entry_id", message)


class RestoreConflict(Conflict):
    """The row changed after the entry: restoring would overwrite newer values.
    `conflicts` lists them field by field (current vs. restored)."""

    def __init__(self, conflicts: list[dict]):
        super().__init__(
            "The row changed after this entry: restoring would overwrite newer values (force to overwrite them).",
            conflicts=conflicts,
        )
        self.conflicts = conflicts


REFUSALS = {"CT001", "CT002", "CT003"}


@dataclass
class RestoreOutcome:
    status: str  # restored | unchanged | conflict (only from preview)
    mode: str
    entry_id: int
    actions: list[dict] = field(default_factory=list)
    conflicts: list[dict] = field(default_factory=list)

    @property
    def changed_rows(self) -> int:
        return sum(1 for action in self.actions if action["action"] != "none")


def restore(
    session, actor: Actor, entry_id: int, mode: str, *, reason: str | None = None, force: bool = False
) -> RestoreOutcome:
    """Restore and commit (permission can_restore on the audit); RestoreConflict
    unless `force` when newer values would be overwritten."""
    require(actor, RESTORE, AUDIT, "Only an administrator restores from the audit.")
    outcome = _call(session, entry_id, mode, reason, force)
    if outcome.status == "conflict":
        session.rollback()
        raise RestoreConflict(outcome.conflicts)
    session.commit()
    return outcome


def preview(session, actor: Actor, entry_id: int, mode: str) -> RestoreOutcome:
    """What restore() would do, and the conflicts, without keeping anything:
    the function reports its actions even when a conflict makes it undo them."""
    require(actor, READ, AUDIT)
    try:
        return _call(session, entry_id, mode, None, False)
    finally:
        session.rollback()


def _call(session, entry_id: int, mode: str, reason: str | None, force: bool) -> RestoreOutcome:
    if mode not in MODES:
        raise RestoreRefused(f"Unknown restore mode {mode!r}: before, after or transaction.")
    try:
        result = session.execute(
            sa.text("SELECT audit_restore(:entry_id, :mode, :force, :reason)"),
            {"entry_id": entry_id, "mode": mode, "force": force, "reason": reason},
        ).scalar_one()
    except DBAPIError as exc:
        session.rollback()
        raise _explain(exc, entry_id) from exc
    return RestoreOutcome(
        status=result["status"],
        mode=result["mode"],
        entry_id=result["entry_id"],
        actions=[_without_derived(action, "changes") for action in result["actions"]],
        conflicts=[_without_derived(conflict, "fields") for conflict in result["conflicts"]],
    )


def _without_derived(item: dict, key: str) -> dict:
    """An action or conflict without the columns the database derives from
    others (patients.search_text): restored with their row, never a field
    of their own to show (app/audit/search.py DERIVED_COLUMNS)."""
    derived = DERIVED_COLUMNS.get(str(item.get("table", "")).removeprefix("public."), ())
    if not derived or not isinstance(item.get(key), dict):
        return item
    return {**item, key: {name: value for name, value in item[key].items() if name not in derived}}


def _explain(exc: DBAPIError, entry_id: int) -> Exception:
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None)
    if isinstance(orig, pg_errors.NoDataFound):
        return AuditEntryNotFound(entry_id)
    if sqlstate in REFUSALS:
        return RestoreRefused(orig.diag.message_primary)
    if isinstance(orig, pg_errors.InsufficientPrivilege):
        return RestoreRefused("Your database role may not change this table.")
    violation = violation_from_db_error(exc)
    if violation is not None:
        violation.message = f"Cannot restore: {violation.message}"
        return violation
    return DatabaseWriteFailed()
