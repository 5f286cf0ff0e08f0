"""Every free-text field has a length, checked by the screens and the API
(422 naming the field) and by the database (issue 15 point 11); the whole
request has one too (413, tests/integration/test_malformed_input.py)."""

import pytest
from psycopg import errors

from tests.agenda import make_patient
from tests.factories import patient_payload
from tests.integration.test_patient_screens import FORM, patient_rows, submit

# Text columns written by the application itself, never typed by a person.
MACHINE_WRITTEN = {
    "patients.search_text",  # kept by a trigger from bounded columns (migration 0120)
    "hospital_settings.timezone",
    "hospital_settings.logo_media_type",
    "documents.kind",
    "documents.issued_by",
    "documents.engine",
    "documents.signed_by",
    "document_accesses.action",
    "document_accesses.username",
    # The sign-in code's and the journal's own words (held by CHECKs on their values),
    # hashes and ciphertexts of a fixed size.
    "access_log.action",
    "access_log.door",
    "security_log.event",
    "security_log.door",
    "user_mfa.secret_encrypted",
    "user_recovery_codes.code_hash",
    "user_sessions.kind",
    "user_sessions.token_hash",
    # The alert engine's own summaries (bounded by alerts_summary_check) and subjects.
    "alerts.subject",
}


def test_every_free_text_column_has_a_length_in_the_database(sql_conn):
    """A `text` column added later without a bound would let a 2 MB value in (and into the audit)."""
    rows = sql_conn.execute(
        """
        SELECT c.table_name || '.' || c.column_name
          FROM information_schema.columns c
          JOIN information_schema.tables t
            ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
         WHERE c.table_schema = 'public' AND c.data_type = 'text'
           AND c.table_name NOT LIKE 'ab\\_%%' AND c.table_name NOT LIKE 'audit\\_%%'
           AND c.table_name <> 'alembic_version'
           AND c.table_name NOT LIKE 'procrastinate\\_%%'  -- the job queue's own tables (its schema, frozen)
           AND NOT EXISTS (
               SELECT 1 FROM pg_constraint con
                WHERE con.conrelid = ('public.' || quote_ident(c.table_name))::regclass AND con.contype = 'c'
                  AND pg_get_constraintdef(con.oid) ~ ('length\\(\\(?' || c.column_name || '\\M'))
        """
    ).fetchall()
    unbounded = sorted(name for (name,) in rows if name not in MACHINE_WRITTEN)
    assert unbounded == [], " ".join(unbounded)


def test_the_database_refuses_a_note_too_long_whoever_writes(sql_conn):
    pid = make_patient(sql_conn)
    with pytest.raises(errors.CheckViolation) as refused:
        sql_conn.execute("UPDATE patients SET notes = repeat('x', 10001) WHERE id = %s", [pid])
    assert refused.value.diag.constraint_name == "patients_notes_length"


def test_the_api_refuses_a_long_note_naming_the_field_and_stores_nothing(client, api, sql_conn):
    headers = api("doctor")  # notes are medical: a secretary may not write them (issue 18)
    response = client.post("/api/v1/patients/", json=patient_payload(notes="x" * 10001), headers=headers)
    assert response.status_code == 422
    assert list(response.get_json()["message"]) == ["notes"]
    assert sql_conn.execute("SELECT count(*) FROM patients").fetchone()[0] == 0
    created = client.post("/api/v1/patients/", json=patient_payload(notes="x" * 10000), headers=headers)
    assert created.status_code == 201
    too_long = client.put(
        f"/api/v1/patients/{created.get_json()['id']}", json={"allergies": "y" * 2001}, headers=headers
    )
    assert too_long.status_code == 422 and "allergies" in too_long.get_json()["message"]


def test_the_form_refuses_a_long_note_on_the_field(client, login, sql_conn):
    login("doctor")  # notes are medical (issue 18)
    html = submit(client, "/patients/add", {**FORM, "notes": "x" * 10001}).get_data(as_text=True)
    assert "Field cannot be longer than 10000 characters." in html
    assert patient_rows(sql_conn) == []


def test_a_drug_interaction_message_too_long_is_a_422_on_the_field(client, api):
    body = {
        "a_kind": "substance",
        "a_value": "warfarin",
        "b_kind": "substance",
        "b_value": "aspirin",
        "severity": "avoid",
        "message": "z" * 2001,
    }
    response = client.post("/api/v1/drug_interactions/", json=body, headers=api("admin"))
    assert response.status_code == 422 and "message" in response.get_json()["message"]
