"""The medication administration record: the day's planned doses come from
the signed line's frequency; one outcome per planned dose; a dose is never
given twice in its window, even by two nurses at the same moment on two
real connections (the database refuses the second); refused and held need a
reason (SQL CHECK, and a 422 naming the field); records never change; the
prescriber sees what was given on the prescription page."""

import threading
import time
from datetime import datetime, timedelta

import psycopg
import pytest
from psycopg import errors

from app.care import rules
from app.care.dosing import slots_on
from app.core.errors import Conflict
from app.core.extensions import db
from app.core.timezone import hospital_zone
from tests.care import actor, ward_with_line


def slot_of(app, frequency: str, index: int = 0):
    with app.app_context():
        zone = hospital_zone()
        return slots_on(frequency, datetime.now(zone).date(), zone)[index]


def insert_sql(conn, ward, slot, status="given", reason=None):
    return conn.execute(
        "INSERT INTO medication_administrations"
        " (patient_id, prescription_item_id, planned_at, dose_window, status, reason)"
        " VALUES (%s, %s, %s, tstzrange(%s, %s), %s, %s) RETURNING id",
        [ward["dubois"], ward["line"], slot.planned_at, slot.window_starts, slot.window_ends, status, reason],
    ).fetchone()[0]


def test_two_nurses_at_once_cannot_give_the_same_dose_twice(app, sql_conn, postgres_server, database_name):
    """Nurse A's dose is written but not committed when nurse B, through the
    rules on her own connection, records the same dose: B's check cannot see
    A's row, B's INSERT waits on A's, and once A commits the database refuses
    B's (409 naming planned_at).  One dose is recorded."""
    ward = ward_with_line(sql_conn)
    slot = slot_of(app, "twice a day")
    nurse = actor(sql_conn, "nurse")
    outcome = {}

    with psycopg.connect(postgres_server.conninfo(database_name)) as nurse_a:
        insert_sql(nurse_a, ward, slot)  # in an open transaction

        def nurse_b():
            with app.app_context():
                try:
                    rules.record_administration(
                        db.session, nurse, prescription_item_id=ward["line"], planned_at=slot.planned_at, status="given"
                    )
                    outcome["b"] = "recorded"
                except Conflict as refused:
                    outcome["b"] = refused
                finally:
                    db.session.remove()

        thread = threading.Thread(target=nurse_b)
        thread.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            waiting = sql_conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
                [database_name],
            ).fetchone()[0]
            if waiting:
                break
            time.sleep(0.05)
        assert waiting, "nurse B's INSERT should wait on nurse A's"
        nurse_a.commit()
        thread.join(10)

    assert isinstance(outcome["b"], Conflict)
    assert outcome["b"].field == "planned_at" and outcome["b"].status == 409
    count = sql_conn.execute("SELECT count(*) FROM medication_administrations").fetchone()[0]
    assert count == 1


def test_the_exclusion_constraint_refuses_a_second_dose_in_the_window_whoever_writes(
    sql_conn, app, postgres_server, database_name
):
    """Two raw connections, two different planned times whose windows overlap:
    the second given dose is refused by the exclusion constraint."""
    ward = ward_with_line(sql_conn)
    slot = slot_of(app, "twice a day")
    with (
        psycopg.connect(postgres_server.conninfo(database_name)) as a,
        psycopg.connect(postgres_server.conninfo(database_name)) as b,
    ):
        insert_sql(a, ward, slot)
        shifted = type(slot)(
            slot.planned_at + timedelta(minutes=20),
            slot.window_starts + timedelta(minutes=20),
            slot.window_ends + timedelta(minutes=20),
        )
        result = {}

        def second():
            try:
                insert_sql(b, ward, shifted)
                b.commit()
                result["b"] = "committed"
            except errors.ExclusionViolation as refused:
                result["b"] = refused.diag.constraint_name
                b.rollback()

        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.5)
        a.commit()
        thread.join(10)
    assert result["b"] == "medication_administrations_given_once"


def test_refused_or_held_without_a_reason_is_refused_by_the_database(sql_conn, app):
    ward = ward_with_line(sql_conn)
    slot = slot_of(app, "twice a day")
    for status in ("refused", "held"):
        with pytest.raises(errors.CheckViolation) as refused:
            insert_sql(sql_conn, ward, slot, status=status, reason="  ")
        assert refused.value.diag.constraint_name == "medication_administrations_reason_check"
    insert_sql(sql_conn, ward, slot, status="held", reason="Nil by mouth before surgery")


def test_a_recorded_dose_never_changes(sql_conn, app):
    ward = ward_with_line(sql_conn)
    record = insert_sql(sql_conn, ward, slot_of(app, "twice a day"))
    with pytest.raises(errors.CheckViolation) as refused:
        sql_conn.execute(
            "UPDATE medication_administrations SET status = 'refused', reason = 'x' WHERE id = %s", [record]
        )
    assert refused.value.diag.constraint_name == "medication_administrations_recorded"


def test_a_dose_of_a_draft_prescription_is_refused_by_the_database(sql_conn, app):
    ward = ward_with_line(sql_conn)
    sql_conn.execute(
        "UPDATE prescriptions SET status = 'cancelled', cancellation_reason = 'test',"
        " cancelled_at = now() WHERE id = (SELECT prescription_id FROM prescription_items WHERE id = %s)",
        [ward["line"]],
    )
    with pytest.raises(errors.CheckViolation) as refused:
        insert_sql(sql_conn, ward, slot_of(app, "twice a day"))
    assert refused.value.diag.constraint_name == "medication_administrations_in_force"


def test_the_api_plans_the_days_doses_and_records_them(client, api, sql_conn, app):
    ward = ward_with_line(sql_conn, "3 times a day")
    nurse = api("nurse")
    planned = client.get(f"/api/v1/administrations/planned?patient_id={ward['dubois']}", headers=nurse)
    assert planned.status_code == 200, planned.get_json()
    doses = planned.get_json()["result"]
    assert [d["planned_at"][11:16] for d in doses] == ["08:00", "13:00", "20:00"]
    body = {"prescription_item_id": ward["line"], "planned_at": doses[0]["planned_at"], "status": "given"}
    assert client.post("/api/v1/administrations/", json=body, headers=nurse).status_code == 201
    again = client.post("/api/v1/administrations/", json=body, headers=nurse)
    assert again.status_code == 409 and again.get_json()["field"] == "planned_at"
    held = {**body, "planned_at": doses[1]["planned_at"], "status": "held"}
    no_reason = client.post("/api/v1/administrations/", json=held, headers=nurse)
    assert no_reason.status_code == 422 and "reason" in no_reason.get_json()["message"]
    assert (
        client.post("/api/v1/administrations/", json={**held, "reason": "Patient asleep"}, headers=nurse).status_code
        == 201
    )
    off_slot = {**body, "planned_at": doses[2]["planned_at"].replace("20:00", "19:10")}
    answer = client.post("/api/v1/administrations/", json=off_slot, headers=nurse)
    assert answer.status_code == 422 and "planned_at" in answer.get_json()["message"]
    again = client.get(f"/api/v1/administrations/planned?patient_id={ward['dubois']}", headers=nurse).get_json()
    assert [d["record"]["status"] if d["record"] else None for d in again["result"]] == ["given", "held", None]


def test_the_prescriber_sees_what_was_given_on_the_prescription_page(client, login, sql_conn, app):
    ward = ward_with_line(sql_conn)
    insert_sql(sql_conn, ward, slot_of(app, "twice a day"))
    prescription = sql_conn.execute(
        "SELECT prescription_id FROM prescription_items WHERE id = %s", [ward["line"]]
    ).fetchone()[0]
    login("doctor")
    page = client.get(f"/prescriptions/show/{prescription}").get_data(as_text=True)
    assert "ct-administrations" in page and "administration-given" in page
    answer = client.get(f"/api/v1/administrations/?prescription_id={prescription}")
    assert answer.status_code == 200 and [r["status"] for r in answer.get_json()["result"]] == ["given"]


def test_a_doctor_reads_the_record_but_does_not_write_it(client, api, sql_conn, app):
    ward = ward_with_line(sql_conn)
    slot = slot_of(app, "twice a day")
    body = {"prescription_item_id": ward["line"], "planned_at": slot.planned_at.isoformat(), "status": "given"}
    assert client.post("/api/v1/administrations/", json=body, headers=api("doctor")).status_code == 403
    assert (
        client.get(f"/api/v1/administrations/planned?patient_id={ward['dubois']}", headers=api("doctor")).status_code
        == 200
    )


def test_the_medication_round_screen_records_and_explains_a_refusal(client, login, sql_conn, app):
    from tests.conftest import csrf_token

    ward = ward_with_line(sql_conn, "once a day")
    slot = slot_of(app, "once a day")
    login("nurse")
    page = client.get(f"/care/rounds/?patient_id={ward['dubois']}").get_data(as_text=True)
    assert f'data-item-id="{ward["line"]}"' in page and "Paracetamol" in page
    form = {
        "csrf_token": csrf_token(page),
        "patient_id": ward["dubois"],
        "prescription_item_id": ward["line"],
        "planned_at": slot.planned_at.isoformat(),
        "status": "held",
        "reason": "",
    }
    refused = client.post("/care/rounds/record", data=form, follow_redirects=True).get_data(as_text=True)
    assert "reason: Say why the dose was held." in refused
    assert sql_conn.execute("SELECT count(*) FROM medication_administrations").fetchone()[0] == 0
    client.post("/care/rounds/record", data={**form, "status": "given"})
    assert sql_conn.execute("SELECT status FROM medication_administrations").fetchall() == [("given",)]


def test_the_openapi_spec_lists_the_care_endpoints(client, api):
    paths = client.get("/api/v1/_openapi", headers=api("admin")).get_json()["paths"]
    for path in (
        "/care_tasks/",
        "/care_tasks/overdue",
        "/care_task_checks/",
        "/administrations/",
        "/administrations/planned",
        "/vaccinations/",
        "/vaccinations/due",
        "/vaccines/",
    ):
        assert f"/api/v1{path}" in paths, path
