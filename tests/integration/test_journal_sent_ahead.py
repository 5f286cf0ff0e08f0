"""The patient page's read is journaled while the page draws the record
(app/core/sent_ahead.py, app/security/journal.py's reads_journaled_by_the_end,
issue 22): the INSERT is sent before the page's own reads and its answer
read once the page is drawn, before it is shown.  A journal that cannot be
written still stops the page; a connection lost meanwhile is a 503, and
the pool is as good afterwards."""

import pytest
from sqlalchemy import event

import app.core.sent_ahead as sent_ahead
from app.core.errors import BadInput
from app.core.extensions import db
from tests.conftest import browser_login


@pytest.fixture
def patient(sql_conn) -> int:
    return sql_conn.execute(
        "INSERT INTO patients (last_name, first_name, birth_date, sex) VALUES ('Sentahead', 'Léa', '1990-01-01', 'F')"
        " RETURNING id"
    ).fetchone()[0]


@pytest.fixture
def secretary(app):
    browser = app.test_client()
    browser_login(browser, "secretary")
    return browser


def journaled(sql_conn, patient_id: int) -> int:
    return sql_conn.execute("SELECT count(*) FROM access_log WHERE patient_id = %s", [patient_id]).fetchone()[0]


def test_the_read_is_sent_before_the_pages_reads_and_answered_after(app, secretary, patient, monkeypatch, sql_conn):
    """In order: the journal's INSERT sent, the page's sections read (its
    one statement), the INSERT's answer read; then the page, journaled."""
    happened = []
    send, answer = sent_ahead.send_committed, sent_ahead.SentStatement.answer

    def sending(bind, sql, parameters):
        happened.append("journal sent" if sql.startswith("INSERT INTO access_log") else sql)
        return send(bind, sql, parameters)

    def answering(self):
        happened.append("journal answered")
        return answer(self)

    def statement(_conn, _cursor, sql, *_args):
        happened.append("sections read" if "json_agg" in sql else "other statement")

    monkeypatch.setattr("app.security.journal.send_committed", sending)
    monkeypatch.setattr(sent_ahead.SentStatement, "answer", answering)
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", statement)
    try:
        page = secretary.get(f"/patients/show/{patient}")
    finally:
        event.remove(engine, "before_cursor_execute", statement)
    assert page.status_code == 200 and "Sentahead" in page.text
    assert [step for step in happened if step != "other statement"] == [
        "journal sent",
        "sections read",
        "journal answered",
    ]
    assert happened.index("journal answered") == len(happened) - 1  # nothing read after it
    assert journaled(sql_conn, patient) == 1


def test_a_read_that_cannot_be_journaled_is_not_shown(app, secretary, patient, sql_conn):
    """The app's role loses the right to write the journal: the page is
    refused, none of the record shown; given back, the next page (on the
    pool's same connections) is shown and journaled."""
    sql_conn.execute("REVOKE INSERT ON access_log FROM caretrail_app")  # the app's login role holds it through this one
    refused = secretary.get(f"/patients/show/{patient}")
    assert refused.status_code >= 400, refused.status_code
    assert "Sentahead" not in refused.text and "Léa" not in refused.text
    assert journaled(sql_conn, patient) == 0
    sql_conn.execute("GRANT INSERT ON access_log TO caretrail_app")
    for _ in range(3):
        assert secretary.get(f"/patients/show/{patient}").status_code == 200
    assert journaled(sql_conn, patient) == 3


def test_a_server_lost_while_the_journal_is_on_its_way_is_a_503(app, secretary, patient, sql_conn):
    """The journal's connection is ended while its INSERT runs (a trigger
    of the test's ends its own backend): the page is a 503, nothing shown;
    that connection is not given back to the pool, and the next page is
    shown."""
    sql_conn.execute(
        "CREATE FUNCTION test_end_my_backend() RETURNS trigger LANGUAGE plpgsql AS"
        " $$BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; END$$"
    )
    sql_conn.execute(
        "CREATE TRIGGER test_end_my_backend BEFORE INSERT ON access_log"
        " FOR EACH ROW EXECUTE FUNCTION test_end_my_backend()"
    )
    lost = secretary.get(f"/patients/show/{patient}")
    assert lost.status_code == 503, lost.status_code
    assert "Sentahead" not in lost.text
    sql_conn.execute("DROP TRIGGER test_end_my_backend ON access_log")
    assert secretary.get(f"/patients/show/{patient}").status_code == 200
    assert journaled(sql_conn, patient) == 1


def test_text_with_a_nul_is_refused_before_anything_is_sent(app):
    """libpq reads a text parameter up to its first NUL: such a value would
    be cut short, so it is refused (nothing sent), as psycopg refuses it."""
    with app.app_context(), pytest.raises(BadInput):
        sent_ahead.send_committed(db.engine, "SELECT $1::text", ["before\x00after"])
    with app.app_context():
        sent = sent_ahead.send_committed(db.engine, "SELECT $1::text, $2::integer", ["plain", 7])
        sent.answer()
