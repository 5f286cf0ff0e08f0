"""Restore from the audit: a row's earlier (or later) version, a deleted row,
or a whole transaction undone, through audit_restore() in the database
(triggers/audit_restore.sql), so that psql users get exactly the same rules.

The restore runs as the signed-in user, in one transaction: it is audited
like any change (reason 'restore of audit entry N' unless the user gave one),
and a conflict or a refused constraint leaves nothing half-restored.
"""

from dataclasses import dataclass, field

import sqlalchemy as sa
from psycopg import errors as pg_errors
from sqlalchemy.exc import DBAPIError

from app.core.db_errors import violation_from_db_error
from app.core.errors import AuditEntryNotFound, DatabaseWriteFailed, RestoreConflict, RestoreRefused
from app.core.extensions import db

MODES = ("before", "after", "transaction")
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


def restore(entry_id: int, mode: str, *, reason: str | None = None, force: bool = False) -> RestoreOutcome:
    """Restore and commit; RestoreConflict unless `force` when newer values would be overwritten."""
    outcome = _call(entry_id, mode, reason, force)
    if outcome.status == "conflict":
        db.session.rollback()
        raise RestoreConflict(outcome.conflicts)
    db.session.commit()
    return outcome


def preview(entry_id: int, mode: str) -> RestoreOutcome:
    """What restore() would do, and the conflicts, without keeping anything:
    the function reports its actions even when a conflict makes it undo them."""
    try:
        return _call(entry_id, mode, None, False)
    finally:
        db.session.rollback()


def _call(entry_id: int, mode: str, reason: str | None, force: bool) -> RestoreOutcome:
    if mode not in MODES:
        raise RestoreRefused(f"Unknown restore mode {mode!r}: before, after or transaction.")
    try:
        result = db.session.execute(
            sa.text("SELECT audit_restore(:entry_id, :mode, :force, :reason)"),
            {"entry_id": entry_id, "mode": mode, "force": force, "reason": reason},
        ).scalar_one()
    except DBAPIError as exc:
        db.session.rollback()
        raise _explain(exc, entry_id) from exc
    return RestoreOutcome(
        status=result["status"],
        mode=result["mode"],
        entry_id=result["entry_id"],
        actions=result["actions"],
        conflicts=result["conflicts"],
    )


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
