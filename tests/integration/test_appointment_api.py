"""REST API of the agenda: bookings through the same rules as the calendar,
409 with the appointment in the way, 422 with the reason, role checks."""

from datetime import datetime, timedelta

import pytest

from tests.agenda import PARIS, make_doctor, make_patient, make_room, next_weekday, paris, type_id, weekly_hours

MONDAY = next_weekday(1)


def at(hour: int, minute: int = 0):
    return paris(MONDAY.year, MONDAY.month, MONDAY.day, hour, minute)


@pytest.fixture
def agenda(sql_conn):
    """Dr Martin (linked to the `doctor` login) and Dr Petit, both at work on Mondays; two patients."""
    (doctor_user,) = sql_conn.execute("SELECT id FROM ab_user WHERE username = 'doctor'").fetchone()
    martin = make_doctor(sql_conn, "Martin", "Paul", user_id=doctor_user)
    petit = make_doctor(sql_conn, "Petit", "Anne")
    for doctor in (martin, petit):
        weekly_hours(sql_conn, doctor)
    return {
        "martin": martin,
        "petit": petit,
        "dubois": make_patient(sql_conn, "Dubois", "Marie", "F"),
        "durand": make_patient(sql_conn, "Durand", "Luc", "M"),
        "consultation": type_id(sql_conn),
        "imaging": type_id(sql_conn, "imaging"),
        "room": make_room(sql_conn, "RADIO-1", "imaging"),
        "conn": sql_conn,
    }


def booking(agenda, patient="dubois", doctor="martin", start=None, **extra):
    return {
        "patient_id": agenda[patient],
        "doctor_id": agenda[doctor],
        "type_id": agenda["consultation"],
        "starts_at": (start or at(10)).isoformat(),
        **extra,
    }


def test_secretary_books_with_the_types_default_duration(client, api, agenda):
    response = client.post("/api/v1/appointments/", json=booking(agenda), headers=api("secretary"))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["result"]["duration_minutes"] == 30 and body["result"]["status"] == "scheduled"
    query = (
        "SELECT a.ends_at, a.booked_by_id, u.username FROM appointments a JOIN ab_user u ON u.id = a.booked_by_id "
        "WHERE a.id = %s"
    )
    row = agenda["conn"].execute(query, [body["id"]]).fetchone()
    assert row[0] == at(10, 30) and row[2] == "secretary"


def test_double_booking_answers_409_with_the_conflict_in_plain_words(client, api, agenda):
    headers = api("secretary")
    first = client.post("/api/v1/appointments/", json=booking(agenda), headers=headers).get_json()["id"]
    response = client.post(
        "/api/v1/appointments/", json=booking(agenda, patient="durand", start=at(10, 15)), headers=headers
    )
    assert response.status_code == 409
    body = response.get_json()
    assert body["conflict"]["id"] == first
    assert "Dr Paul MARTIN already sees Mme Dubois" in body["message"] and "10:00 to 10:30" in body["message"]
    (count,) = agenda["conn"].execute("SELECT count(*) FROM appointments").fetchone()
    assert count == 1


def test_patient_double_booked_with_another_doctor_is_409(client, api, agenda):
    headers = api("secretary")
    client.post("/api/v1/appointments/", json=booking(agenda), headers=headers)
    response = client.post(
        "/api/v1/appointments/", json=booking(agenda, doctor="petit", start=at(10, 15)), headers=headers
    )
    assert response.status_code == 409
    assert "Mme Dubois already has an appointment with Dr Paul MARTIN" in response.get_json()["message"]


def test_outside_working_hours_is_422_with_the_reason(client, api, agenda):
    response = client.post("/api/v1/appointments/", json=booking(agenda, start=at(12, 30)), headers=api("secretary"))
    assert response.status_code == 422
    assert "working hours" in response.get_json()["message"]["starts_at"][0]


def test_emergency_outside_hours_with_a_reason_is_booked(client, api, agenda):
    emergency = agenda["conn"].execute("SELECT id FROM appointment_types WHERE code = 'emergency'").fetchone()[0]
    payload = booking(agenda, start=at(20), type_id=emergency)
    headers = api("secretary")
    assert client.post("/api/v1/appointments/", json=payload, headers=headers).status_code == 422
    payload["override_reason"] = "chest pain"
    assert client.post("/api/v1/appointments/", json=payload, headers=headers).status_code == 201


def test_bad_input_is_a_clear_4xx(client, api, agenda):
    headers = api("secretary")
    naive = booking(agenda)
    naive["starts_at"] = "2027-01-04T10:00:00"
    response = client.post("/api/v1/appointments/", json=naive, headers=headers)
    assert response.status_code == 422 and "starts_at" in response.get_json()["message"]
    response = client.post("/api/v1/appointments/", json={"doctor_id": agenda["martin"]}, headers=headers)
    assert response.status_code == 422 and {"patient_id", "type_id", "starts_at"} <= set(response.get_json()["message"])
    response = client.post("/api/v1/appointments/", json=booking(agenda, duration_minutes=1), headers=headers)
    assert response.status_code == 422 and "duration_minutes" in response.get_json()["message"]
    response = client.post("/api/v1/appointments/", data="x", headers=headers)
    assert response.status_code == 400
    response = client.post("/api/v1/appointments/", json=booking(agenda, type_id=agenda["imaging"]), headers=headers)
    assert response.status_code == 422 and "room" in response.get_json()["message"]
    response = client.put("/api/v1/appointments/999999", json={"notes": "x"}, headers=headers)
    assert response.status_code == 404
    response = client.post(
        "/api/v1/appointments/999999/postpone", json={"starts_at": at(11).isoformat()}, headers=headers
    )
    assert response.status_code == 404


def test_info_describes_the_booking_fields(client, api, agenda):
    response = client.get("/api/v1/appointments/_info", headers=api("secretary"))
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    fields = {field["name"] for field in response.get_json()["add_columns"]}
    assert {"patient_id", "doctor_id", "type_id", "starts_at", "override_reason"} <= fields


def test_move_and_status_changes_follow_the_rules(client, api, agenda):
    headers = api("secretary")
    first = client.post("/api/v1/appointments/", json=booking(agenda), headers=headers).get_json()["id"]
    second = client.post(
        "/api/v1/appointments/", json=booking(agenda, patient="durand", start=at(11)), headers=headers
    ).get_json()["id"]
    moved = client.put(f"/api/v1/appointments/{second}", json={"starts_at": at(10, 15).isoformat()}, headers=headers)
    assert moved.status_code == 409 and moved.get_json()["conflict"]["id"] == first
    moved = client.put(
        f"/api/v1/appointments/{second}",
        json={"starts_at": at(10, 30).isoformat(), "duration_minutes": 45},
        headers=headers,
    )
    assert moved.status_code == 200 and moved.get_json()["result"]["ends_at"].startswith(at(11, 15).date().isoformat())
    cancelled = client.put(f"/api/v1/appointments/{first}", json={"status": "cancelled"}, headers=headers)
    assert cancelled.status_code == 422 and "cancellation_reason" in cancelled.get_json()["message"]
    cancelled = client.put(
        f"/api/v1/appointments/{first}", json={"status": "cancelled", "cancellation_reason": "ill"}, headers=headers
    )
    assert cancelled.status_code == 200
    back = client.put(f"/api/v1/appointments/{first}", json={"status": "scheduled"}, headers=headers)
    assert back.status_code == 422 and "not allowed" in back.get_json()["message"]["status"][0]
    # move and status in one request: both or neither
    both = client.put(
        f"/api/v1/appointments/{second}", json={"status": "confirmed", "starts_at": at(12, 30).isoformat()},
        headers=headers,
    )  # fmt: skip
    assert both.status_code == 422
    (status,) = agenda["conn"].execute("SELECT status FROM appointments WHERE id = %s", [second]).fetchone()
    assert status == "scheduled"


def test_postpone_links_the_new_appointment(client, api, agenda):
    headers = api("secretary")
    first = client.post("/api/v1/appointments/", json=booking(agenda), headers=headers).get_json()["id"]
    response = client.post(
        f"/api/v1/appointments/{first}/postpone", json={"starts_at": at(10, 15).isoformat()}, headers=headers
    )
    assert response.status_code == 201, response.get_json()
    new = response.get_json()["id"]
    row = agenda["conn"].execute("SELECT status, postponed_to_id FROM appointments WHERE id = %s", [first]).fetchone()
    assert row == ("postponed", new)


def test_roles_nurse_reads_doctor_writes_only_own_agenda(client, api, agenda):
    secretary = api("secretary")
    martins = client.post("/api/v1/appointments/", json=booking(agenda), headers=secretary).get_json()["id"]
    petits = client.post(
        "/api/v1/appointments/", json=booking(agenda, patient="durand", doctor="petit"), headers=secretary
    ).get_json()["id"]

    nurse = api("nurse")
    assert client.get("/api/v1/appointments/", headers=nurse).status_code == 200
    assert client.post("/api/v1/appointments/", json=booking(agenda, start=at(11)), headers=nurse).status_code == 403

    doctor = api("doctor")  # Dr Martin
    assert client.get(f"/api/v1/appointments/{petits}", headers=doctor).status_code == 200
    moved = client.put(f"/api/v1/appointments/{petits}", json={"notes": "x"}, headers=doctor)
    assert moved.status_code == 403
    taken = client.put(f"/api/v1/appointments/{martins}", json={"doctor_id": agenda["petit"]}, headers=doctor)
    assert taken.status_code == 403
    assert client.put(f"/api/v1/appointments/{martins}", json={"notes": "ok"}, headers=doctor).status_code == 200
    assert client.post("/api/v1/appointments/", json=booking(agenda, start=at(11)), headers=doctor).status_code == 201
    other = booking(agenda, doctor="petit", start=at(11))
    assert client.post("/api/v1/appointments/", json=other, headers=doctor).status_code == 403
    # working hours and absences: own agenda only, too
    hours = {"doctor_id": agenda["petit"], "day_of_week": 6, "start_time": "09:00:00", "end_time": "12:00:00"}
    assert client.post("/api/v1/schedules/", json=hours, headers=doctor).status_code == 403
    hours["doctor_id"] = agenda["martin"]
    assert client.post("/api/v1/schedules/", json=hours, headers=doctor).status_code == 201
    assert client.post("/api/v1/schedules/", json=hours, headers=nurse).status_code == 403
    assert client.delete(f"/api/v1/appointments/{martins}", headers=secretary).status_code == 403  # admins delete


def test_overlapping_hours_via_the_api_are_422(client, api, agenda):
    hours = {"doctor_id": agenda["martin"], "day_of_week": 1, "start_time": "11:00:00", "end_time": "13:00:00"}
    response = client.post("/api/v1/schedules/", json=hours, headers=api("secretary"))
    assert response.status_code == 422
    assert "overlap" in response.get_json()["message"]["start_time"][0]


def test_slots_endpoint(client, api, agenda):
    headers = api("nurse")
    client.post("/api/v1/appointments/", json=booking(agenda, start=at(9)), headers=api("secretary"))
    response = client.get(
        "/api/v1/slots",
        query_string={
            "doctor_id": agenda["martin"],
            "from": at(9).isoformat(),
            "to": at(12).isoformat(),
            "type_id": agenda["consultation"],
            "limit": 3,
        },
        headers=headers,
    )
    assert response.status_code == 200, response.get_json()
    slots = response.get_json()["slots"]
    local = [datetime.fromisoformat(s["starts_at"]).astimezone(PARIS).strftime("%H:%M") for s in slots]
    assert local == ["09:30", "09:45", "10:00"]
    assert len(slots) == 3 and all(s["doctor_id"] == agenda["martin"] for s in slots)
    bad = client.get("/api/v1/slots", query_string={"doctor_id": agenda["martin"]}, headers=headers)
    assert bad.status_code == 400 and "duration" in bad.get_json()["message"]
    bad = client.get(
        "/api/v1/slots",
        query_string={"duration": 30, "from": at(9).isoformat(), "to": (at(9) + timedelta(days=200)).isoformat()},
        headers=headers,
    )
    assert bad.status_code == 400 and "to" in bad.get_json()["message"]
    bad = client.get("/api/v1/slots", query_string={"duration": 30, "from": "tomorrow"}, headers=headers)
    assert bad.status_code == 400 and "from" in bad.get_json()["message"]
    assert client.get("/api/v1/slots", query_string={"duration": 30}).status_code == 401


def test_the_openapi_spec_lists_the_agenda_endpoints(client, api):
    spec = client.get("/api/v1/_openapi", headers=api("admin")).get_json()
    paths = {path.removeprefix("/api/v1") for path in spec["paths"]}
    assert {"/appointments/", "/appointments/{pk}", "/appointments/{pk}/postpone", "/slots"} <= paths
    assert {"/schedules/", "/absences/", "/appointment_types/"} <= paths
    post = spec["paths"]["/api/v1/appointments/"]["post"]
    assert "requestBody" in post
