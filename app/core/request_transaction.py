"""How a request's transaction ends when the request is over.

The views commit what they write; whatever is left open at the end of a
request used to be rolled back.  A rollback costs as much as a commit, but
psycopg forgets its prepared statements at every rollback (a rolled-back
transaction may have dropped what they refer to), so a connection never
kept one: every page's statements were parsed and planned again, 1 to 2 ms
of the patient page's 5 ms in PostgreSQL at 500,000 patients.

So a transaction that wrote nothing is committed, which changes nothing
and keeps them.  Whether it wrote is PostgreSQL's answer, not a guess from
the statements sent: a write (through a function as well) gives the
transaction an id.  A transaction that wrote and was not committed by its
view is still rolled back, as is any after an error.
"""

from psycopg.pq import TransactionStatus
from sqlalchemy import event, text
from sqlalchemy.orm import Session

TRANSACTION_CONNECTION = "caretrail_transaction_connection"
_WROTE_NOTHING = text("SELECT pg_current_xact_id_if_assigned() IS NULL")


def install_transaction_tracking() -> None:
    """Once per process: every session notes the connection its transaction
    runs on (end_request_transaction() asks it, and never opens one)."""
    if not event.contains(Session, "after_begin", _note_connection):
        event.listen(Session, "after_begin", _note_connection)


def _note_connection(session: Session, _transaction, connection) -> None:
    session.info[TRANSACTION_CONNECTION] = connection


def end_request_transaction(session: Session, failed: bool) -> None:
    """Commit the session's open transaction if it wrote nothing; leave any
    other to the rollback that closing the session does."""
    connection = session.info.pop(TRANSACTION_CONNECTION, None)
    if failed or connection is None or connection.invalidated or connection.closed or not session.in_transaction():
        return
    if session.new or session.dirty or session.deleted:
        return  # changes never flushed: they are dropped, as before
    if connection.connection.dbapi_connection.info.transaction_status != TransactionStatus.INTRANS:
        return  # idle (nothing was run) or failed: the rollback is right
    if session.execute(_WROTE_NOTHING).scalar_one():
        session.commit()
