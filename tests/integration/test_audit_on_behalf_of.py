"""On whose behalf a change was made (migration 0084): attributed from the
application's caretrail.on_behalf_of, not believed from another role,
covered by the seal without changing the links of entries sealed before."""

import psycopg
from sqlalchemy import text

from app.audit.integrity import verify
from app.core.actor import Actor, acting_as
from app.core.extensions import db

# Release 0021's canonical content: what every entry without on_behalf_of
# was sealed with, and must still be hashed as.
CANONICAL_0021 = """
SELECT jsonb_build_array(
    e.id, to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), e.txid::text,
    e.statement_id, e.table_name, e.operation, e.row_pk, e.old_row, e.new_row, e.changed_columns,
    e.app_user_id, e.app_username, e.claimed_user, e.db_user, host(e.client_addr), e.application_name,
    e.request_id, e.reason)::text = audit_canonical(e)
  FROM audit_log e WHERE e.on_behalf_of IS NULL
"""


def add_patient_on_behalf(app, last_name: str, on_behalf_of: str | None) -> int:
    """A patient written by the application as secretary, acting for on_behalf_of."""
    with app.app_context():
        with db.engine.connect() as connection:
            (user_id,) = connection.execute(text("SELECT id FROM ab_user WHERE username = 'secretary'")).one()
        # The transaction begins inside acting_as(): it is stamped with the actor.
        with acting_as(Actor("secretary", user_id, on_behalf_of=on_behalf_of)):
            patient_id = db.session.execute(
                text(
                    "INSERT INTO patients (last_name, first_name, birth_date, sex)"
                    " VALUES (:name, 'Léa', '1990-01-01', 'F') RETURNING id"
                ),
                {"name": last_name},
            ).scalar_one()
            db.session.commit()
    return patient_id


def entry_of(sql_conn, patient_id: int):
    return sql_conn.execute(
        "SELECT id, app_username, on_behalf_of, claimed_user FROM audit_log"
        " WHERE table_name = 'public.patients' AND row_pk = %s ORDER BY id DESC LIMIT 1",
        [str(patient_id)],
    ).fetchone()


def problems(app):
    with app.app_context(), db.engine.connect() as connection:
        return verify(connection)


def test_a_change_made_on_behalf_of_someone_is_attributed_to_both(app, client, api, login, sql_conn):
    patient_id = add_patient_on_behalf(app, "Delegated", "doctor")
    _, username, on_behalf_of, claimed = entry_of(sql_conn, patient_id)
    assert (username, on_behalf_of, claimed) == ("secretary", "doctor", None)

    body = client.get(f"/api/audit/patients/{patient_id}", headers=api("admin")).get_json()
    [created] = [e for e in body["entries"] if e["operation"] == "INSERT" and e["table_name"] == "public.patients"]
    assert (created["app_username"], created["on_behalf_of"]) == ("secretary", "doctor")

    login("admin")
    page = client.get(f"/audit/patient/{patient_id}").get_data(as_text=True)
    assert "secretary on behalf of doctor" in page


def test_a_change_without_delegation_has_no_on_behalf_of(app, sql_conn):
    patient_id = add_patient_on_behalf(app, "Own", None)
    assert entry_of(sql_conn, patient_id)[1:3] == ("secretary", None)


def test_a_role_that_is_not_the_apps_cannot_claim_it(postgres_server, database_name, sql_conn):
    """Anyone can SET caretrail.on_behalf_of in psql: the claim is kept aside
    in claimed_user, never recorded as on_behalf_of."""
    sql_conn.execute("DROP ROLE IF EXISTS caretrail_test_dba")
    sql_conn.execute("CREATE ROLE caretrail_test_dba LOGIN PASSWORD 'dba-pass'")
    sql_conn.execute("GRANT INSERT ON patients TO caretrail_test_dba")
    sql_conn.execute("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO caretrail_test_dba")
    try:
        conninfo = postgres_server.conninfo(database_name)
        with psycopg.connect(conninfo, user="caretrail_test_dba", password="dba-pass", autocommit=True) as dba:
            dba.execute("SET caretrail.username = 'secretary'")
            dba.execute("SET caretrail.on_behalf_of = 'doctor'")
            dba.execute(
                "INSERT INTO patients (last_name, first_name, birth_date, sex)"
                " VALUES ('Claimed', 'F', '2000-01-01', 'F')"
            )
            dba.execute("RESET caretrail.username")
            dba.execute(
                "INSERT INTO patients (last_name, first_name, birth_date, sex)"
                " VALUES ('Claimed alone', 'F', '2000-01-01', 'F')"
            )
        ids = dict(sql_conn.execute("SELECT last_name, id FROM patients WHERE last_name LIKE 'Claimed%%'").fetchall())
        patient_id, other_id = ids["Claimed"], ids["Claimed alone"]
        assert entry_of(sql_conn, patient_id)[1:] == (None, None, "secretary on behalf of doctor")
        assert entry_of(sql_conn, other_id)[1:] == (None, None, "on behalf of doctor")
    finally:
        sql_conn.execute("DROP OWNED BY caretrail_test_dba")
        sql_conn.execute("DROP ROLE caretrail_test_dba")


def test_the_seal_covers_on_behalf_of_and_keeps_older_links(app, sql_conn):
    delegated = entry_of(sql_conn, add_patient_on_behalf(app, "Delegated", "doctor"))[0]
    plain = entry_of(sql_conn, add_patient_on_behalf(app, "Plain", None))[0]
    result = app.test_cli_runner().invoke(args=["audit", "seal"])
    assert result.exit_code == 0, result.output
    assert problems(app) == []
    # An entry without on_behalf_of is hashed exactly as release 0021 hashed it.
    assert {same for (same,) in sql_conn.execute(CANONICAL_0021)} == {True}

    sql_conn.execute("SET session_replication_role = replica")  # what a superuser can do
    try:
        sql_conn.execute("UPDATE audit_log SET on_behalf_of = 'admin' WHERE id = %s", [delegated])
        sql_conn.execute("UPDATE audit_log SET on_behalf_of = 'doctor' WHERE id = %s", [plain])
    finally:
        sql_conn.execute("SET session_replication_role = origin")
    found = {(p.problem, p.entry_id) for p in problems(app)}
    assert {("modified", delegated), ("modified", plain)} <= found


def test_clearing_on_behalf_of_is_detected(app, sql_conn):
    delegated = entry_of(sql_conn, add_patient_on_behalf(app, "Delegated", "doctor"))[0]
    assert app.test_cli_runner().invoke(args=["audit", "seal"]).exit_code == 0
    sql_conn.execute("SET session_replication_role = replica")
    try:
        sql_conn.execute("UPDATE audit_log SET on_behalf_of = NULL WHERE id = %s", [delegated])
    finally:
        sql_conn.execute("SET session_replication_role = origin")
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"modified: entry {delegated}" in result.output
