"""The pool's ping at checkout (app/core/request_transaction.py): a
connection back from a request is handed out again without a round trip to
PostgreSQL, one the server ended is replaced, and one idle for a while, or
with something to read, is asked by a real round trip.

What each connection sends is read from libpq's own trace of the protocol
(PQtrace), on the real app's engine and a real server."""

import tempfile
import time
from contextlib import contextmanager

import psycopg
import sqlalchemy as sa

from app.core import request_transaction
from app.core.extensions import db

TRACE_FLAGS = psycopg.pq.Trace.SUPPRESS_TIMESTAMPS | psycopg.pq.Trace.REGRESS_MODE


def only_connection(app):
    """The app's engine, its pool emptied, and its one connection, back in
    the pool (so the next checkout is pinged, as every request's is)."""
    with app.app_context():
        engine = db.engine
    engine.dispose()
    with engine.connect() as connection:
        connection.execute(sa.text("SELECT 1"))
        dbapi_connection = connection.connection.dbapi_connection
    return engine, dbapi_connection


@contextmanager
def sent_by(dbapi_connection):
    """The messages the connection sends to the server in the block (Query,
    Parse, Sync...: each Query and each Sync waits for the server)."""
    sent = []
    with tempfile.NamedTemporaryFile("r") as trace:
        dbapi_connection.pgconn.trace(trace.fileno())
        dbapi_connection.pgconn.set_trace_flags(TRACE_FLAGS)
        try:
            yield sent
        finally:
            dbapi_connection.pgconn.untrace()
            with open(trace.name) as written:  # libpq wrote through the same descriptor: read from the start
                sent.extend(line.split("\t")[2:4] for line in written.read().splitlines() if line.startswith("F\t"))


def statement_after_checkout(engine) -> tuple[int, object]:
    with engine.connect() as connection:
        pid = connection.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        return pid, connection.connection.dbapi_connection


def test_a_connection_back_from_a_request_is_handed_out_without_a_round_trip(app):
    engine, dbapi_connection = only_connection(app)
    with sent_by(dbapi_connection) as sent:
        statement_after_checkout(engine)
    # psycopg's BEGIN, the statement, the rollback on return: no ping.
    waits = [text for message, text in sent if message in ("Query", "Sync")]
    assert len(waits) == 3, sent
    assert waits[0].startswith(' "BEGIN') and "pg_backend_pid" in waits[1] and waits[2] == ' "ROLLBACK"'


def test_a_connection_idle_longer_is_asked_by_a_round_trip(app, monkeypatch):
    engine, dbapi_connection = only_connection(app)
    monkeypatch.setattr(request_transaction, "PING_AFTER_IDLE", 0.05)
    time.sleep(0.1)
    with sent_by(dbapi_connection) as sent:
        statement_after_checkout(engine)
    assert sent[0] == ["Query", ' ";"'], sent  # SQLAlchemy's ping, before psycopg's BEGIN


def test_a_connection_with_a_notification_waiting_is_asked_and_kept(app, sql_conn):
    engine, dbapi_connection = only_connection(app)
    with engine.connect() as connection:
        pid = connection.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        connection.exec_driver_sql("LISTEN caretrail_ping_test")
        connection.commit()
    sql_conn.execute("NOTIFY caretrail_ping_test")
    time.sleep(0.2)  # the notification reaches the idle connection's socket
    with sent_by(dbapi_connection) as sent:
        again, handed_out = statement_after_checkout(engine)
    assert sent[0] == ["Query", ' ";"'], sent
    assert (again, handed_out) == (pid, dbapi_connection)


def test_a_connection_the_server_ended_is_replaced_and_the_page_answers(app, client, login, sql_conn):
    login("secretary")
    assert client.get("/patients/list/").status_code == 200
    pooled = [
        pid
        for (pid,) in sql_conn.execute(
            "SELECT pid FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
    ]
    assert pooled
    # pg_terminate_backend(pid, timeout) waits until each backend is gone
    # (its last word, and the end of its stream, sent to the app's socket).
    sql_conn.execute("SELECT pg_terminate_backend(pid, 5000) FROM unnest(%s::int[]) AS pid", [pooled])
    assert client.get("/patients/list/").status_code == 200
