"""Restore from the audit (audit_restore() and POST /api/audit/restore): versions,
deleted rows, whole transactions, conflicts, constraint failures, refusals."""

import pytest

from tests.factories import make_nir
from tests.integration.test_audit_search import as_user, new_patient


def last_entry(conn, table: str, row_pk, operation: str | None = None) -> dict:
    query = "SELECT * FROM audit_log WHERE table_name = %s AND row_pk = %s"
    params = [f"public.{table}", str(row_pk)]
    if operation:
        query += " AND operation = %s"
        params.append(operation)
    cursor = conn.execute(query + " ORDER BY id DESC LIMIT 1", params)
    return dict(zip([d.name for d in cursor.description], cursor.fetchone(), strict=True))


def patient(conn, patient_id: int):
    return conn.execute("SELECT last_name, city, nir FROM patients WHERE id = %s", [patient_id]).fetchone()


def restore(client, api, entry_id, mode="before", user="admin", **extra):
    return client.post("/api/audit/restore", headers=api(user), json={"entry_id": entry_id, "mode": mode, **extra})


@pytest.fixture
def child_table(sql_conn):
    """Rows that belong to a patient (appointments do not exist yet)."""
    sql_conn.execute(
        "CREATE TABLE care_notes_test (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
        "patient_id bigint NOT NULL REFERENCES patients ON DELETE CASCADE, body text NOT NULL)"
    )
    sql_conn.execute("SELECT audit_attach('public.care_notes_test')")
    sql_conn.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON care_notes_test TO caretrail_app")
    return "care_notes_test"


def test_restore_the_state_before_an_update_is_audited_as_a_restore(client, api, sql_conn):
    as_user(sql_conn, "secretary")
    pid = new_patient(sql_conn, "Martin")
    sql_conn.execute("UPDATE patients SET city = 'Rennes' WHERE id = %s", [pid])
    sql_conn.execute("UPDATE patients SET city = 'Typo', last_name = 'Martn' WHERE id = %s", [pid])
    mistake = last_entry(sql_conn, "patients", pid)

    response = restore(client, api, mistake["id"])
    assert response.status_code == 200, response.get_json()
    result = response.get_json()["result"]
    assert result["status"] == "restored"
    assert result["actions"][0]["action"] == "update"
    assert set(result["actions"][0]["changes"]) == {"city", "last_name"}
    assert patient(sql_conn, pid)[:2] == ("Martin", "Rennes")

    undo = last_entry(sql_conn, "patients", pid)
    assert undo["id"] > mistake["id"] and undo["operation"] == "UPDATE"
    assert undo["reason"] == f"restore of audit entry {mistake['id']}"
    assert undo["app_username"] == "admin"
    assert undo["old_row"]["city"] == "Typo" and undo["new_row"]["city"] == "Rennes"


def test_restore_after_and_a_reason_of_ones_own(client, api, sql_conn):
    pid = new_patient(sql_conn)
    sql_conn.execute("UPDATE patients SET city = 'Brest' WHERE id = %s", [pid])
    wanted = last_entry(sql_conn, "patients", pid)
    sql_conn.execute("UPDATE patients SET city = 'Vannes' WHERE id = %s", [pid])
    response = restore(client, api, wanted["id"], "after", reason="call from the patient", force=True)
    assert response.status_code == 200
    assert patient(sql_conn, pid)[1] == "Brest"
    assert last_entry(sql_conn, "patients", pid)["reason"] == "call from the patient"


def test_restoring_twice_is_harmless(client, api, sql_conn):
    pid = new_patient(sql_conn)
    sql_conn.execute("UPDATE patients SET city = 'Caen' WHERE id = %s", [pid])
    entry = last_entry(sql_conn, "patients", pid)
    assert restore(client, api, entry["id"]).get_json()["result"]["status"] == "restored"
    count = "SELECT count(*) FROM audit_log WHERE table_name = 'public.patients'"
    before = sql_conn.execute(count).fetchone()[0]
    again = restore(client, api, entry["id"])
    assert again.status_code == 200 and again.get_json()["result"]["status"] == "unchanged"
    assert sql_conn.execute(count).fetchone()[0] == before


def test_a_deleted_patient_comes_back_with_its_id(client, api, sql_conn):
    nir = make_nir()
    pid = sql_conn.execute(
        "INSERT INTO patients (last_name, first_name, birth_date, sex, nir, city) "
        "VALUES ('Effacé', 'Paul', '1985-05-01', 'M', %s, 'Paris') RETURNING id",
        [nir],
    ).fetchone()[0]
    mrn = sql_conn.execute("SELECT mrn FROM patients WHERE id = %s", [pid]).fetchone()[0]
    sql_conn.execute("DELETE FROM patients WHERE id = %s", [pid])
    deletion = last_entry(sql_conn, "patients", pid, "DELETE")

    response = restore(client, api, deletion["id"])
    assert response.status_code == 200
    assert response.get_json()["result"]["actions"][0]["action"] == "insert"
    assert patient(sql_conn, pid) == ("Effacé", "Paris", nir)
    assert sql_conn.execute("SELECT mrn FROM patients WHERE id = %s", [pid]).fetchone()[0] == mrn
    assert last_entry(sql_conn, "patients", pid)["operation"] == "INSERT"


def test_undo_a_transaction_brings_a_patient_back_with_its_rows(client, api, sql_conn, child_table):
    pid = new_patient(sql_conn, "Parent")
    for body in ("first", "second"):
        sql_conn.execute(f"INSERT INTO {child_table} (patient_id, body) VALUES (%s, %s)", [pid, body])
    sql_conn.execute("DELETE FROM patients WHERE id = %s", [pid])  # cascades, same transaction
    assert sql_conn.execute(f"SELECT count(*) FROM {child_table}").fetchone()[0] == 0
    deletion = last_entry(sql_conn, "patients", pid, "DELETE")

    response = restore(client, api, deletion["id"], "transaction")
    assert response.status_code == 200, response.get_json()
    actions = response.get_json()["result"]["actions"]
    assert sorted(a["action"] for a in actions) == ["insert", "insert", "insert"]
    assert patient(sql_conn, pid)[0] == "Parent"
    bodies = sql_conn.execute(f"SELECT body FROM {child_table} WHERE patient_id = %s ORDER BY id", [pid]).fetchall()
    assert [b for (b,) in bodies] == ["first", "second"]
    # The restore is one transaction of its own in the log.
    txids = sql_conn.execute(
        "SELECT count(DISTINCT txid) FROM audit_log WHERE reason = %s", [f"restore of audit entry {deletion['id']}"]
    ).fetchone()[0]
    assert txids == 1


def test_a_newer_change_is_a_409_with_the_diff_and_nothing_changes(client, api, sql_conn):
    pid = new_patient(sql_conn)
    sql_conn.execute("UPDATE patients SET city = 'Lyon' WHERE id = %s", [pid])
    old = last_entry(sql_conn, "patients", pid)
    sql_conn.execute("UPDATE patients SET city = 'Nice' WHERE id = %s", [pid])  # newer, by someone else

    response = restore(client, api, old["id"])
    assert response.status_code == 409
    conflict = response.get_json()["conflicts"][0]
    assert conflict["entry_id"] == old["id"]
    assert conflict["fields"]["city"] == {"current": "Nice", "restored": None}
    assert patient(sql_conn, pid)[1] == "Nice"

    forced = restore(client, api, old["id"], force=True)
    assert forced.status_code == 200 and patient(sql_conn, pid)[1] is None


def test_a_unique_nir_now_taken_is_a_clear_422_and_nothing_is_half_restored(client, api, sql_conn, child_table):
    nir = make_nir()
    pid = sql_conn.execute(
        "INSERT INTO patients (last_name, first_name, birth_date, sex, nir) "
        "VALUES ('Ancien', 'A', '1985-05-01', 'M', %s) RETURNING id",
        [nir],
    ).fetchone()[0]
    sql_conn.execute(f"INSERT INTO {child_table} (patient_id, body) VALUES (%s, 'note')", [pid])
    sql_conn.execute("DELETE FROM patients WHERE id = %s", [pid])
    deletion = last_entry(sql_conn, "patients", pid, "DELETE")
    sql_conn.execute(
        "INSERT INTO patients (last_name, first_name, birth_date, sex, nir) "
        "VALUES ('Nouveau', 'B', '1985-05-01', 'M', %s)",
        [nir],
    )
    count = "SELECT count(*) FROM audit_log WHERE table_name <> 'public.ab_user'"  # sign-ins are logged
    before = sql_conn.execute(count).fetchone()[0]

    response = restore(client, api, deletion["id"], "transaction")
    assert response.status_code == 422
    assert "NIR" in response.get_json()["message"]["nir"][0]
    assert patient(sql_conn, pid) is None
    assert sql_conn.execute(f"SELECT count(*) FROM {child_table}").fetchone()[0] == 0
    assert sql_conn.execute(count).fetchone()[0] == before


def test_masked_values_are_never_written_back(client, api, sql_conn):
    sql_conn.execute("UPDATE ab_user SET password = 'scrypt:after' WHERE username = 'nurse'")
    entry = last_entry(
        sql_conn, "ab_user", sql_conn.execute("SELECT id FROM ab_user WHERE username = 'nurse'").fetchone()[0]
    )
    response = restore(client, api, entry["id"])
    assert response.status_code == 200
    assert "password" not in str(response.get_json()["result"]["actions"])
    assert sql_conn.execute("SELECT password FROM ab_user WHERE username = 'nurse'").fetchone()[0] == "scrypt:after"


def test_refusals_and_bad_requests(client, api, sql_conn):
    sql_conn.execute("CREATE TABLE scratch_test (id int PRIMARY KEY)")
    sql_conn.execute("SELECT audit_attach('public.scratch_test')")
    sql_conn.execute("TRUNCATE scratch_test")
    truncate = sql_conn.execute("SELECT max(id) FROM audit_log WHERE operation = 'TRUNCATE'").fetchone()[0]
    refused = restore(client, api, truncate)
    assert refused.status_code == 422 and "TRUNCATE" in refused.get_json()["message"]["entry_id"][0]

    assert restore(client, api, 99_999_999).status_code == 404
    for body, field in (
        ({"entry_id": "7"}, "entry_id"),
        ({"entry_id": 7, "mode": "sideways"}, "mode"),
        ({"entry_id": 7, "force": "yes"}, "force"),
        ({"entry_id": 7, "colour": 1}, "colour"),
    ):
        response = client.post("/api/audit/restore", headers=api("admin"), json=body)
        assert response.status_code == 422 and field in response.get_json()["message"], body
    not_json = client.post("/api/audit/restore", headers=api("admin"), data="entry_id=7")
    assert not_json.status_code == 400


@pytest.mark.parametrize("username", ["doctor", "nurse", "secretary", "radiologist"])
def test_only_admins_restore(client, api, sql_conn, username):
    pid = new_patient(sql_conn)
    sql_conn.execute("UPDATE patients SET city = 'Metz' WHERE id = %s", [pid])
    entry = last_entry(sql_conn, "patients", pid)
    assert restore(client, api, entry["id"], user=username).status_code == 403
    assert patient(sql_conn, pid)[1] == "Metz"


def test_a_dba_restores_in_psql_with_the_same_function(sql_conn):
    pid = new_patient(sql_conn)
    sql_conn.execute("UPDATE patients SET city = 'Dijon' WHERE id = %s", [pid])
    entry = last_entry(sql_conn, "patients", pid)
    result = sql_conn.execute("SELECT audit_restore(%s, 'before')", [entry["id"]]).fetchone()[0]
    assert result["status"] == "restored" and patient(sql_conn, pid)[1] is None
    undo = last_entry(sql_conn, "patients", pid)
    assert undo["db_user"] and undo["app_username"] is None
    assert undo["reason"] == f"restore of audit entry {entry['id']}"
