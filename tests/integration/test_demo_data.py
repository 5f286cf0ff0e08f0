"""The demo hospital adds its own records and never touches anyone else's;
it invents no clinical data; `flask seed-demo` sets up the roles first."""

from contextlib import contextmanager

import pytest

from app.demo.hospital import RolesMissing, seed_demo_data
from tests.conftest import api_token, dispose, make_test_app, migrate_to_head, unique_name
from tests.factories import patient_payload

DEMO_PASSWORD = "Demo-pass-1"


def add_patient(client, api, **fields) -> int:
    # A doctor: the free-text allergies are a medical field (a secretary may not write it).
    response = client.post("/api/v1/patients/", json=patient_payload(**fields), headers=api("doctor"))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def patient_as_recorded(sql_conn, patient_id: int):
    """Everything stored about a patient: its row, allergies and prescriptions."""
    row = sql_conn.execute("SELECT to_jsonb(p) FROM patients p WHERE id = %s", [patient_id]).fetchone()[0]
    allergies = sql_conn.execute("SELECT count(*) FROM patient_allergies WHERE patient_id = %s", [patient_id])
    prescriptions = sql_conn.execute("SELECT count(*) FROM prescriptions WHERE patient_id = %s", [patient_id])
    return row, allergies.fetchone()[0], prescriptions.fetchone()[0]


def test_the_demo_never_changes_a_patient_it_did_not_create(app, client, api, sql_conn):
    """A person's patient with the free-text allergy "Pénicilline", and one
    with none, keep exactly what the person recorded: after the demo is
    loaded, and after the next start loads it again."""
    allergic = add_patient(client, api, last_name="Lambert", allergies="Pénicilline")
    other = add_patient(client, api, last_name="Girard", first_name="Paul", sex="M", nir=None)
    recorded = {patient_id: patient_as_recorded(sql_conn, patient_id) for patient_id in (allergic, other)}
    assert recorded[allergic][1:] == (0, 0) and recorded[other][1:] == (0, 0)
    for _start in ("first", "next"):
        with app.app_context():
            seed_demo_data(app.appbuilder, password=DEMO_PASSWORD, patient_count=40)
        for patient_id, before in recorded.items():
            assert patient_as_recorded(sql_conn, patient_id) == before
    assert sql_conn.execute("SELECT count(*) FROM prescriptions").fetchone() == (1,)  # the demo's own patient


def test_the_next_start_leaves_the_reference_rows_someone_changed(app, sql_conn):
    """The vaccines, the vaccination calendar, the medications and the drug
    interactions the demo also ships are added when missing, never put back
    as shipped: a pharmacist's or an administrator's change stays after the
    next start (the demo's imports updated them on every start)."""
    changes = (
        ("vaccines", "is_active = false", "code = 'FLU'", "is_active"),
        (
            "vaccination_schedule",
            "label = 'Hospital wording'",
            "code = (SELECT min(code) FROM vaccination_schedule)",
            "label",
        ),
        ("medications", "is_active = false", "code = 'DEMO-0001'", "is_active"),
        (
            "drug_interactions",
            "severity = 'contraindicated', message = 'Hospital rule: never together.'",
            "'warfarin' IN (a_value, b_value) AND 'acetylsalicylic acid' IN (a_value, b_value)",
            "severity || ' ' || message",
        ),
    )
    with app.app_context():
        seed_demo_data(app.appbuilder, password=DEMO_PASSWORD, patient_count=5)
    changed = {}
    for table, assignment, where, shown in changes:
        updated = sql_conn.execute(f"UPDATE {table} SET {assignment} WHERE {where} RETURNING {shown}").fetchall()
        assert len(updated) == 1, table
        changed[table] = updated
    with app.app_context():
        seed_demo_data(app.appbuilder, password=DEMO_PASSWORD, patient_count=5)
    for table, _assignment, where, shown in changes:
        assert sql_conn.execute(f"SELECT {shown} FROM {table} WHERE {where}").fetchall() == changed[table], table


def test_the_demo_records_its_own_patients_allergies_without_inventing_a_severity(app, sql_conn):
    with app.app_context():
        summary = seed_demo_data(app.appbuilder, password=DEMO_PASSWORD, patient_count=40)
    assert summary.allergies > 0
    rows = sql_conn.execute("SELECT DISTINCT severity, source, status FROM patient_allergies").fetchall()
    assert rows == [("unknown", "recorded", "active")]
    # Created with its patient: no free-text note left beside it to convert.
    assert sql_conn.execute(
        "SELECT count(*) FROM patients p WHERE p.allergies IS NOT NULL"
        " AND EXISTS (SELECT 1 FROM patient_allergies a WHERE a.patient_id = p.id)"
    ).fetchone() == (0,)


def test_the_patient_page_shows_a_free_text_allergy_as_such(app, client, api, login):
    allergic = add_patient(client, api, allergies="Pénicilline")
    without = add_patient(client, api, last_name="Girard", first_name="Paul", sex="M", nir=None)
    login("doctor")

    def allergies_section(patient_id: int) -> str:
        html = client.get(f"/patients/show/{patient_id}").get_data(as_text=True)
        return html.split('id="patient-allergies"')[1].split("</div>")[0]

    section = allergies_section(allergic)
    assert "Pénicilline" in section and "free text" in section
    assert "None recorded" not in section
    assert "None recorded" in allergies_section(without)


@contextmanager
def fresh_database(postgres_server, *, migrated: bool):
    """An app on a new, empty database (migrated or not), as a new install has."""
    name = unique_name("caretrail_fresh")
    postgres_server.create_database(name)
    app = make_test_app(postgres_server.database_url(name), DEMO_PASSWORD=DEMO_PASSWORD)
    try:
        if migrated:
            migrate_to_head(app)
        yield app
    finally:
        dispose(app)
        postgres_server.drop_database(name)


def test_seed_demo_before_setup_sets_up_the_roles_first(postgres_server):
    with fresh_database(postgres_server, migrated=True) as app:
        result = app.test_cli_runner().invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
        with app.app_context():
            sm = app.appbuilder.sm
            for username, role in (("doctor", "Doctor"), ("nurse", "Nurse"), ("secretary", "Secretary")):
                assert [r.name for r in sm.find_user(username=username).roles] == [role]
        assert "Roles:" in result.output
        client = app.test_client()
        headers = {"Authorization": f"Bearer {api_token(client, 'secretary', DEMO_PASSWORD)}"}
        assert client.get("/api/v1/patients/", headers=headers).status_code == 200


def test_the_demo_creates_no_user_without_its_role(postgres_server):
    with fresh_database(postgres_server, migrated=True) as app, app.app_context():
        with pytest.raises(RolesMissing, match=r"run `flask --app run\.py setup` first"):
            seed_demo_data(app.appbuilder, password=DEMO_PASSWORD, patient_count=0)
        assert app.appbuilder.sm.count_users() == 0


def test_seed_demo_on_an_unmigrated_database_refuses_in_plain_words(postgres_server):
    with fresh_database(postgres_server, migrated=False) as app:
        result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 1
    assert "run `flask --app run.py db upgrade` first" in result.output
    assert "Traceback" not in result.output


def test_a_later_start_adds_no_absence_over_booked_appointments(app, sql_conn):
    """The demo's absences are planned from the day it starts: a week later
    they may fall on appointments booked since; the demo then leaves them
    out (an absence over appointments needs a person's decision)."""
    from datetime import date, timedelta

    from app.core.extensions import db
    from app.demo.agenda import seed_demo_agenda
    from app.demo.hospital import DemoSummary, _demo_doctors

    with app.app_context():
        seed_demo_data(app.appbuilder, password=DEMO_PASSWORD, patient_count=40)
        before = sql_conn.execute("SELECT count(*) FROM doctor_absence").fetchone()[0]
        for days in range(1, 8):  # the starts of the coming week
            seed_demo_agenda(
                db.session, _demo_doctors(db.session), [], DemoSummary(), today=date.today() + timedelta(days)
            )
    covered = sql_conn.execute(
        "SELECT count(*) FROM doctor_absence d"
        " WHERE EXISTS (SELECT 1 FROM appointments_covered_without_decision(d.doctor_id, d.starts_at, d.ends_at))"
    ).fetchone()[0]
    assert covered == 0
    assert sql_conn.execute("SELECT count(*) FROM doctor_absence").fetchone()[0] >= before


def test_the_demos_treatment_consultations_and_vital_signs_go_to_adults(app, sql_conn):
    """No warfarin nor adult vital signs for a child of the demo."""
    with app.app_context():
        seed_demo_data(app.appbuilder, password=DEMO_PASSWORD, patient_count=60)
    ages = sql_conn.execute(
        "SELECT date_part('year', age(p.birth_date)) FROM patients p WHERE p.id IN ("
        " SELECT patient_id FROM prescriptions UNION SELECT patient_id FROM consultations"
        " UNION SELECT patient_id FROM observations)"
    ).fetchall()
    assert ages and all(age >= 18 for (age,) in ages)


def test_every_demo_patient_can_be_edited_as_loaded(app, client, api, sql_conn):
    """The demo's phone numbers pass the phone rule the screens and the API
    apply on every edit: a number out of service ("07 10 ...", a fifth of
    the random ones) made each later edit of that patient a 422 on a field
    nobody had touched."""
    from app.core.normalize import phone_error

    with app.app_context():
        seed_demo_data(app.appbuilder, password=DEMO_PASSWORD, patient_count=60)
    rows = sql_conn.execute(
        "SELECT id, phone, emergency_contact_phone FROM patients WHERE phone IS NOT NULL ORDER BY id"
    ).fetchall()
    assert len(rows) >= 60
    refused = [(number, phone_error(number)) for row in rows for number in row[1:] if number and phone_error(number)]
    assert not refused, refused[:5]
    headers = api("secretary")
    for patient_id, *_numbers in rows[:15]:
        response = client.put(f"/api/v1/patients/{patient_id}", json={"city": "Lyon"}, headers=headers)
        assert response.status_code == 200, response.get_json()
