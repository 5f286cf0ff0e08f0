"""Nobody puts a line in the audit except through a change to a CareTrail
table: forgery through a table of one's own, the maintenance setting, the
maintenance functions, and what verify says about a forged copy of an id."""

import uuid

import psycopg
import pytest
from psycopg import errors

from app.audit.integrity import verify
from app.core.extensions import db
from tests.conftest import APP_ROLE, APP_ROLE_PASSWORD


def audit_size(sql_conn) -> tuple[int, int]:
    return sql_conn.execute("SELECT count(*), coalesce(max(id), 0) FROM audit_log").fetchone()


@pytest.fixture
def no_grant_login(postgres_server, database_name, sql_conn):
    """A connection as a login that was granted nothing (it may still create temporary tables)."""
    role = f"caretrail_test_nobody_{uuid.uuid4().hex[:8]}"
    sql_conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'nobody-pass'")
    try:
        conninfo = postgres_server.conninfo(database_name)
        with psycopg.connect(conninfo, user=role, password="nobody-pass", autocommit=True) as conn:
            yield conn
    finally:
        sql_conn.execute(f"DROP OWNED BY {role}")
        sql_conn.execute(f"DROP ROLE {role}")


@pytest.fixture
def app_login(postgres_server, database_name):
    """A connection as the application's role (a caretrail_app member)."""
    conninfo = postgres_server.conninfo(database_name)
    with psycopg.connect(conninfo, user=APP_ROLE, password=APP_ROLE_PASSWORD, autocommit=True) as conn:
        yield conn


@pytest.fixture(params=["no_grant_login", "app_login"])
def forger(request):
    return request.getfixturevalue(request.param)


def capture_functions(sql_conn) -> list[str]:
    """Every trigger function of the audit that writes audit_log."""
    rows = sql_conn.execute(
        "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = 'public' AND p.prorettype = 'trigger'::regtype AND p.proname LIKE 'audit\\_capture%'"
    ).fetchall()
    return [name for (name,) in rows]


def test_a_temporary_table_of_ones_own_cannot_write_the_audit(forger, sql_conn):
    """The probe's forgery: a temporary `patients`, a capture function as its
    trigger, a spoofed user, address and application name.  CREATE TRIGGER
    is refused (no EXECUTE on any capture function) and nothing is written."""
    functions = capture_functions(sql_conn)
    assert "audit_capture_patients()" in functions and "audit_capture()" not in functions
    before = audit_size(sql_conn)
    forger.execute("CREATE TEMP TABLE patients (id integer PRIMARY KEY, last_name text)")
    forger.execute("SET application_name = 'caretrail-web'")
    forger.execute("SET caretrail.username = 'doctor'")
    forger.execute("SET caretrail.client_addr = '10.1.2.3'")
    for function in functions:
        with pytest.raises(errors.InsufficientPrivilege):
            forger.execute(
                f"CREATE TRIGGER forged AFTER INSERT ON pg_temp.patients FOR EACH ROW EXECUTE FUNCTION {function}"
            )
    forger.execute("INSERT INTO pg_temp.patients VALUES (1, 'Forged')")
    assert audit_size(sql_conn) == before


def test_a_capture_function_refuses_any_table_but_its_own(sql_conn):
    """Even attached by the owner to another table (here a temporary one of
    the same name), a capture function writes nothing and says why."""
    before = audit_size(sql_conn)
    sql_conn.execute("CREATE TEMP TABLE patients (id integer PRIMARY KEY, last_name text)")
    sql_conn.execute(
        "CREATE TRIGGER forged AFTER INSERT ON pg_temp.patients "
        "FOR EACH ROW EXECUTE FUNCTION public.audit_capture_patients()"
    )
    with pytest.raises(errors.InsufficientPrivilege, match="may not write the audit log"):
        sql_conn.execute("INSERT INTO pg_temp.patients VALUES (1, 'Forged')")
    assert audit_size(sql_conn) == before


def test_another_roles_address_application_and_request_are_not_believed(postgres_server, database_name, sql_conn):
    """A role that is neither the application's nor the owner's writes a real
    change: its claimed user is kept aside, its claimed address, request id
    and application name are not recorded (the address is the connection's)."""
    role = f"caretrail_test_dba_{uuid.uuid4().hex[:8]}"
    sql_conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'dba-pass'")
    sql_conn.execute(f"GRANT INSERT ON patients TO {role}")
    sql_conn.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}")
    try:
        conninfo = postgres_server.conninfo(database_name)
        with psycopg.connect(conninfo, user=role, password="dba-pass", autocommit=True) as dba:
            dba.execute("SET application_name = 'caretrail-web'")
            dba.execute("SET caretrail.username = 'doctor'")
            dba.execute("SET caretrail.client_addr = '10.1.2.3'")
            dba.execute("SET caretrail.request_id = 'req-forged'")
            dba.execute(
                "INSERT INTO patients (last_name, first_name, birth_date, sex) VALUES ('Real', 'R', '2000-01-01', 'F')"
            )
            (own_addr,) = dba.execute("SELECT inet_client_addr()").fetchone()
        entry = sql_conn.execute(
            "SELECT app_username, claimed_user, db_user, client_addr, application_name, request_id "
            "FROM audit_log WHERE table_name = 'public.patients' ORDER BY id DESC LIMIT 1"
        ).fetchone()
        assert entry == (None, "doctor", role, own_addr, None, None)
    finally:
        sql_conn.execute(f"DROP OWNED BY {role}")
        sql_conn.execute(f"DROP ROLE {role}")


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET reason = 'quietly changed'", "DELETE FROM audit_log"])
def test_the_maintenance_setting_opens_nothing(sql_conn, statement):
    """Releases up to 0020 let anyone who could SET caretrail.audit_maintenance
    (the owner, a superuser) change entries without touching a trigger."""
    sql_conn.execute("INSERT INTO rooms (code, name, kind) VALUES ('M-1', 'Maintenance', 'other')")
    before = sql_conn.execute("SELECT count(*), max(id), count(reason) FROM audit_log").fetchone()
    with sql_conn.transaction():
        sql_conn.execute("SET LOCAL caretrail.audit_maintenance = 'on'")
        with pytest.raises(errors.InsufficientPrivilege, match="append-only"):
            sql_conn.execute(statement)
    sql_conn.execute("SET caretrail.audit_maintenance = 'on'")
    with pytest.raises(errors.InsufficientPrivilege, match="append-only"):
        sql_conn.execute(statement)
    assert sql_conn.execute("SELECT count(*), max(id), count(reason) FROM audit_log").fetchone() == before
    assert (
        "caretrail.audit_maintenance"
        not in sql_conn.execute("SELECT string_agg(prosrc, ' ') FROM pg_proc WHERE proname LIKE 'audit%'").fetchone()[0]
    )


@pytest.mark.parametrize(
    "call",
    [
        "SELECT audit_ensure_partitions(0, DATE '2040-01-01')",
        "SELECT audit_seal()",
        "SELECT audit_attach('public.patients')",
        "SELECT audit_detach('public.patients')",
        "SELECT audit_attach_all()",
        "SELECT audit_guard('public.audit_log')",
        "SELECT * FROM audit_verify()",
    ],
)
def test_maintenance_functions_are_refused_to_a_login_with_no_grants(no_grant_login, sql_conn, call):
    before = sql_conn.execute("SELECT count(*) FROM pg_class").fetchone()
    with pytest.raises(errors.InsufficientPrivilege, match="permission denied for function"):
        no_grant_login.execute(call)
    assert sql_conn.execute("SELECT count(*) FROM pg_class").fetchone() == before
    assert sql_conn.execute("SELECT to_regclass('public.audit_log_y2040m01')").fetchone() == (None,)


def test_the_application_still_runs_what_it_needs(app_login):
    """Start-up and the worker create months ahead and seal; the screens verify."""
    app_login.execute("SELECT audit_ensure_partitions()")
    app_login.execute("SELECT audit_seal()")
    assert app_login.execute("SELECT count(*) FROM audit_verify()").fetchone() == (0,)


def test_verify_names_the_forged_copy_of_a_sealed_id(app, sql_conn):
    """Two entries with one sealed id: the one the chain vouches for is not
    reported; the other is named, as inserted, with where it lies and what it says."""
    sql_conn.execute("INSERT INTO rooms (code, name, kind) VALUES ('V-1', 'Genuine', 'other')")
    (genuine,) = sql_conn.execute("SELECT max(id) FROM audit_log WHERE table_name = 'public.rooms'").fetchone()
    sql_conn.execute("SELECT audit_seal()")
    sql_conn.execute(
        "INSERT INTO audit_log (id, occurred_at, statement_id, table_name, operation, row_pk, old_row) "
        "OVERRIDING SYSTEM VALUE SELECT id, occurred_at + interval '1 microsecond', statement_id, table_name, "
        "'DELETE', row_pk, new_row FROM audit_log WHERE id = %s",
        [genuine],
    )
    with app.app_context(), db.engine.connect() as connection:
        problems = [p for p in verify(connection) if p.entry_id == genuine]
    assert [p.problem for p in problems] == ["inserted"]
    detail = problems[0].detail
    assert detail.startswith("DELETE on public.rooms") and f"shares sealed id {genuine}" in detail
    assert "the chain vouches for the other: INSERT on public.rooms" in detail
    assert problems[0].chain_position is not None


def test_release_0021_goes_down_to_0020_and_back_up_capturing_at_each_step(postgres_server, database_name, sql_conn):
    """On a database holding data: downgrade to 0020 (generic capture function
    back, one trigger set per table), upgrade again; every step captures."""
    from flask_migrate import downgrade, upgrade

    from tests.conftest import dispose, make_test_app

    def captures(label: str) -> None:
        (before,) = sql_conn.execute("SELECT coalesce(max(id), 0) FROM audit_log").fetchone()
        sql_conn.execute(
            "INSERT INTO patients (last_name, first_name, birth_date, sex) VALUES (%s, 'Walk', '1990-01-01', 'F')",
            [label],
        )
        sql_conn.execute("UPDATE ab_user SET password = 'secret-' || %s WHERE username = 'nurse'", [label])
        rows = sql_conn.execute(
            "SELECT table_name, new_row ->> 'last_name', new_row ->> 'password' FROM audit_log WHERE id > %s "
            "ORDER BY id",
            [before],
        ).fetchall()
        assert rows == [("public.patients", label, None), ("public.ab_user", "Test", "[masked]")], label

    sql_conn.execute("INSERT INTO rooms (code, name, kind) VALUES ('D-1', 'Before the walk', 'other')")
    captures("at 0021")
    app = make_test_app(postgres_server.database_url(database_name))
    try:
        with app.app_context():
            downgrade(revision="0021-1")  # the revision before 0021: release 0020's audit
        assert sql_conn.execute("SELECT version_num FROM alembic_version").fetchone() != ("0021",)
        assert sql_conn.execute("SELECT to_regprocedure('audit_capture()') IS NOT NULL").fetchone() == (True,)
        captures("at 0020")
        with app.app_context():
            upgrade()
        assert sql_conn.execute("SELECT to_regprocedure('audit_capture()')").fetchone() == (None,)
        captures("at 0021 again")
    finally:
        dispose(app)
    assert sql_conn.execute("SELECT count(*) FROM audit_verify()").fetchone() == (0,)


def test_an_entry_whose_patient_is_not_its_rows_is_reported(app, sql_conn):
    """audit_log.patient_id is copied from the row by the capture functions
    (it feeds the patient index): an entry that says otherwise was not written by them."""
    (forged,) = sql_conn.execute(
        "INSERT INTO audit_log (statement_id, table_name, operation, row_pk, new_row, patient_id) "
        "VALUES (1, 'public.appointments', 'INSERT', '9', '{\"id\": 9, \"patient_id\": 1}', '2') RETURNING id"
    ).fetchone()
    with app.app_context(), db.engine.connect() as connection:
        problems = {(p.problem, p.entry_id) for p in verify(connection)}
    assert ("malformed", forged) in problems


def test_entries_carry_the_patient_of_their_row(sql_conn):
    (patient,) = sql_conn.execute(
        "INSERT INTO patients (last_name, first_name, birth_date, sex) VALUES ('Roux', 'L', '1990-01-01', 'F') "
        "RETURNING id"
    ).fetchone()
    sql_conn.execute("INSERT INTO patient_allergies (patient_id, substance) VALUES (%s, 'Pénicilline')", [patient])
    rows = sql_conn.execute(
        "SELECT table_name, patient_id FROM audit_log "
        "WHERE table_name IN ('public.patients', 'public.patient_allergies') ORDER BY id DESC LIMIT 2"
    ).fetchall()
    assert rows == [("public.patient_allergies", str(patient)), ("public.patients", None)]
