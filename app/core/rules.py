"""What every domain's rules share: the commit that explains a refusal, and
the rules of a record written through a generated screen or API.

A domain's rules are functions `(session, actor, ...)`: they refuse what
the actor may not do, write, and commit through `commit()` here, which
turns what the database refuses into a ConstraintViolation on the field to
blame (or DatabaseWriteFailed when the database itself failed).  Doors call
them and never commit, roll back or check a permission themselves.
"""

import contextlib
import logging
from collections.abc import Callable

from sqlalchemy.exc import SQLAlchemyError

from app.core.actor import Actor
from app.core.db_context import audit_reason, clean_reason
from app.core.db_errors import violation_from_db_error
from app.core.errors import CareTrailError, DatabaseUnreachable, DatabaseWriteFailed
from app.core.versions import check_version
from app.security.policy import DELETE, WRITE, require

log = logging.getLogger(__name__)


def commit(session, explain: Callable[[SQLAlchemyError], CareTrailError | None] | None = None) -> None:
    """Commit; on a refusal roll back and raise what it means in plain words
    (`explain` first, for a domain that knows better, then the constraint
    messages).  Nothing of a refused write is kept."""
    try:
        session.commit()
    except SQLAlchemyError as exc:
        session.rollback()
        raise refusal_of(exc, explain) from exc


def refusal_of(exc: SQLAlchemyError, explain=None) -> CareTrailError:
    """The CareTrailError behind a failed write (call it after the rollback)."""
    refusal = explain(exc) if explain else None
    if refusal is None:
        refusal = violation_from_db_error(exc)
    if refusal is None:
        from app.core.answers import error_from_exception

        if isinstance(error_from_exception(exc), DatabaseUnreachable):
            return DatabaseUnreachable()
        # The error names the exception's type only: its text may quote the row.
        log.error("database write failed: %s", type(getattr(exc, "orig", exc)).__name__)
        return DatabaseWriteFailed()
    return refusal


def run_and_commit(session, change: Callable[[], object], explain=None):
    """change(), then commit; a refusal raised by change() or at flush rolls
    everything back."""
    try:
        result = change()
        session.flush()
    except SQLAlchemyError as exc:
        session.rollback()
        raise refusal_of(exc, explain) from exc
    except Exception:
        session.rollback()
        raise
    commit(session, explain)
    return result


class RecordRules:
    """How a record written through a generated screen or API (FAB's add,
    edit and delete) obeys its domain: the role matrix's permission on
    `resource`, the domain's own check (`check`, a hook to override), the
    version the user opened (optimistic locking), and one commit."""

    def __init__(self, resource: str):
        self.resource = resource

    def check(self, session, actor: Actor, item, *, deleting: bool = False) -> None:
        """The domain's own refusals for this record (nothing by default)."""

    def save(self, session, actor: Actor, item) -> None:
        """A new record, or one FAB has already changed (its REST PUT, which
        checked If-Match before touching it)."""
        require(actor, WRITE, self.resource)
        with session.no_autoflush:
            self.check(session, actor, item)
        session.add(item)
        run_and_commit(session, lambda: item)

    def update(self, session, actor: Actor, item, values: dict, expected_version: int | None = None) -> None:
        """Apply a form's `values` to `item`, unless it changed since the
        user opened it at `expected_version` (StaleRecord: who, when, what)."""
        require(actor, WRITE, self.resource)
        with session.no_autoflush:
            check_version(session, item, expected_version, values)
            for name, value in values.items():
                setattr(item, name, value)
            self.check(session, actor, item)
        run_and_commit(session, lambda: item)

    def delete(self, session, actor: Actor, item, *, reason: str | None = None, expected_version=None) -> None:
        require(actor, DELETE, self.resource)
        reason = clean_reason(reason)  # over 500 characters: refused here, whichever door typed it
        check_version(session, item, expected_version)
        self.check(session, actor, item, deleting=True)
        # Without a reason of its own, the caller's (an API's X-Audit-Reason) stands.
        with audit_reason(reason) if reason else contextlib.nullcontext():
            run_and_commit(session, lambda: session.delete(item))
