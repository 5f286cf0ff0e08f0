"""Two people editing one record can no longer lose a change: the database
bumps a version at each change, the API answers it as an ETag and honours
If-Match (412 when stale), and an edit form opened before someone else's
save is refused with who changed what, when."""

import re

from tests.agenda_screens import at, make_clinic
from tests.conftest import browser_login, csrf_token
from tests.factories import patient_payload


def new_patient(client, headers) -> int:
    created = client.post("/api/v1/patients/", headers=headers, json=patient_payload(city="Lyon"))
    assert created.status_code == 201, created.get_json()
    return created.get_json()["id"]


def test_the_database_bumps_the_version_whoever_writes(client, api, sql_conn):
    headers = api("admin")
    pid = new_patient(client, headers)
    assert client.get(f"/api/v1/patients/{pid}", headers=headers).headers["ETag"] == '"1"'
    sql_conn.execute("UPDATE patients SET city = 'Lille', version = 99 WHERE id = %s", [pid])
    sql_conn.execute("UPDATE patients SET city = 'Lille' WHERE id = %s", [pid])  # changes nothing
    assert sql_conn.execute("SELECT version FROM patients WHERE id = %s", [pid]).fetchone()[0] == 2


def test_the_api_refuses_a_stale_if_match_with_412_saying_who_and_what(client, api, sql_conn):
    admin, secretary = api("admin"), api("secretary")
    pid = new_patient(client, admin)
    etag = client.get(f"/api/v1/patients/{pid}", headers=secretary).headers["ETag"]
    first = client.put(f"/api/v1/patients/{pid}", headers={**admin, "If-Match": etag}, json={"city": "Paris"})
    assert first.status_code == 200 and first.headers["ETag"] == '"2"'
    stale = client.put(f"/api/v1/patients/{pid}", headers={**secretary, "If-Match": etag}, json={"city": "Nantes"})
    assert stale.status_code == 412
    body = stale.get_json()
    assert body["changed_by"] == "admin" and body["current_version"] == 2 and body["your_version"] == 1
    assert body["changes"]["city"] == {"now": "Paris", "yours": None}
    assert "changed by admin at" in body["message"]
    assert sql_conn.execute("SELECT city FROM patients WHERE id = %s", [pid]).fetchone()[0] == "Paris"
    fresh = client.put(f"/api/v1/patients/{pid}", headers={**secretary, "If-Match": '"2"'}, json={"city": "Nantes"})
    assert fresh.status_code == 200
    # Without If-Match the client did not ask: the write goes through, as before.
    assert client.put(f"/api/v1/patients/{pid}", headers=admin, json={"city": "Rouen"}).status_code == 200
    bad = client.put(f"/api/v1/patients/{pid}", headers={**admin, "If-Match": "yesterday"}, json={"city": "Caen"})
    assert bad.status_code == 400 and "If-Match" in bad.get_json()["message"]


def test_a_change_made_in_psql_is_named_by_its_database_role(client, api, sql_conn):
    headers = api("admin")
    pid = new_patient(client, headers)
    sql_conn.execute("UPDATE patients SET phone = '+33612345678' WHERE id = %s", [pid])
    stale = client.put(f"/api/v1/patients/{pid}", headers={**headers, "If-Match": '"1"'}, json={"city": "Paris"})
    assert stale.status_code == 412 and "database role" in stale.get_json()["message"]


def test_a_stale_delete_is_refused_too(client, api, sql_conn):
    headers = api("admin")
    pid = new_patient(client, headers)
    sql_conn.execute("UPDATE patients SET city = 'Brest' WHERE id = %s", [pid])
    assert client.delete(f"/api/v1/patients/{pid}", headers={**headers, "If-Match": '"1"'}).status_code == 412
    assert sql_conn.execute("SELECT 1 FROM patients WHERE id = %s", [pid]).fetchone()


def test_an_appointment_moved_meanwhile_is_not_overwritten(client, api, sql_conn):
    clinic = make_clinic(sql_conn)
    headers = api("secretary")
    booked = client.post(
        "/api/v1/appointments/",
        headers=headers,
        json={
            "patient_id": clinic["dubois"],
            "doctor_id": clinic["martin"],
            "type_id": clinic["consultation"],
            "starts_at": at(10).isoformat(),
        },
    )
    assert booked.status_code == 201 and booked.headers["ETag"] == '"1"'
    pk = booked.get_json()["id"]
    moved = client.put(
        f"/api/v1/appointments/{pk}", headers={**headers, "If-Match": '"1"'}, json={"starts_at": at(11).isoformat()}
    )
    assert moved.status_code == 200 and moved.headers["ETag"] == '"2"'
    stale = client.put(
        f"/api/v1/appointments/{pk}", headers={**headers, "If-Match": '"1"'}, json={"status": "confirmed"}
    )
    assert stale.status_code == 412
    assert sql_conn.execute("SELECT status FROM appointments WHERE id = %s", [pk]).fetchone()[0] == "scheduled"


def edit_form(client, pid: int) -> dict:
    """The patient's edit form as the browser would post it back unchanged."""
    html = client.get(f"/patients/edit/{pid}").get_data(as_text=True)
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html))
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"(.*?)</select>', html, re.S):
        chosen = re.search(r'<option[^>]*selected[^>]*value="([^"]*)"', options)
        if chosen:  # a select without a choice posts nothing, as a browser's empty first option
            fields[name] = chosen.group(1)
    fields["csrf_token"] = csrf_token(html)
    return fields


def test_two_people_editing_one_patient_on_screen_cannot_lose_a_change(app, client, api, sql_conn):
    pid = new_patient(client, api("admin"))
    secretary, doctor = app.test_client(), app.test_client()
    browser_login(secretary, "secretary")
    browser_login(doctor, "doctor")
    opened_by_secretary = edit_form(secretary, pid)
    opened_by_doctor = edit_form(doctor, pid)
    assert opened_by_secretary["opened_version"] == "1"

    saved = secretary.post(f"/patients/edit/{pid}", data={**opened_by_secretary, "phone": "06 12 34 56 78"})
    assert saved.status_code == 302
    refused = doctor.post(f"/patients/edit/{pid}", data={**opened_by_doctor, "city": "Marseille"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert "changed by secretary at" in page and "since you opened it" in page
    assert "+33612345678" in page  # their value, beside the one the doctor's form still holds
    row = sql_conn.execute("SELECT phone, city FROM patients WHERE id = %s", [pid]).fetchone()
    assert row == ("+33612345678", "Lyon")

    # The refused form now carries the version the doctor has seen: saving again, after checking, goes through.
    seen = re.search(r'name="opened_version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="opened_version"', page)
    assert seen and "2" in seen.groups()
    again = {**opened_by_doctor, "opened_version": "2", "phone": "+33612345678", "city": "Marseille"}
    assert doctor.post(f"/patients/edit/{pid}", data=again).status_code == 302
    assert sql_conn.execute("SELECT phone, city FROM patients WHERE id = %s", [pid]).fetchone() == (
        "+33612345678",
        "Marseille",
    )
