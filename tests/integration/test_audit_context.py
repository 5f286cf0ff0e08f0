"""Who acts reaches the audit as one setting (caretrail.context, migration
0085): whatever its characters, believed only from the application's role,
and a session may still set the settings one by one."""

import psycopg
import pytest
from psycopg import errors
from sqlalchemy import event, text

from app.core.actor import Actor, acting_as
from app.core.db_context import context_record
from app.core.extensions import db

TRICKY = "a \"quoted\", (parenthesised) back\\slash; é — 100% 'single'"


def last_patient_entry(sql_conn):
    return sql_conn.execute(
        "SELECT app_user_id, app_username, reason, on_behalf_of, claimed_user, request_id, client_addr"
        " FROM audit_log WHERE table_name = 'public.patients' ORDER BY id DESC LIMIT 1"
    ).fetchone()


def test_context_record_is_what_record_in_reads(sql_conn):
    values = {"user_id": "7", "username": TRICKY, "request_id": "", "client_addr": "192.0.2.1", "reason": TRICKY}
    row = sql_conn.execute(
        "SELECT (r).user_id, (r).username, (r).request_id, (r).client_addr, (r).reason, (r).on_behalf_of"
        " FROM (SELECT %s::public.audit_context AS r) AS s",
        [context_record(values)],
    ).fetchone()
    assert row == ("7", TRICKY, None, "192.0.2.1", TRICKY, None)


def test_the_applications_context_reaches_the_audit_intact(app, sql_conn):
    from app.core.db_context import audit_reason

    with app.app_context(), acting_as(Actor("secretary", 42, on_behalf_of=TRICKY)), audit_reason(TRICKY):
        db.session.execute(
            text("INSERT INTO patients (last_name, first_name, birth_date, sex) VALUES ('Ctx', 'A', '1990-01-01', 'F')")
        )
        db.session.commit()
    assert last_patient_entry(sql_conn)[:5] == (42, "secretary", TRICKY, TRICKY, None)


@pytest.fixture
def dba(postgres_server, database_name, sql_conn):
    """A login that is neither the application's role nor the owner."""
    sql_conn.execute("DROP ROLE IF EXISTS caretrail_test_dba")
    sql_conn.execute("CREATE ROLE caretrail_test_dba LOGIN PASSWORD 'dba-pass'")
    sql_conn.execute("GRANT INSERT ON patients TO caretrail_test_dba")
    sql_conn.execute("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO caretrail_test_dba")
    conninfo = postgres_server.conninfo(database_name)
    try:
        with psycopg.connect(conninfo, user="caretrail_test_dba", password="dba-pass", autocommit=True) as conn:
            yield conn
    finally:
        sql_conn.execute("DROP OWNED BY caretrail_test_dba")
        sql_conn.execute("DROP ROLE caretrail_test_dba")


INSERT = "INSERT INTO patients (last_name, first_name, birth_date, sex) VALUES ('Dba', 'B', '2000-01-01', 'F')"


def test_another_roles_context_is_not_believed(dba, sql_conn):
    values = {"user_id": "1", "username": "admin", "request_id": "req-forged", "client_addr": "10.9.9.9"}
    dba.execute("SELECT set_config('caretrail.context', %s, false)", [context_record(values)])
    dba.execute(INSERT)
    user_id, username, _, on_behalf_of, claimed, request_id, client_addr = last_patient_entry(sql_conn)
    assert (user_id, username, on_behalf_of, request_id) == (None, None, None, None)
    assert claimed == "admin (id 1)"
    assert str(client_addr) != "10.9.9.9"


def test_another_roles_malformed_context_makes_its_write_fail(dba, sql_conn):
    (before,) = sql_conn.execute("SELECT count(*) FROM audit_log").fetchone()
    dba.execute("SET caretrail.context = 'not a record'")
    with pytest.raises(errors.InvalidTextRepresentation):
        dba.execute(INSERT)
    assert sql_conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == before
    assert sql_conn.execute("SELECT count(*) FROM patients WHERE last_name = 'Dba'").fetchone()[0] == 0


def test_the_settings_one_by_one_are_still_read(sql_conn):
    """psql and scripts (the schema owner here) set them one at a time."""
    sql_conn.execute("SELECT set_config('caretrail.username', 'doctor', false)")
    sql_conn.execute("SELECT set_config('caretrail.reason', 'by hand', false)")
    sql_conn.execute("SELECT set_config('caretrail.on_behalf_of', 'admin', false)")
    try:
        sql_conn.execute(INSERT)
        assert last_patient_entry(sql_conn)[1:5] == ("doctor", "by hand", "admin", None)
    finally:
        for name in ("username", "reason", "on_behalf_of"):
            sql_conn.execute(f"RESET caretrail.{name}")


def test_a_signed_in_page_stamps_its_transaction_once_and_its_writes_carry_the_user(app, client, login, sql_conn):
    """The transaction the user's loading opens is stamped once, with the
    user (not also when it begins, without), by the statement that loads
    them, and a write in it names the user and the request."""
    login("secretary")
    statements = []
    with app.app_context():
        engine = db.engine
    record = lambda _c, _cur, statement, *_a: statements.append(statement)  # noqa: E731
    event.listen(engine, "before_cursor_execute", record)
    try:
        page = client.get("/patients/list/").get_data(as_text=True)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert sum("set_config('caretrail.context'" in s for s in statements) == 1
    # in the one statement that reads the user and their session (issue 22: three round trips were one each)
    (loading,) = [s for s in statements if "user_sessions" in s or "FROM ab_user" in s]
    assert "set_config('caretrail.context'" in loading and "user_sessions" in loading
    token = page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    headers = {"X-CSRFToken": token, "X-Request-ID": "page-stamped-once-1"}
    assert client.post("/preferences/theme", data={"theme": "dark"}, headers=headers).status_code == 200
    written = sql_conn.execute(
        "SELECT app_username, request_id FROM audit_log WHERE table_name = 'public.user_preferences'"
        " ORDER BY id DESC LIMIT 1"
    ).fetchone()
    assert written == ("secretary", "page-stamped-once-1")


def context_held() -> tuple:
    """The audit context the request's transaction holds, as PostgreSQL reads
    it: (user_id, username, request_id, client_addr, reason, on_behalf_of);
    the transaction is then rolled back."""
    row = db.session.execute(
        text(
            "SELECT (c).user_id, (c).username, (c).request_id, (c).client_addr, (c).reason, (c).on_behalf_of"
            " FROM (SELECT current_setting('caretrail.context')::public.audit_context AS c) AS s"
        )
    ).one()
    db.session.rollback()
    return tuple(row)


def transaction_context(app, client, request_id: str = "ctx-request-0001"):
    """The audit context of the transaction in which a request with the
    client's cookie loads its user, as PostgreSQL reads it: (user_id,
    username, request_id, client_addr, reason, on_behalf_of)."""
    cookie = client.get_cookie("session").value
    headers = {"Cookie": f"session={cookie}", "X-Request-ID": request_id}
    with app.test_request_context("/patients/list/", headers=headers, environ_base={"REMOTE_ADDR": "192.0.2.9"}):
        app.preprocess_request()  # the request's id, as a request gets it
        from flask_login import current_user

        signed_in = current_user.is_authenticated
        row = context_held()
    return signed_in, row


def test_the_statement_that_loads_the_user_stamps_the_transaction_with_them(app, client, login, sql_conn):
    """The user, their session and the audit's context come in one statement
    (issue 22): the context it sets is the user's, with the request's id and
    address, before any other statement of the request."""
    login("secretary")
    user_id = sql_conn.execute("SELECT id FROM ab_user WHERE username = 'secretary'").fetchone()[0]
    assert transaction_context(app, client) == (
        True,
        (str(user_id), "secretary", "ctx-request-0001", "192.0.2.9", None, None),
    )


def test_a_request_whose_session_is_over_is_stamped_as_nobodys(app, client, login, sql_conn):
    """The session is read with the user: one that has ended, or gone idle,
    leaves the transaction without the user, though the user was read."""
    login("secretary")
    sql_conn.execute("UPDATE user_sessions SET ended_at = now(), ended_reason = 'revoked' WHERE ended_at IS NULL")
    assert transaction_context(app, client) == (False, (None, None, "ctx-request-0001", "192.0.2.9", None, None))

    login("nurse")
    sql_conn.execute("UPDATE user_sessions SET last_seen_at = now() - interval '2 hours' WHERE ended_at IS NULL")
    assert transaction_context(app, client) == (False, (None, None, "ctx-request-0001", "192.0.2.9", None, None))
    assert sql_conn.execute("SELECT count(*) FROM user_sessions WHERE ended_reason = 'idle'").fetchone()[0] == 1


def test_an_inactive_users_request_is_stamped_as_nobodys(app, client, login, sql_conn):
    login("secretary")
    sql_conn.execute("UPDATE ab_user SET active = false WHERE username = 'secretary'")
    assert transaction_context(app, client)[1][:2] == (None, None)


def test_a_stamp_rolled_back_with_its_savepoint_is_set_again(app, sql_conn):
    """The context is not set twice the same on one transaction, but a
    savepoint rolled back takes its set_config with it: the next write
    must not go out with the context from before the savepoint."""
    from app.core.db_context import audit_reason, stamp_transaction

    with app.test_request_context("/"), acting_as(Actor("secretary", 42)):
        db.session.execute(text("SELECT 1"))  # the transaction begins, stamped without a reason
        with audit_reason("merged by hand"):
            savepoint = db.session.begin_nested()
            stamp_transaction()
            savepoint.rollback()
            stamp_transaction()
            db.session.execute(
                text(
                    "INSERT INTO patients (last_name, first_name, birth_date, sex)"
                    " VALUES ('Sp', 'A', '1990-01-01', 'F')"
                )
            )
        db.session.commit()
    assert last_patient_entry(sql_conn)[1:3] == ("secretary", "merged by hand")


def token_request_context(app, headers: dict, statements: list | None = None):
    """The audit context of the transaction in which an API request with
    these headers checks its token and loads its user (as in
    transaction_context), and whether a user was loaded."""
    from flask_jwt_extended import verify_jwt_in_request
    from flask_jwt_extended.exceptions import UserLookupError

    statements = [] if statements is None else statements
    with app.app_context():
        engine = db.engine
    record = lambda _c, _cur, statement, *_a: statements.append(statement)  # noqa: E731
    with app.test_request_context("/api/v1/patients/", headers=headers, environ_base={"REMOTE_ADDR": "192.0.2.7"}):
        app.preprocess_request()
        event.listen(engine, "before_cursor_execute", record)
        try:
            verify_jwt_in_request()
            loaded = True
        except UserLookupError:
            loaded = False
        finally:
            event.remove(engine, "before_cursor_execute", record)
        row = context_held()
    return loaded, row


def test_the_statement_that_loads_a_tokens_user_stamps_the_transaction_with_them(app, client, api, sql_conn):
    """An API request: the token's check opens the transaction (stamped as
    nobody's), the statement that loads the user stamps it with them."""
    headers = {**api("doctor"), "X-Request-ID": "ctx-token-0001"}
    user_id = sql_conn.execute("SELECT id FROM ab_user WHERE username = 'doctor'").fetchone()[0]
    statements = []
    assert token_request_context(app, headers, statements) == (
        True,
        (str(user_id), "doctor", "ctx-token-0001", "192.0.2.7", None, None),
    )
    (loading,) = [s for s in statements if "FROM ab_user" in s]
    assert "set_config('caretrail.context'" in loading
    assert sum("set_config('caretrail.context'" in s for s in statements) == 2  # nobody's at BEGIN, then the user's


def test_a_token_of_an_inactive_user_leaves_the_transaction_nobodys(app, client, api, sql_conn):
    """The user's statement stamps before the app sees the account is
    inactive: the transaction is stamped again, as nobody's."""
    headers = {**api("doctor"), "X-Request-ID": "ctx-token-0002"}
    sql_conn.execute("UPDATE ab_user SET active = false WHERE username = 'doctor'")
    assert token_request_context(app, headers) == (False, (None, None, "ctx-token-0002", "192.0.2.7", None, None))
