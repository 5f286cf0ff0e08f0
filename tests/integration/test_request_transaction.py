"""A request's transaction ends rolled back, as it always did, and the
connection keeps the statements psycopg prepared (its own rollback makes it
forget them): app/core/request_transaction.py."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.core.extensions import db
from app.core.request_transaction import end_request_transaction
from tests.agenda import make_patient

PREPARED = text("SELECT count(*) FROM pg_prepared_statements")
ADD_PATIENT = (
    "INSERT INTO patients (last_name, first_name, birth_date, sex) VALUES ('Uncommitted', 'A', '1990-01-01', 'F')"
)


@pytest.fixture
def connection(app):
    """One connection of the app's pool, a session on it and the statements it keeps."""
    with app.app_context(), db.engine.connect() as connection:
        yield connection


def read_six_times(session: Session) -> None:
    """psycopg prepares a statement at its fifth run on a connection."""
    for _ in range(6):
        session.execute(text("SELECT count(*) FROM patients WHERE id > :id"), {"id": 0})


def test_a_transaction_ends_rolled_back_and_its_statements_stay_prepared(connection):
    session = Session(bind=connection)
    read_six_times(session)
    end_request_transaction(session)
    session.close()
    assert connection.execute(PREPARED).scalar_one() >= 1


def test_psycopgs_own_rollback_forgets_them(connection):
    """Why: what every request did before."""
    session = Session(bind=connection)
    read_six_times(session)
    session.close()
    assert connection.execute(PREPARED).scalar_one() == 0


@pytest.mark.parametrize(
    "write",
    [
        ADD_PATIENT,
        # A SELECT that writes: only PostgreSQL knows the transaction wrote.
        f"WITH added AS ({ADD_PATIENT} RETURNING id) SELECT id FROM added",
    ],
    ids=["insert", "select that writes"],
)
def test_a_write_left_uncommitted_is_still_rolled_back(connection, sql_conn, write):
    session = Session(bind=connection)
    session.execute(text(write))
    read_six_times(session)
    end_request_transaction(session)
    session.close()
    assert sql_conn.execute("SELECT count(*) FROM patients WHERE last_name = 'Uncommitted'").fetchone()[0] == 0


def test_an_object_added_but_never_flushed_is_dropped(connection, sql_conn):
    from app.records.models import Patient

    session = Session(bind=connection, autoflush=False)
    session.execute(text("SELECT 1"))
    session.add(Patient(last_name="Uncommitted", first_name="B", birth_date="1990-01-01", sex="F"))
    end_request_transaction(session)
    session.close()
    assert sql_conn.execute("SELECT count(*) FROM patients WHERE last_name = 'Uncommitted'").fetchone()[0] == 0


def test_a_transaction_failed_by_an_error_ends_without_another(connection):
    session = Session(bind=connection)
    with pytest.raises(DBAPIError):
        session.execute(text("SELECT 1 / 0"))
    end_request_transaction(session)
    session.close()  # no "current transaction is aborted"
    assert connection.execute(text("SELECT 1")).scalar_one() == 1


def test_a_savepoint_left_open_is_left_to_the_session(connection, sql_conn):
    session = Session(bind=connection)
    session.begin_nested()
    session.execute(text(ADD_PATIENT))
    end_request_transaction(session)
    session.close()  # no "savepoint does not exist"
    assert sql_conn.execute("SELECT count(*) FROM patients WHERE last_name = 'Uncommitted'").fetchone()[0] == 0


def test_pages_read_one_after_another_keep_their_prepared_statements(app, client, login, sql_conn):
    """Through the screens: the pool's connections, after a dozen lists,
    still hold the statements psycopg prepared (every page's rollback made
    psycopg forget them)."""
    make_patient(sql_conn, "Prepared", "Kept")
    login("secretary")
    for _ in range(12):  # the pool hands its connections out in turn: each runs the list five times
        assert client.get("/patients/list/").status_code == 200
    with app.app_context():
        pooled = db.engine.pool.checkedin()
        connections = [db.engine.connect() for _ in range(pooled)]
        try:
            kept = [
                connection.execute(
                    text("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%FROM patients%'")
                ).scalar_one()
                for connection in connections
            ]
        finally:
            for connection in connections:
                connection.close()
    assert max(kept) >= 1, kept


def test_a_page_that_journals_its_read_still_journals_it(app, client, login, sql_conn):
    """The journal of reads commits on its own connection, whatever becomes
    of the page's transaction: the read is there once."""
    patient_id = make_patient(sql_conn, "Journal", "Once")
    login("doctor")
    assert client.get(f"/patients/show/{patient_id}").status_code == 200
    reads = sql_conn.execute(
        "SELECT count(*) FROM access_log WHERE patient_id = %s AND action = 'view'", [patient_id]
    ).fetchone()[0]
    assert reads == 1
