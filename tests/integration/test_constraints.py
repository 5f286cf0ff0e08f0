"""Each rule of the core records is enforced by PostgreSQL itself: a row
written directly in SQL (as a DBA in psql would) cannot break it."""

import pytest
from psycopg import errors

from app.core.db_errors import message_for
from app.records.nir import nir_error
from tests.factories import make_nir

VALID_PATIENT = {"last_name": "Dubois", "first_name": "Hélène", "birth_date": "1985-05-17", "sex": "F"}


def insert(conn, table: str, row: dict):
    columns = ", ".join(row)
    placeholders = ", ".join(["%s"] * len(row))
    return conn.execute(f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) RETURNING *", list(row.values()))


PATIENT_VIOLATIONS = [
    ({"nir": "185057800608492"}, "patients_nir_check"),
    ({"nir": "1850578006084"}, "patients_nir_check"),
    ({"nir": "185057800608491"}, "patients_nir_sex_check"),  # a man's NIR, sex F
    ({"nir": "285067800608457"}, "patients_nir_birth_check"),  # born in June, not May
    ({"nir": "286057800608489"}, "patients_nir_birth_check"),  # born in 1986, not 1985
    ({"last_name": " Dubois"}, "patients_last_name_check"),
    ({"last_name": ""}, "patients_last_name_check"),
    ({"first_name": "Hélène "}, "patients_first_name_check"),
    ({"birth_name": "  "}, "patients_birth_name_check"),
    ({"birth_date": "2999-01-01"}, "patients_birth_date_check"),
    ({"birth_date": "1850-01-01"}, "patients_birth_date_check"),
    ({"sex": "Z"}, "patients_sex_check"),
    ({"blood_group": "C+"}, "patients_blood_group_check"),
    ({"phone": "01 23 45 67 89"}, "patients_phone_check"),
    ({"emergency_contact_phone": "0123"}, "patients_emergency_contact_phone_check"),
    ({"email": "not-an-email"}, "patients_email_check"),
    ({"postal_code": "75@11"}, "patients_postal_code_check"),
]


@pytest.mark.parametrize("change, constraint", PATIENT_VIOLATIONS, ids=[c for _, c in PATIENT_VIOLATIONS])
def test_patient_rule_is_enforced_by_the_database(sql_conn, change, constraint):
    with pytest.raises(errors.CheckViolation) as refused:
        insert(sql_conn, "patients", {**VALID_PATIENT, **change})
    assert refused.value.diag.constraint_name == constraint


@pytest.mark.parametrize("column", ["last_name", "first_name", "birth_date", "sex"])
def test_patient_required_columns_are_not_null(sql_conn, column):
    row = {**VALID_PATIENT, column: None}
    with pytest.raises(errors.NotNullViolation):
        insert(sql_conn, "patients", row)


def test_valid_patient_gets_a_generated_hospital_number_and_timestamps(sql_conn):
    row = insert(sql_conn, "patients", {**VALID_PATIENT, "nir": make_nir("2850578006")}).fetchone()
    columns = [d.name for d in sql_conn.execute("SELECT * FROM patients LIMIT 0").description]
    patient = dict(zip(columns, row, strict=True))
    assert patient["mrn"].startswith("IPP") and len(patient["mrn"]) == 11
    assert patient["created_at"] is not None and patient["updated_at"] is not None


def test_updated_at_moves_on_update_whoever_writes(sql_conn):
    (patient_id, before) = sql_conn.execute(
        "INSERT INTO patients (last_name, first_name, birth_date, sex) VALUES ('A', 'B', '2000-01-01', 'M') "
        "RETURNING id, updated_at"
    ).fetchone()
    with sql_conn.transaction():  # a new transaction, so now() moves
        (after,) = sql_conn.execute(
            "UPDATE patients SET city = 'Lyon' WHERE id = %s RETURNING updated_at", [patient_id]
        ).fetchone()
    assert after > before


def test_nir_is_unique_when_present_and_optional(sql_conn):
    nir = make_nir("2850578006")
    insert(sql_conn, "patients", {**VALID_PATIENT, "nir": nir})
    insert(sql_conn, "patients", VALID_PATIENT)  # no NIR: any number of patients
    insert(sql_conn, "patients", VALID_PATIENT)
    with pytest.raises(errors.UniqueViolation) as refused:
        insert(sql_conn, "patients", {**VALID_PATIENT, "nir": nir})
    assert refused.value.diag.constraint_name == "patients_nir_key"


def test_hospital_number_is_unique(sql_conn):
    insert(sql_conn, "patients", {**VALID_PATIENT, "mrn": "IPP99999999"})
    with pytest.raises(errors.UniqueViolation):
        insert(sql_conn, "patients", {**VALID_PATIENT, "mrn": "IPP99999999"})


VALID_STAFF = {"last_name": "Martin", "first_name": "Julien", "profession": "doctor"}
STAFF_VIOLATIONS = [
    ({"profession": "surgeon"}, "staff_profession_check"),
    ({"rpps": "1234567890"}, "staff_rpps_check"),
    ({"rpps": "1234567890A"}, "staff_rpps_check"),
    ({"last_name": "Martin "}, "staff_last_name_check"),
    ({"first_name": ""}, "staff_first_name_check"),
    ({"phone": "0612345678"}, "staff_phone_check"),
    ({"email": "martin@"}, "staff_email_check"),
]


@pytest.mark.parametrize("change, constraint", STAFF_VIOLATIONS, ids=[c for _, c in STAFF_VIOLATIONS])
def test_staff_rule_is_enforced_by_the_database(sql_conn, change, constraint):
    with pytest.raises(errors.CheckViolation) as refused:
        insert(sql_conn, "staff", {**VALID_STAFF, **change})
    assert refused.value.diag.constraint_name == constraint


def test_staff_rpps_and_login_are_unique(sql_conn):
    insert(sql_conn, "staff", {**VALID_STAFF, "rpps": "10003456781", "user_id": 1})
    with pytest.raises(errors.UniqueViolation) as refused:
        insert(sql_conn, "staff", {**VALID_STAFF, "rpps": "10003456781"})
    assert refused.value.diag.constraint_name == "staff_rpps_key"
    with pytest.raises(errors.UniqueViolation) as refused:
        insert(sql_conn, "staff", {**VALID_STAFF, "user_id": 1})
    assert refused.value.diag.constraint_name == "staff_user_id_key"


def test_staff_login_must_exist_and_is_unlinked_when_the_user_goes(sql_conn):
    with pytest.raises(errors.ForeignKeyViolation):
        insert(sql_conn, "staff", {**VALID_STAFF, "user_id": 999_999})
    (user_id,) = sql_conn.execute(
        "INSERT INTO ab_user (first_name, last_name, username, email, active) "
        "VALUES ('T', 'T', 'temp', 'temp@x.fr', true) RETURNING id"
    ).fetchone()
    (staff_id,) = insert(sql_conn, "staff", {**VALID_STAFF, "user_id": user_id}).fetchone()[:1]
    sql_conn.execute("DELETE FROM ab_user WHERE id = %s", [user_id])
    assert sql_conn.execute("SELECT user_id FROM staff WHERE id = %s", [staff_id]).fetchone() == (None,)


ROOM_VIOLATIONS = [
    ({"code": "cons-1"}, "rooms_code_check"),
    ({"code": "CONS 1"}, "rooms_code_check"),
    ({"name": " "}, "rooms_name_check"),
    ({"kind": "kitchen"}, "rooms_kind_check"),
]


@pytest.mark.parametrize("change, constraint", ROOM_VIOLATIONS, ids=[c for _, c in ROOM_VIOLATIONS])
def test_room_rule_is_enforced_by_the_database(sql_conn, change, constraint):
    with pytest.raises(errors.CheckViolation) as refused:
        insert(sql_conn, "rooms", {"code": "CONS-1", "name": "Consultation 1", "kind": "consultation", **change})
    assert refused.value.diag.constraint_name == constraint


def test_room_code_is_unique(sql_conn):
    insert(sql_conn, "rooms", {"code": "CONS-1", "name": "A", "kind": "consultation"})
    with pytest.raises(errors.UniqueViolation):
        insert(sql_conn, "rooms", {"code": "CONS-1", "name": "B", "kind": "ward"})


@pytest.mark.parametrize(
    "nir",
    [
        "185057800608491",
        "185057800608492",
        "2850578006084",
        "28505780060849X",
        "1850520006084" + "00",
        "185457800608452",  # month 45: no month, nor a pseudo-month
        "185357800608486",  # pseudo-month 35
    ],
)
def test_python_and_sql_nir_rules_agree(sql_conn, nir):
    (valid_in_sql,) = sql_conn.execute("SELECT nir_is_valid(%s)", [nir]).fetchone()
    assert valid_in_sql == (nir_error(nir) is None)


def test_every_constraint_of_the_app_tables_has_a_user_message(sql_conn):
    """A constraint added by a later migration without a message in
    app/core/db_errors.py would reach users as a generic refusal.  (The audit's own
    tables are written by triggers, never by users, and the job queue's by
    procrastinate.)"""
    rows = sql_conn.execute(
        """
        SELECT con.conname FROM pg_constraint con
        JOIN pg_class rel ON rel.oid = con.conrelid
        JOIN pg_namespace ns ON ns.oid = rel.relnamespace
        WHERE ns.nspname = 'public' AND rel.relname NOT LIKE 'ab\\_%%' AND rel.relname <> 'alembic_version'
          AND rel.relname NOT LIKE 'audit\\_%%' AND rel.relname NOT LIKE 'procrastinate\\_%%'
          AND con.contype IN ('c', 'u', 'f', 'x')
        """
    ).fetchall()
    missing = sorted(name for (name,) in rows if message_for(name) is None)
    assert rows and missing == []
