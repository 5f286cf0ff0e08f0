"""Active, inactive and deceased patients; a patient whose archived
documents are kept is marked so instead of being deleted (issue 15 point 17)."""

from datetime import date, timedelta

import pytest
from psycopg import errors

from tests.agenda import book, make_doctor, make_patient, next_weekday, paris, weekly_hours
from tests.conftest import csrf_token
from tests.documents import issue

API = "/api/v1/patients/"


def status_of(sql_conn, patient_id: int):
    return sql_conn.execute("SELECT status, deceased_on FROM patients WHERE id = %s", [patient_id]).fetchone()


def test_a_patient_with_an_archived_document_is_not_deleted_and_the_page_says_what_to_do(
    app, client, login, api, sql_conn
):
    pid = make_patient(sql_conn, "Dubois", "Marie")
    issue(app, "secretary", patient_id=pid, kind="patient_record", fields={})
    login("admin")
    page = client.get(f"/patients/delete/{pid}/confirm").get_data(as_text=True)
    assert "This patient cannot be deleted: 1 archived document refer" in page
    assert "Mark the patient inactive, or deceased" in page
    assert "remove them first" not in page and "patient-delete-form" not in page  # no button that cannot work
    token = csrf_token(client.get("/patients/list/").get_data(as_text=True))
    refused = client.post(f"/patients/delete/{pid}/confirm", data={"csrf_token": token, "reason": "x"})
    html = refused.get_data(as_text=True)
    # A conflict (409), as the API answers it.
    assert refused.status_code == 409 and "No such patient" not in html and "cannot be deleted" in html
    answer = client.delete(f"{API}{pid}", headers=api("admin"))
    assert answer.status_code == 409
    assert "Mark the patient inactive" in str(answer.get_json()["message"])
    assert status_of(sql_conn, pid) == ("active", None)


def test_a_patient_is_marked_deceased_with_the_date_and_leaves_the_default_list(client, login, sql_conn):
    pid = make_patient(sql_conn, "Dubois", "Marie")
    other = make_patient(sql_conn, "Martin", "Luc", "M")
    login("secretary")
    form = client.get(f"/patients/edit/{pid}").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(form),
        "last_name": "Dubois",
        "first_name": "Marie",
        "birth_date": "1980-05-17",
        "sex": "F",
        "status": "deceased",
        "deceased_on": "",
    }
    missing = client.post(f"/patients/edit/{pid}", data=data, follow_redirects=True).get_data(as_text=True)
    assert "Give the date of death of a deceased patient." in missing
    assert status_of(sql_conn, pid) == ("active", None)
    died = date.today() - timedelta(days=3)
    client.post(f"/patients/edit/{pid}", data={**data, "deceased_on": died.isoformat()}, follow_redirects=True)
    assert status_of(sql_conn, pid) == ("deceased", died)

    listed = client.get("/patients/list/").get_data(as_text=True)
    assert f"/patients/show/{other}" in listed and f"/patients/show/{pid}" not in listed
    deceased = client.get("/patients/list/?_flt_2_status=deceased").get_data(as_text=True)
    assert f"/patients/show/{pid}" in deceased and f"/patients/show/{other}" not in deceased
    assert f"Deceased ({died:%d/%m/%Y})" in deceased
    everyone = client.get("/patients/list/?_flt_5_status=-").get_data(as_text=True)
    assert f"/patients/show/{pid}" in everyone and f"/patients/show/{other}" in everyone
    assert client.get(f"/patients/show/{pid}").status_code == 200  # the record stays reachable


def test_the_database_holds_status_and_date_of_death_together(sql_conn):
    pid = make_patient(sql_conn)
    with pytest.raises(errors.CheckViolation) as refused:
        sql_conn.execute("UPDATE patients SET status = 'deceased' WHERE id = %s", [pid])
    assert refused.value.diag.constraint_name == "patients_deceased_on_check"
    with pytest.raises(errors.CheckViolation) as refused:
        sql_conn.execute("UPDATE patients SET status = 'gone' WHERE id = %s", [pid])
    assert refused.value.diag.constraint_name == "patients_status_check"
    with pytest.raises(errors.CheckViolation) as refused:
        sql_conn.execute("UPDATE patients SET status = 'deceased', deceased_on = '1970-01-01' WHERE id = %s", [pid])
    assert refused.value.diag.constraint_name == "patients_deceased_on_range_check"


def test_a_deceased_patient_cannot_be_booked_whatever_the_door(client, api, sql_conn):
    doctor = make_doctor(sql_conn)
    weekly_hours(sql_conn, doctor)
    pid = make_patient(sql_conn)
    monday = next_weekday(1)
    past = book(sql_conn, pid, doctor, paris(monday.year, monday.month, monday.day, 9))  # booked while alive
    sql_conn.execute("UPDATE patients SET status = 'deceased', deceased_on = current_date - 1 WHERE id = %s", [pid])
    tuesday = next_weekday(2)
    with pytest.raises(errors.CheckViolation) as refused:
        book(sql_conn, pid, doctor, paris(tuesday.year, tuesday.month, tuesday.day, 10))
    assert refused.value.diag.constraint_name == "appointments_patient_alive"
    type_id = sql_conn.execute("SELECT id FROM appointment_types WHERE code = 'consultation'").fetchone()[0]
    answer = client.post(
        "/api/v1/appointments/",
        json={
            "patient_id": pid,
            "doctor_id": doctor,
            "type_id": type_id,
            "starts_at": paris(tuesday.year, tuesday.month, tuesday.day, 10).isoformat(),
            "duration_minutes": 30,
        },
        headers=api("secretary"),
    )
    assert answer.status_code == 422, answer.get_json()
    assert "deceased" in str(answer.get_json()["message"])
    # What was booked before stays; it can still be cancelled.
    sql_conn.execute(
        "UPDATE appointments SET status = 'cancelled', cancellation_reason = 'deceased' WHERE id = %s", [past]
    )


def test_the_booking_picker_leaves_deceased_patients_out(client, login, sql_conn):
    alive = make_patient(sql_conn, "Lambert", "Anne")
    gone = make_patient(sql_conn, "Lambert", "Jean", "M")
    sql_conn.execute("UPDATE patients SET status = 'deceased', deceased_on = current_date WHERE id = %s", [gone])
    login("secretary")
    found = client.get("/patient-lookup/?q=lambert").get_json()
    assert [p["id"] for p in found] == [alive]
