"""A statement sent now, committed as it runs, its answer read later.

committed_as_run() (app/core/extensions.py) writes one statement on a
connection of its own and waits for the answer.  Where a page must write
before it is shown but need not wait to go on drawing it (the journal of
reads on a patient's page, issue 22), `send_committed()` sends the statement
and returns at once; the page reads its sections and draws itself while
PostgreSQL inserts and commits, and `answer()` then reads the outcome
(0.4 ms of the patient page's 5.2 was that wait).  Whoever sends must read
the answer before the page leaves: a write that failed stops the page
there, as it would have before.

The statement goes to libpq as it is, with its parameters as text
(`$1::integer`...): psycopg's own execute would wait for the answer.  The
connection is the pool's, in autocommit as committed_as_run() takes it,
and goes back to the pool once the answer is read (or is dropped when the
server was lost meanwhile).
"""

import select
from collections.abc import Sequence
from typing import NoReturn

import psycopg
from psycopg import pq
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine

from app.core.errors import BadInput


class SentStatement:
    """A statement on its way: `answer()` waits for its outcome (once)."""

    def __init__(self, connection: Connection, sql: str):
        self._connection = connection
        self._sql = sql
        self._pgconn = connection.connection.dbapi_connection.pgconn
        self._answered = False

    def answer(self) -> None:
        """Wait for the statement's outcome; a DBAPIError if it failed (the
        connection invalidated if the server was lost)."""
        if self._answered:
            return
        self._answered = True
        try:
            results = _results(self._pgconn)
        except BaseException as failed:
            _drop(self._connection, self._sql, failed)
        encoding = self._connection.connection.dbapi_connection.info.encoding
        if self._pgconn.status != pq.ConnStatus.OK:  # the server ended it as it answered (a restart, a terminate)
            self._connection.invalidate()
        self._connection.close()  # back to the pool: idle, its statement committed or rolled back
        for result in results:
            if result.status == pq.ExecStatus.FATAL_ERROR:
                failed = psycopg.errors.error_from_result(result, encoding=encoding)
                raise sa_exc.DBAPIError.instance(self._sql, None, failed, psycopg.Error)


def send_committed(bind: Engine, sql: str, parameters: Sequence) -> SentStatement:
    """Send `sql` ($1, $2... for `parameters`: None, whole numbers, text) on
    a connection of its own, committed as it runs, without waiting."""
    values = [_as_text(position, value) for position, value in enumerate(parameters, start=1)]
    connection = bind.connect().execution_options(isolation_level="AUTOCOMMIT")
    pgconn = connection.connection.dbapi_connection.pgconn
    try:
        pgconn.send_query_params(sql.encode(), values)
        while pgconn.flush():  # a non-blocking connection: what is left goes once the socket takes it
            _wait(pgconn, select.POLLOUT)
    except BaseException as failed:
        _drop(connection, sql, failed)
    return SentStatement(connection, sql)


def _drop(connection: Connection, sql: str, failed: BaseException) -> NoReturn:
    """A connection left half sent or half answered, or whose server was
    lost, is never given back to the pool; a lost server is SQLAlchemy's
    error for it (the app answers 503), anything else is raised as it is."""
    connection.invalidate(failed if isinstance(failed, Exception) else None)
    connection.close()
    if isinstance(failed, psycopg.OperationalError):
        raise sa_exc.DBAPIError.instance(sql, None, failed, psycopg.Error, connection_invalidated=True) from failed
    raise failed


def _as_text(position: int, value) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"parameter ${position}: {type(value).__name__} is not sent as text here")
    text = str(value)
    if "\x00" in text:  # libpq reads a text parameter up to its first NUL: it would be cut short
        raise BadInput("A NUL character is not allowed.")
    return text.encode()


def _results(pgconn: pq.PGconn) -> list:
    """Every result of the statement sent, waiting for the socket as needed."""
    results = []
    while True:
        while pgconn.is_busy():
            _wait(pgconn, select.POLLIN)
            pgconn.consume_input()
        result = pgconn.get_result()
        if result is None:
            return results
        results.append(result)


def _wait(pgconn: pq.PGconn, event: int) -> None:
    waiting = select.poll()
    waiting.register(pgconn.socket, event)
    waiting.poll()
