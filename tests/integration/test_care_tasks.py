"""Care tasks: planned once or every N hours, checked off with who and
when; an occurrence past its time and not checked off is on the nurse's
worklist; each occurrence is checked once, only at a time the task plans
(the database refuses others, whoever writes)."""

from datetime import UTC, datetime, timedelta

import pytest
from psycopg import errors

from tests.agenda import make_patient


def plan(conn, patient_id: int, starts_at: datetime, every_hours: int | None = None, description="Wound dressing"):
    return conn.execute(
        "INSERT INTO care_tasks (patient_id, description, starts_at, every_hours) VALUES (%s, %s, %s, %s) RETURNING id",
        [patient_id, description, starts_at, every_hours],
    ).fetchone()[0]


def hours_ago(hours: float) -> datetime:
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours)


def test_overdue_occurrences_are_listed_until_checked_off(client, api, sql_conn):
    patient = make_patient(sql_conn)
    every_4h = plan(sql_conn, patient, hours_ago(9), 4)  # occurrences 9 h and 5 h ago, 1 h ago
    once_later = plan(sql_conn, patient, hours_ago(-3), description="Blood sample")  # in 3 hours: not yet
    nurse = api("nurse")
    overdue = client.get("/api/v1/care_tasks/overdue", headers=nurse).get_json()["result"]
    due = [datetime.fromisoformat(o["due_at"]) for o in overdue]
    assert [o["care_task_id"] for o in overdue] == [every_4h] * 3
    assert due == [hours_ago(9), hours_ago(5), hours_ago(1)]
    assert all(o["care_task_id"] != once_later for o in overdue)
    checked = client.post(
        "/api/v1/care_task_checks/", json={"care_task_id": every_4h, "due_at": overdue[0]["due_at"]}, headers=nurse
    )
    assert checked.status_code == 201, checked.get_json()
    assert checked.get_json()["result"]["done_by_id"] is not None
    left = client.get(f"/api/v1/care_tasks/overdue?patient_id={patient}", headers=nurse).get_json()["result"]
    assert len(left) == 2 and overdue[0]["due_at"] not in [o["due_at"] for o in left]
    twice = client.post(
        "/api/v1/care_task_checks/", json={"care_task_id": every_4h, "due_at": overdue[0]["due_at"]}, headers=nurse
    )
    assert twice.status_code == 409 and twice.get_json()["field"] == "due_at"


def test_a_check_off_at_a_time_the_task_does_not_plan_is_refused(client, api, sql_conn):
    patient = make_patient(sql_conn)
    task = plan(sql_conn, patient, hours_ago(6), 4)
    with pytest.raises(errors.CheckViolation) as refused:
        sql_conn.execute(
            "INSERT INTO care_task_checks (care_task_id, due_at) VALUES (%s, %s)",
            [task, hours_ago(6) + timedelta(hours=1)],
        )
    assert refused.value.diag.constraint_name == "care_task_checks_planned"
    answer = client.post(
        "/api/v1/care_task_checks/",
        json={"care_task_id": task, "due_at": (hours_ago(6) + timedelta(hours=1)).isoformat()},
        headers=api("nurse"),
    )
    assert answer.status_code == 422 and "due_at" in answer.get_json()["message"]


def test_a_doctor_plans_care_and_a_nurse_checks_it_off(client, api, sql_conn):
    patient = make_patient(sql_conn)
    body = {"patient_id": patient, "description": "Check the drain", "starts_at": hours_ago(2).isoformat()}
    planned = client.post("/api/v1/care_tasks/", json=body, headers=api("doctor"))
    assert planned.status_code == 201, planned.get_json()
    task = planned.get_json()["id"]
    check = {"care_task_id": task, "due_at": hours_ago(2).isoformat()}
    assert client.post("/api/v1/care_task_checks/", json=check, headers=api("doctor")).status_code == 403
    assert client.post("/api/v1/care_task_checks/", json=check, headers=api("nurse")).status_code == 201
    blank = client.post("/api/v1/care_tasks/", json={**body, "description": " "}, headers=api("nurse"))
    assert blank.status_code == 422 and "description" in blank.get_json()["message"]


def test_the_worklist_screen_lists_and_checks_off(client, login, sql_conn):
    from tests.conftest import csrf_token

    patient = make_patient(sql_conn)
    task = plan(sql_conn, patient, hours_ago(3), description="Turn the patient")
    login("nurse")
    page = client.get("/care/worklist/").get_data(as_text=True)
    assert "Turn the patient" in page and f'data-care-task-id="{task}"' in page
    client.post(
        "/care/worklist/check",
        data={"csrf_token": csrf_token(page), "care_task_id": task, "due_at": hours_ago(3).isoformat()},
    )
    assert sql_conn.execute("SELECT count(*) FROM care_task_checks WHERE care_task_id = %s", [task]).fetchone()[0] == 1
    assert "Turn the patient" not in client.get("/care/worklist/").get_data(as_text=True)
