"""How a request's transaction ends: rolled back, its prepared statements kept.

The views commit what they write; whatever is left open when a request is
over is rolled back, as it always was.  But psycopg forgets a connection's
prepared statements at every `rollback()`, in case the transaction created
what they refer to (a type, a table) and the rollback dropped it.  So no
connection ever kept one: every page's statements were parsed and planned
again (the patient page waited 5.1 ms on PostgreSQL, 2.1 once its
statements were kept, at 500,000 patients).

The request's transaction is rolled back by a plain ROLLBACK on the libpq
connection instead: psycopg, finding the connection idle, has nothing left
to roll back and keeps its statements (PostgreSQL keeps them through a
rollback).  What psycopg guards against cannot happen here: the
application's role may change no schema, so no request's transaction
creates what a statement refers to.
"""

from psycopg import pq
from sqlalchemy import event
from sqlalchemy.orm import Session

TRANSACTION_CONNECTION = "caretrail_transaction_connection"
_OPEN = (pq.TransactionStatus.INTRANS, pq.TransactionStatus.INERROR)


def install_transaction_tracking() -> None:
    """Once per process: every session notes the connection its transaction
    runs on (end_request_transaction() ends it, and never opens one)."""
    if not event.contains(Session, "after_begin", _note_connection):
        event.listen(Session, "after_begin", _note_connection)


def _note_connection(session: Session, _transaction, connection) -> None:
    session.info[TRANSACTION_CONNECTION] = connection


def end_request_transaction(session: Session) -> None:
    """Roll back the session's open transaction, psycopg's prepared
    statements kept; closing the session then finds nothing to roll back.
    A connection in any doubtful state is left to that close (psycopg's own
    rollback, or SQLAlchemy's handling of a lost connection)."""
    connection = session.info.pop(TRANSACTION_CONNECTION, None)
    if connection is None or connection.closed or connection.invalidated:
        return
    if session.get_nested_transaction() is not None:
        return  # a savepoint left open: SQLAlchemy rolls back to it first
    pgconn = connection.connection.dbapi_connection.pgconn
    if pgconn.status != pq.ConnStatus.OK or pgconn.transaction_status not in _OPEN:
        return
    pgconn.exec_(b"ROLLBACK")
