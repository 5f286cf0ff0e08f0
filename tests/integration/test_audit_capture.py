"""The audit trigger: every change to every table, whoever makes it, lands in
audit_log with the right old/new rows and attribution."""

import threading

import psycopg
import pytest
from psycopg import errors

from app.core.actor import Actor, acting_as
from app.core.db_context import context_record
from tests.conftest import APP_ROLE, APP_ROLE_PASSWORD, csrf_token
from tests.factories import patient_payload

AUDIT_TRIGGERS = {"audit_insert", "audit_update", "audit_delete", "audit_truncate"}
# Tables kept out of the change audit on purpose: the journal of reads is its
# own append-only record (a read is not a change; migration 0071).
DELIBERATELY_UNAUDITED = {"access_log"}


@pytest.fixture(autouse=True)
def _since_test_start(sql_conn, monkeypatch):
    """entries() sees only what the test itself caused (the template database
    already holds the audit of its own set-up)."""
    (start,) = sql_conn.execute("SELECT coalesce(max(id), 0) FROM audit_log").fetchone()
    monkeypatch.setattr(f"{__name__}.AUDIT_START", start)


AUDIT_START = 0


def entries(conn, where: str = "true", params=()):
    """Audit entries written since the test started, as dicts, oldest first."""
    cursor = conn.execute(f"SELECT * FROM audit_log WHERE id > {AUDIT_START} AND ({where}) ORDER BY id", params)
    columns = [d.name for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def new_patient(conn, last_name="Roux", first_name="Léa") -> int:
    return conn.execute(
        "INSERT INTO patients (last_name, first_name, birth_date, sex) VALUES (%s, %s, '1990-01-01', 'F') RETURNING id",
        [last_name, first_name],
    ).fetchone()[0]


def test_every_application_table_has_the_audit_triggers(sql_conn):
    """Fails for a table added by a migration that forgot attach_audit()."""
    rows = sql_conn.execute(
        """
        SELECT c.relname, coalesce(array_agg(t.tgname) FILTER (WHERE t.tgname IS NOT NULL), '{}')
          FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
          LEFT JOIN pg_trigger t ON t.tgrelid = c.oid AND t.tgname LIKE 'audit\\_%%'
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
           AND NOT audit_is_exempt(c.relname)
         GROUP BY c.relname
        """
    ).fetchall()
    tables = {name: set(triggers) for name, triggers in rows}
    assert {"patients", "staff", "rooms", "ab_user", "ab_user_role", "ab_permission_view_role"} <= set(tables)
    # The journal of reads is left out on purpose (audit_is_exempt, migration
    # 0071), and really carries no audit trigger.
    assert not DELIBERATELY_UNAUDITED & set(tables)
    for name in DELIBERATELY_UNAUDITED:
        assert sql_conn.execute("SELECT audit_is_exempt(%s)", [name]).fetchone() == (True,)
        triggers = sql_conn.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgrelid = %s::regclass AND tgname LIKE 'audit\\_%%'", [name]
        ).fetchone()
        assert triggers == (0,), name
    missing = {name: AUDIT_TRIGGERS - triggers for name, triggers in tables.items() if AUDIT_TRIGGERS - triggers}
    assert missing == {}


def test_changes_in_psql_are_recorded_with_the_database_role(sql_conn):
    sql_conn.execute("SET application_name = 'psql'")
    patient_id = new_patient(sql_conn)
    sql_conn.execute("UPDATE patients SET city = 'Lyon' WHERE id = %s", [patient_id])
    sql_conn.execute("DELETE FROM patients WHERE id = %s", [patient_id])
    inserted, updated, deleted = entries(sql_conn, "table_name = 'public.patients'")

    assert inserted["operation"] == "INSERT" and inserted["old_row"] is None
    assert inserted["new_row"]["last_name"] == "Roux" and inserted["row_pk"] == str(patient_id)
    assert updated["operation"] == "UPDATE"
    assert updated["old_row"]["city"] is None and updated["new_row"]["city"] == "Lyon"
    assert sorted(updated["changed_columns"]) == ["city", "updated_at", "version"]
    assert deleted["operation"] == "DELETE" and deleted["new_row"] is None
    assert deleted["old_row"]["city"] == "Lyon"
    for entry in (inserted, updated, deleted):
        assert entry["app_username"] is None and entry["app_user_id"] is None
        assert entry["db_user"] == sql_conn.info.user
        assert entry["application_name"] == "psql"
    assert len({e["txid"] for e in (inserted, updated, deleted)}) == 3  # autocommit: one transaction each


def test_an_update_that_changes_nothing_writes_nothing(sql_conn):
    patient_id = new_patient(sql_conn)
    sql_conn.execute("UPDATE patients SET city = NULL WHERE id = %s", [patient_id])
    assert [e["operation"] for e in entries(sql_conn, "table_name = 'public.patients'")] == ["INSERT"]


def test_a_bulk_update_records_only_the_rows_it_changed(sql_conn):
    """The trigger has no WHEN clause: audit_capture() itself skips a row
    whose columns all keep their values."""
    kept = new_patient(sql_conn, last_name="Kept")
    sql_conn.execute("UPDATE patients SET city = 'Nantes' WHERE id = %s", [kept])
    moved = new_patient(sql_conn, last_name="Moved")
    sql_conn.execute("UPDATE patients SET city = 'Nantes'")
    updates = entries(sql_conn, "operation = 'UPDATE'")
    assert [(e["row_pk"], sorted(e["changed_columns"])) for e in updates] == [
        (str(kept), ["city", "updated_at", "version"]),  # its own first update; the bulk one left it as it was
        (str(moved), ["city", "updated_at", "version"]),
    ]


def test_a_bulk_update_records_every_row_under_one_statement(sql_conn):
    for n in range(30):
        new_patient(sql_conn, last_name=f"Bulk{n}")
    sql_conn.execute("UPDATE patients SET city = 'Nantes'")
    updates = entries(sql_conn, "operation = 'UPDATE'")
    assert len(updates) == 30
    # One statement: one start (occurred_at) in one transaction; statement_id
    # is no longer recorded (0 since migration 0085: it was that start in µs).
    assert len({(e["txid"], e["occurred_at"]) for e in updates}) == 1
    assert {e["statement_id"] for e in updates} == {0}
    assert {e["row_pk"] for e in updates} == {str(i) for i in range(1, 31)}


def test_truncate_is_recorded_once_per_table(sql_conn):
    new_patient(sql_conn)
    sql_conn.execute("INSERT INTO rooms (code, name, kind) VALUES ('R1', 'Room 1', 'other'), ('R2', 'Room 2', 'other')")
    sql_conn.execute("TRUNCATE rooms CASCADE")  # appointments refer to rooms: truncated with them
    truncated = entries(sql_conn, "operation = 'TRUNCATE'")
    # ... and what refers to those appointments, by the same cascade: the
    # reminders planned for them (issue 19), the consultations opened from
    # them and what refers to those (issue 21).
    assert sorted(e["table_name"] for e in truncated) == [
        "public.appointment_reminders",
        "public.appointments",
        "public.consultation_addenda",
        "public.consultation_diagnoses",
        "public.consultations",
        "public.patient_problems",
        "public.rooms",
    ]
    assert all(e["old_row"] is None for e in truncated)


def test_a_rolled_back_transaction_leaves_no_entry(sql_conn):
    with pytest.raises(RuntimeError), sql_conn.transaction():
        new_patient(sql_conn)
        raise RuntimeError("changed my mind")
    assert entries(sql_conn) == []


def test_password_hashes_never_reach_the_log(app, sql_conn):
    with app.app_context():
        sm = app.appbuilder.sm
        user = sm.add_user("newbie", "New", "Bie", "newbie@h.fr", sm.find_role("Nurse"), password="First-pass-1")
        sm.reset_password(user.id, "Second-pass-2")
    hashes = [row[0] for row in sql_conn.execute("SELECT password FROM ab_user WHERE username = 'newbie'")]
    [created, changed] = entries(sql_conn, "table_name = 'public.ab_user'")
    assert created["new_row"]["password"] == "[masked]"
    assert sorted(changed["changed_columns"]) == ["password"]
    assert changed["old_row"]["password"] == changed["new_row"]["password"] == "[masked]"
    everything = sql_conn.execute("SELECT string_agg(audit_log::text, '') FROM audit_log").fetchone()[0]
    assert "newbie" in everything
    assert hashes[0] not in everything and "scrypt" not in everything


def test_granting_a_role_is_a_security_event(app, sql_conn):
    with app.app_context():
        sm = app.appbuilder.sm
        user = sm.find_user(username="nurse")
        user.roles.append(sm.find_role("Admin"))
        sm.update_user(user)
    [grant] = entries(sql_conn, "table_name = 'public.ab_user_role'")
    assert grant["operation"] == "INSERT" and grant["new_row"]["role_id"] is not None


def test_api_changes_are_attributed_to_the_user_and_request(client, api, sql_conn):
    headers = {**api("doctor"), "X-Request-ID": "req-0001-abcdef"}
    patient_id = client.post("/api/v1/patients/", json=patient_payload(), headers=headers).get_json()["id"]
    client.put(f"/api/v1/patients/{patient_id}", json={"city": "Lille", "postal_code": "59000"}, headers=headers)
    inserted, updated = entries(sql_conn, "table_name = 'public.patients'")
    doctor_id = sql_conn.execute("SELECT id FROM ab_user WHERE username = 'doctor'").fetchone()[0]
    for entry in (inserted, updated):
        assert (entry["app_username"], entry["app_user_id"]) == ("doctor", doctor_id)
        assert entry["request_id"] == "req-0001-abcdef"
        assert entry["db_user"] == APP_ROLE and entry["application_name"] == "caretrail-web"
        assert str(entry["client_addr"]) == "127.0.0.1"
    assert sorted(updated["changed_columns"]) == ["city", "postal_code", "updated_at", "version"]


def test_screen_changes_are_attributed_to_the_signed_in_user(client, login, sql_conn):
    login("secretary")
    page = client.get("/patients/add")
    form = {
        "last_name": "Blanc", "first_name": "Zoé", "birth_date": "2001-02-03", "sex": "F",
        "csrf_token": csrf_token(page.get_data(as_text=True)),
    }  # fmt: skip
    client.post("/patients/add", data=form, follow_redirects=True)
    [entry] = entries(sql_conn, "table_name = 'public.patients'")
    assert entry["app_username"] == "secretary" and entry["request_id"]


def test_cli_changes_are_attributed_to_the_as_user(app, sql_conn):
    result = app.test_cli_runner().invoke(args=["roles", "sync", "--as", "admin"])
    assert result.exit_code == 0, result.output
    sql_conn.execute("DELETE FROM ab_permission_view_role WHERE id = (SELECT min(id) FROM ab_permission_view_role)")
    result = app.test_cli_runner().invoke(args=["roles", "sync", "--as", "admin"])
    assert result.exit_code == 0, result.output
    [regrant] = entries(sql_conn, "table_name = 'public.ab_permission_view_role' AND operation = 'INSERT'")
    assert regrant["app_username"] == "admin"
    unknown = app.test_cli_runner().invoke(args=["roles", "sync", "--as", "nobody"])
    assert unknown.exit_code != 0 and "no CareTrail user named 'nobody'" in unknown.output


def test_jobs_and_cli_default_to_system_and_pooled_connections_forget_the_user(app, sql_conn):
    """An attributed transaction, then an unattributed one ON THE SAME pooled
    connection: the second is not credited to the first user."""
    from sqlalchemy import text

    from app.core.extensions import db
    from app.records.models import Room

    with app.app_context():
        with acting_as(Actor("doctor", 2)):
            db.session.add(Room(code="A-1", name="A", kind="ward"))
            first_backend = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
            db.session.commit()
        db.session.add(Room(code="B-1", name="B", kind="ward"))
        second_backend = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        db.session.commit()
    assert first_backend == second_backend
    first, second = entries(sql_conn, "table_name = 'public.rooms'")
    assert (first["app_username"], first["app_user_id"]) == ("doctor", 2)
    assert (second["app_username"], second["app_user_id"]) == ("system", None)


def test_requests_in_one_app_context_do_not_share_the_user(app, api, client, sql_conn):
    """g outlives a request when an app context is already pushed (as in jobs)."""
    with app.app_context():
        admin, secretary = api("admin"), api("secretary")
        client.post("/api/v1/patients/", json=patient_payload(last_name="First"), headers=admin)
        client.post("/api/v1/patients/", json=patient_payload(last_name="Second", nir=None), headers=secretary)
    first, second = entries(sql_conn, "table_name = 'public.patients'")
    assert (first["app_username"], second["app_username"]) == ("admin", "secretary")


def test_a_claimed_user_from_another_role_is_not_believed(postgres_server, database_name, sql_conn):
    """Anyone can SET caretrail.user_id in psql: the claim is recorded aside,
    the change stays attributed to the database role."""
    sql_conn.execute("DROP ROLE IF EXISTS caretrail_test_dba")
    sql_conn.execute("CREATE ROLE caretrail_test_dba LOGIN PASSWORD 'dba-pass'")
    sql_conn.execute("GRANT INSERT ON patients TO caretrail_test_dba")
    sql_conn.execute("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO caretrail_test_dba")
    try:
        conninfo = postgres_server.conninfo(database_name)
        with psycopg.connect(conninfo, user="caretrail_test_dba", password="dba-pass", autocommit=True) as dba:
            dba.execute("SET caretrail.user_id = '1'")
            dba.execute("SET caretrail.username = 'admin'")
            dba.execute(
                "INSERT INTO patients (last_name, first_name, birth_date, sex) "
                "VALUES ('Forged', 'F', '2000-01-01', 'F')"
            )
        [entry] = entries(sql_conn, "table_name = 'public.patients'")
        assert (entry["app_user_id"], entry["app_username"]) == (None, None)
        assert entry["claimed_user"] == "admin (id 1)"
        assert entry["db_user"] == "caretrail_test_dba"
    finally:
        sql_conn.execute("DROP OWNED BY caretrail_test_dba")
        sql_conn.execute("DROP ROLE caretrail_test_dba")


HOSTILE_SCHEMA = """
CREATE SCHEMA hostile;
CREATE FUNCTION hostile.hijacked() RETURNS void LANGUAGE plpgsql AS
    $$ BEGIN RAISE EXCEPTION 'hijacked by the search_path'; END $$;
CREATE FUNCTION hostile.text_test(text, text) RETURNS boolean LANGUAGE sql AS $$ SELECT hostile.hijacked() IS NULL $$;
CREATE FUNCTION hostile.int_test(integer, integer) RETURNS boolean LANGUAGE sql AS
    $$ SELECT hostile.hijacked() IS NULL $$;
CREATE FUNCTION hostile.text_pair(text, text) RETURNS text LANGUAGE sql AS $$ SELECT hostile.hijacked()::text $$;
CREATE OPERATOR hostile.= (LEFTARG = text, RIGHTARG = text, FUNCTION = hostile.text_test);
CREATE OPERATOR hostile.<> (LEFTARG = text, RIGHTARG = text, FUNCTION = hostile.text_test);
CREATE OPERATOR hostile.= (LEFTARG = integer, RIGHTARG = integer, FUNCTION = hostile.int_test);
CREATE OPERATOR hostile.|| (LEFTARG = text, RIGHTARG = text, FUNCTION = hostile.text_pair);
CREATE FUNCTION hostile.current_setting(text, boolean) RETURNS text LANGUAGE sql AS
    $$ SELECT hostile.hijacked()::text $$;
CREATE FUNCTION hostile.current_setting(text) RETURNS text LANGUAGE sql AS $$ SELECT hostile.hijacked()::text $$;
CREATE FUNCTION hostile.regexp_substr(text, text) RETURNS text LANGUAGE sql AS $$ SELECT hostile.text_pair($1, $2) $$;
CREATE FUNCTION hostile.to_jsonb(anyelement) RETURNS jsonb LANGUAGE sql AS $$ SELECT hostile.hijacked()::text::jsonb $$;
CREATE FUNCTION hostile.row_to_json(public.patients) RETURNS json LANGUAGE sql AS
    $$ SELECT hostile.hijacked()::text::json $$;
CREATE TYPE hostile.audit_context AS (user_id text, username text, request_id text, client_addr text, reason text,
                                      on_behalf_of text);
CREATE FUNCTION hostile.hstore(public.patients) RETURNS public.hstore LANGUAGE sql AS
    $$ SELECT hostile.hijacked()::text::public.hstore $$;
CREATE FUNCTION hostile.pg_has_role(name, text, text) RETURNS boolean LANGUAGE sql AS
    $$ SELECT hostile.hijacked() IS NULL $$;
CREATE TABLE hostile.audit_log (LIKE public.audit_log);
GRANT USAGE ON SCHEMA hostile TO PUBLIC;
GRANT ALL ON hostile.audit_log TO PUBLIC;
"""


# Who acts, told as the application does (one setting) or as psql does (one by one).
CONTEXT_SETTINGS = {
    "context": {"caretrail.context": context_record({"username": "admin", "reason": "routine"})},
    "one by one": {"caretrail.username": "admin", "caretrail.reason": "routine"},
}


@pytest.mark.parametrize("told", CONTEXT_SETTINGS)
def test_a_hostile_search_path_cannot_hijack_the_audit_trigger(app_role_conn, sql_conn, told):
    """audit_capture() runs as its owner without a fixed search_path (it
    costs at every row): every name in it is schema-qualified, so functions,
    operators, types and tables a session puts first on its search_path,
    even before pg_catalog, are never called."""
    sql_conn.execute(HOSTILE_SCHEMA)
    app_role_conn.execute("SET search_path = hostile, pg_catalog, public")
    for name, value in CONTEXT_SETTINGS[told].items():
        app_role_conn.execute("SELECT pg_catalog.set_config(%s, %s, false)", [name, value])
    patient_id = app_role_conn.execute(  # mrn given: its default, generate_patient_mrn(), runs as the caller
        "INSERT INTO public.patients (mrn, last_name, first_name, birth_date, sex) "
        "VALUES ('IPP99999999', 'Roux', 'Léa', '1990-01-01', 'F') RETURNING id"
    ).fetchone()[0]
    app_role_conn.execute("UPDATE public.patients SET city = 'Brest' WHERE id = %s", [patient_id])
    app_role_conn.execute("DELETE FROM public.patients WHERE id = %s", [patient_id])
    logged = entries(sql_conn, "table_name = 'public.patients'")
    assert [e["operation"] for e in logged] == ["INSERT", "UPDATE", "DELETE"]
    assert {(e["app_username"], e["reason"], e["row_pk"]) for e in logged} == {("admin", "routine", str(patient_id))}
    assert sorted(logged[1]["changed_columns"]) == ["city", "updated_at", "version"]
    assert sql_conn.execute("SELECT count(*) FROM hostile.audit_log").fetchone() == (0,)


def test_concurrent_writers_lose_no_entry(postgres_server, database_name, sql_conn):
    writers, per_writer = 4, 25
    failures = []

    def write(n: int) -> None:
        try:
            with psycopg.connect(postgres_server.conninfo(database_name), autocommit=True) as conn:
                for i in range(per_writer):
                    new_patient(conn, last_name=f"W{n}-{i}")
                    conn.execute("UPDATE patients SET city = 'Paris' WHERE last_name = %s", [f"W{n}-{i}"])
        except Exception as exc:
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    counts = dict(
        sql_conn.execute(f"SELECT operation, count(*) FROM audit_log WHERE id > {AUDIT_START} GROUP BY 1").fetchall()
    )
    assert counts == {"INSERT": writers * per_writer, "UPDATE": writers * per_writer}


@pytest.fixture
def app_role_conn(postgres_server, database_name):
    """A connection as the application's role (a caretrail_app member)."""
    conninfo = postgres_server.conninfo(database_name)
    with psycopg.connect(conninfo, user=APP_ROLE, password=APP_ROLE_PASSWORD, autocommit=True) as conn:
        yield conn


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO audit_log (statement_id, table_name, operation) VALUES (1, 'public.patients', 'TRUNCATE')",
        "UPDATE audit_log SET reason = 'oops'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        "DELETE FROM audit_chain",
    ],
)
def test_the_application_role_cannot_write_the_audit_itself(app_role_conn, statement):
    new_patient(app_role_conn)  # its own changes are audited all the same
    with pytest.raises(errors.InsufficientPrivilege):
        app_role_conn.execute(statement)


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_log SET reason = 'oops'", "DELETE FROM audit_log", "TRUNCATE audit_log"],
)
def test_even_the_owner_cannot_change_the_audit(sql_conn, statement):
    new_patient(sql_conn)
    with pytest.raises(errors.InsufficientPrivilege, match="append-only"):
        sql_conn.execute(statement)
    partition = sql_conn.execute("SELECT tableoid::regclass::text FROM audit_log LIMIT 1").fetchone()[0]
    with pytest.raises(errors.InsufficientPrivilege, match="append-only"):
        sql_conn.execute(statement.replace("audit_log", partition))
    assert len(entries(sql_conn)) == 1


def test_the_auditor_role_reads_the_audit_but_not_the_records(postgres_server, database_name, sql_conn):
    sql_conn.execute("DROP ROLE IF EXISTS caretrail_test_auditor")
    sql_conn.execute("CREATE ROLE caretrail_test_auditor LOGIN PASSWORD 'aud-pass' IN ROLE caretrail_auditor")
    new_patient(sql_conn)
    try:
        conninfo = postgres_server.conninfo(database_name)
        with psycopg.connect(conninfo, user="caretrail_test_auditor", password="aud-pass", autocommit=True) as conn:
            assert conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] > 0
            assert conn.execute("SELECT count(*) FROM patient_history").fetchone()[0] > 0
            for forbidden in ("SELECT * FROM patients", "SELECT password FROM ab_user", "DELETE FROM audit_log"):
                with pytest.raises(errors.InsufficientPrivilege):
                    conn.execute(forbidden)
    finally:
        sql_conn.execute("DROP OWNED BY caretrail_test_auditor")
        sql_conn.execute("DROP ROLE caretrail_test_auditor")


def test_readable_view_has_one_row_per_changed_field(sql_conn):
    patient_id = new_patient(sql_conn)
    sql_conn.execute("UPDATE patients SET blood_group = 'O-', city = 'Brest' WHERE id = %s", [patient_id])
    rows = sql_conn.execute(
        "SELECT field, old_value, new_value FROM patient_history WHERE record_id = %s AND operation = 'UPDATE' "
        "AND field NOT IN ('updated_at', 'version') ORDER BY field",
        [str(patient_id)],
    ).fetchall()
    assert rows == [("blood_group", None, "O-"), ("city", None, "Brest")]


def test_partitions_roll_over_at_the_month_boundary(sql_conn):
    """An entry at 23:59:59.999 UTC on the last day of a month and one at
    00:00 the next day land in their own months; a month with no partition
    yet goes to the default partition and moves when its partition is made."""
    sql_conn.execute("SET TIME ZONE 'Europe/Paris'")  # months are UTC months whatever the session's zone
    insert = (
        "INSERT INTO audit_log (occurred_at, statement_id, table_name, operation) "
        "VALUES (%s, 0, 'public.rooms', 'TRUNCATE') RETURNING tableoid::regclass::text"
    )
    (far_future,) = sql_conn.execute(insert, ["2031-03-31 23:59:59.999+00"]).fetchone()
    assert far_future == "audit_log_default"
    created = sql_conn.execute("SELECT audit_ensure_partitions(0, DATE '2031-03-01')").fetchone()[0]
    assert created >= 1
    assert sql_conn.execute(
        "SELECT tableoid::regclass::text FROM audit_log WHERE occurred_at = '2031-03-31 23:59:59.999+00'"
    ).fetchone() == ("audit_log_y2031m03",)
    sql_conn.execute("SELECT audit_ensure_partitions(0, DATE '2031-04-01')")
    (next_month,) = sql_conn.execute(insert, ["2031-04-01 00:00:00+00"]).fetchone()
    assert next_month == "audit_log_y2031m04"


def test_masking_a_new_column_takes_effect_at_once(sql_conn):
    sql_conn.execute("INSERT INTO audit_masked_columns VALUES ('public.patients', 'notes')")
    patient_id = new_patient(sql_conn)
    sql_conn.execute("UPDATE patients SET notes = 'confidential' WHERE id = %s", [patient_id])
    inserted, updated = entries(sql_conn, "table_name = 'public.patients'")
    assert inserted["new_row"]["notes"] == "[masked]"
    assert sorted(updated["changed_columns"]) == ["notes", "updated_at", "version"]
    assert updated["new_row"]["notes"] == "[masked]"
    assert updated["new_row"]["last_name"] == "Roux"  # only the listed column is hidden


def test_a_reason_given_by_the_user_lands_in_the_entry(app, sql_conn):
    from app.core.db_context import audit_reason
    from app.core.extensions import db
    from app.records.models import Room

    with app.app_context(), acting_as(Actor("admin", 1)), audit_reason("room closed for works"):
        db.session.add(Room(code="W-1", name="Works", kind="other"))
        db.session.commit()
    [entry] = entries(sql_conn, "table_name = 'public.rooms'")
    assert entry["reason"] == "room closed for works"


def test_sign_ins_and_failed_attempts_stay_out_of_the_change_audit(client, sql_conn):
    """They go to the security log (tests/integration/test_login_security.py),
    attributed to the account; FAB's sign-in counters on ab_user are no longer written."""
    from tests.conftest import browser_login

    browser_login(client, "nurse", "wrong password")
    browser_login(client, "nurse")
    assert entries(sql_conn, "table_name = 'public.ab_user'") == []
    logged = sql_conn.execute("SELECT event, username FROM security_log ORDER BY id").fetchall()
    assert logged == [("login_failed", "nurse"), ("login", "nurse")]
