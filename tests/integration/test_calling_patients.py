"""Calling a waiting patient in (app/agenda/rules.call_patient, migration
0116): the doctor calls their own patients, the reception anyone's; only an
arrived appointment, on its day; the API answers a refusal with its field;
the waiting room shows who called and when."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest

from tests.agenda import book
from tests.prescribing import make_ward


def today_at(conn, hour: int) -> datetime:
    """Today at `hour`, hospital time."""
    zone = ZoneInfo(conn.execute("SELECT hospital_time_zone()").fetchone()[0])
    return datetime.combine(datetime.now(zone).date(), datetime.min.time(), zone) + timedelta(hours=hour)


def booked(conn, patient, doctor, starts, status="arrived") -> int:
    appointment = book(conn, patient, doctor, starts, kind="emergency", override_reason="test")
    for step in {"scheduled": [], "arrived": ["arrived"], "completed": ["arrived", "completed"]}[status]:
        conn.execute("UPDATE appointments SET status = %s WHERE id = %s", [step, appointment])
    return appointment


@pytest.fixture
def waiting(sql_conn):
    """Dubois waiting for Dr Martin (the `doctor` login) and Durand for Dr Petit, both arrived today."""
    ward = make_ward(sql_conn)
    return {
        **ward,
        "mine": booked(sql_conn, ward["dubois"], ward["martin"], today_at(sql_conn, 10)),
        "petits": booked(sql_conn, ward["durand"], ward["petit"], today_at(sql_conn, 11)),
    }


def call(client, headers, appointment_id):
    return client.post(f"/api/v1/appointments/{appointment_id}/call", headers=headers)


def test_the_doctor_calls_their_waiting_patient_and_the_waiting_room_shows_it(client, api, waiting, sql_conn):
    answer = call(client, api("doctor"), waiting["mine"])
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["result"]["called_at"]
    (doctor_user,) = sql_conn.execute("SELECT id FROM ab_user WHERE username = 'doctor'").fetchone()
    assert answer.get_json()["result"]["called_by_id"] == doctor_user
    rows = client.get("/api/v1/home/secretary", headers=api("secretary")).get_json()["waiting_room"]
    called = {row["id"]: row for row in rows}[waiting["mine"]]
    assert called["called"] is True
    assert called["called_label"].endswith("by Dr Martin")
    assert called["called_label"].startswith("called at ")


def test_the_reception_calls_any_doctors_patient(client, api, waiting):
    answer = call(client, api("secretary"), waiting["petits"])
    assert answer.status_code == 200, answer.get_json()


def test_a_doctor_may_not_call_another_doctors_patient(client, api, waiting, sql_conn):
    answer = call(client, api("doctor"), waiting["petits"])
    assert answer.status_code == 403
    assert list(answer.get_json()["message"]) == ["doctor_id"]
    assert sql_conn.execute("SELECT called_at FROM appointments WHERE id = %s", [waiting["petits"]]).fetchone() == (
        None,
    )


@pytest.mark.parametrize("status", ["scheduled", "completed"])
def test_only_an_arrived_patient_is_called(client, api, waiting, sql_conn, status):
    appointment = booked(sql_conn, waiting["durand"], waiting["martin"], today_at(sql_conn, 16), status=status)
    answer = call(client, api("doctor"), appointment)
    assert answer.status_code == 422
    assert "arrived" in answer.get_json()["message"]["status"][0]


def test_a_patient_arrived_on_another_day_is_not_called(client, api, waiting, sql_conn):
    yesterday = booked(sql_conn, waiting["durand"], waiting["martin"], today_at(sql_conn, 10) - timedelta(days=1))
    answer = call(client, api("doctor"), yesterday)
    assert answer.status_code == 422
    assert list(answer.get_json()["message"]) == ["starts_at"]


@pytest.mark.parametrize(
    ("status", "constraint"),
    [("scheduled", "appointments_called_when_arrived"), ("completed", "appointments_called_when_arrived")],
)
def test_the_database_calls_only_an_arrived_patient(waiting, sql_conn, status, constraint):
    appointment = booked(sql_conn, waiting["durand"], waiting["martin"], today_at(sql_conn, 16), status=status)
    with pytest.raises(psycopg.errors.CheckViolation) as refused:
        sql_conn.execute("UPDATE appointments SET called_at = now() WHERE id = %s", [appointment])
    assert refused.value.diag.constraint_name == constraint


def test_the_database_calls_a_patient_on_the_appointments_day_only(waiting, sql_conn):
    yesterday = booked(sql_conn, waiting["durand"], waiting["martin"], today_at(sql_conn, 10) - timedelta(days=1))
    with pytest.raises(psycopg.errors.CheckViolation) as refused:
        sql_conn.execute("UPDATE appointments SET called_at = now() WHERE id = %s", [yesterday])
    assert refused.value.diag.constraint_name == "appointments_called_on_the_day"


def test_a_call_stays_when_the_appointment_is_completed(waiting, sql_conn):
    sql_conn.execute("UPDATE appointments SET called_at = now() WHERE id = %s", [waiting["mine"]])
    sql_conn.execute("UPDATE appointments SET status = 'completed' WHERE id = %s", [waiting["mine"]])
    assert sql_conn.execute("SELECT called_at FROM appointments WHERE id = %s", [waiting["mine"]]).fetchone()[0]
