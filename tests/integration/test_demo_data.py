"""The demo hospital adds its own records and never touches anyone else's;
it invents no clinical data."""

from app.demo.hospital import seed_demo_data
from tests.factories import patient_payload

DEMO_PASSWORD = "Demo-pass-1"


def add_patient(client, api, **fields) -> int:
    response = client.post("/api/v1/patients/", json=patient_payload(**fields), headers=api("secretary"))
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
