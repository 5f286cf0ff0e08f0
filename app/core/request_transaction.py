"""How a request's connection is checked, and how its transaction ends
(rolled back, its prepared statements kept).

Checked without a round trip.  The pool checks a connection it hands out
again (pool_pre_ping, config.py): SQLAlchemy's ping sends an empty
statement and waits for the answer, on every request (0.3-0.7 ms of each
page at 500,000 patients).  A server only ever writes to an idle
connection to end it (a restart, a terminated backend, an idle timeout:
an error, then the end of the stream) or to deliver a notification.  So a
connection back in the pool for less than PING_AFTER_IDLE is checked by
asking the kernel whether anything came: nothing, it is as the last
request left it.  Something came, or it was idle longer (a firewall may
have dropped it without a word meanwhile), SQLAlchemy's ping asks the
server, and the pool replaces a connection found ended.  Under load,
connections go back and forth within milliseconds and are never pinged;
pgx's pool (Go) checks its connections the same way.

Ended by a rollback.  The views commit what they write; whatever is left
open when a request is over is rolled back, as it always was.  But psycopg
forgets a connection's prepared statements at every `rollback()`, in case
the transaction created what they refer to (a type, a table) and the
rollback dropped it.  So no connection ever kept one: every page's
statements were parsed and planned again (the patient page waited 5.1 ms
on PostgreSQL, 2.1 once its statements were kept, at 500,000 patients).

The request's transaction is rolled back by a plain ROLLBACK on the libpq
connection instead: psycopg, finding the connection idle, has nothing left
to roll back and keeps its statements (PostgreSQL keeps them through a
rollback).  What psycopg guards against cannot happen here: the
application's role may change no schema, so no request's transaction
creates what a statement refers to.
"""

import select
import time

from psycopg import pq
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

TRANSACTION_CONNECTION = "caretrail_transaction_connection"
# A connection idle in the pool longer than this (seconds) is pinged by a
# round trip to the server; pgx's pool uses the same second.
PING_AFTER_IDLE = 1.0
# Where a psycopg connection keeps the moment it went back to the pool.
RETURNED_AT = "caretrail_returned_at"
_OPEN = (pq.TransactionStatus.INTRANS, pq.TransactionStatus.INERROR)


def ping_without_round_trip(engine: Engine) -> None:
    """Once per engine: its pool's ping at checkout asks the kernel, and
    the server only when the kernel cannot tell."""
    dialect = engine.dialect
    if getattr(dialect.do_ping, "asks_the_kernel_first", False):
        return
    server_ping = dialect.do_ping

    def do_ping(dbapi_connection) -> bool:
        pgconn = dbapi_connection.pgconn
        if pgconn.status != pq.ConnStatus.OK:
            return False
        idle_since = getattr(dbapi_connection, RETURNED_AT, None)
        if idle_since is not None and time.monotonic() - idle_since < PING_AFTER_IDLE:
            waiting = select.poll()
            waiting.register(pgconn.socket, select.POLLIN)
            if not waiting.poll(0):
                return True
        return server_ping(dbapi_connection)

    do_ping.asks_the_kernel_first = True
    dialect.do_ping = do_ping
    event.listen(engine, "checkin", _note_return)


def _note_return(dbapi_connection, _record) -> None:
    if dbapi_connection is not None:  # None: the connection was invalidated
        setattr(dbapi_connection, RETURNED_AT, time.monotonic())


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
