"""Vaccinations: due and overdue doses computed from the calendar table
(the shipped French calendar, loaded by its importer) for patients of
several ages and the doses they were given; a dose given removes what was
due and its reminder; reminders go once through the job queue to a real
local SMTP server; the API refuses what the database would (422 naming
the field)."""

from datetime import date, timedelta

import pytest

from app.care import rules
from app.core.actor import SYSTEM
from app.core.extensions import db, mail
from app.jobs.queue import job_queue, run_worker
from tests.care import give, load_reference, patient_aged, vaccine_id
from tests.conftest import browser_logout
from tests.smtp import free_port, start_smtp

TODAY = date.today()


def due_codes(app, patient_id: int) -> dict[str, str]:
    with app.app_context():
        try:
            return {d.step.code: d.status for d in rules.vaccinations_due(db.session, SYSTEM, patient_id, TODAY)}
        finally:
            db.session.remove()


@pytest.fixture
def calendar(app, sql_conn):
    """The shipped vaccine reference and French calendar."""
    load_reference(app)
    return sql_conn


def test_an_infant_of_three_months_is_due_the_first_doses(app, calendar):
    infant = patient_aged(calendar, 3, today=TODAY)
    due = due_codes(app, infant)
    assert due["dtp-infant-1"] == "overdue"  # due at 2 months, overdue a month later
    assert due["menb-infant-1"] == "due"  # due at 3 months
    assert "dtp-infant-2" not in due and "mmr-1" not in due
    give(calendar, infant, "HEXAVALENT", TODAY - timedelta(days=20))
    give(calendar, infant, "PCV13", TODAY - timedelta(days=20))
    after = due_codes(app, infant)
    assert not {"dtp-infant-1", "hepb-infant-1", "hib-infant-1", "pneumo-infant-1"} & set(after)
    assert "menb-infant-1" in after


def test_a_late_infant_series_still_asks_for_the_missing_dose(app, calendar):
    toddler = patient_aged(calendar, 14, today=TODAY)
    give(calendar, toddler, "HEXAVALENT", TODAY - timedelta(days=30))  # one dose only, at 13 months
    due = due_codes(app, toddler)
    # One dose stands for the latest step (11 months); the two earlier ones are still asked for.
    assert "dtp-infant-3" not in due and due["dtp-infant-1"] == "overdue" and due["dtp-infant-2"] == "overdue"


def test_adults_are_due_the_age_boosters(app, calendar):
    at_26 = patient_aged(calendar, 26 * 12, today=TODAY)
    at_66 = patient_aged(calendar, 66 * 12, today=TODAY)
    at_80 = patient_aged(calendar, 80 * 12, today=TODAY)
    assert due_codes(app, at_26)["dtp-25y"] == "overdue"
    assert "influenza-65y-yearly" not in due_codes(app, at_26)
    senior = due_codes(app, at_66)
    assert senior["dtp-65y"] == "overdue" and senior["influenza-65y-yearly"] == "due"
    assert "dtp-25y" not in senior and "mmr-1" not in senior  # past the catch-up ages
    assert due_codes(app, at_80)["dtp-75y-every-10y"] == "overdue"
    give(calendar, at_80, "DTP", TODAY - timedelta(days=2 * 365))  # at 78: covers the 75-year booster
    assert "dtp-75y-every-10y" not in due_codes(app, at_80)
    give(calendar, at_66, "DTP", TODAY)
    give(calendar, at_66, "FLU", TODAY)
    assert not {"dtp-65y", "influenza-65y-yearly"} & set(due_codes(app, at_66))


def test_the_api_shows_due_vaccinations_and_records_one(client, api, calendar):
    patient = patient_aged(calendar, 66 * 12, today=TODAY)
    nurse = api("nurse")
    due = client.get(f"/api/v1/vaccinations/due?patient_id={patient}", headers=nurse).get_json()["result"]
    assert "dtp-65y" in {d["code"] for d in due}
    body = {
        "patient_id": patient,
        "vaccine_id": vaccine_id(calendar, "DTP"),
        "given_on": TODAY.isoformat(),
        "lot_number": "X123",
        "site": "left_deltoid",
    }
    no_lot = client.post("/api/v1/vaccinations/", json={**body, "lot_number": " "}, headers=nurse)
    assert no_lot.status_code == 422 and "lot_number" in no_lot.get_json()["message"]
    future = client.post("/api/v1/vaccinations/", json={**body, "given_on": "2999-01-01"}, headers=nurse)
    assert future.status_code == 422 and "given_on" in future.get_json()["message"]
    given = client.post("/api/v1/vaccinations/", json=body, headers=nurse)
    assert given.status_code == 201, given.get_json()
    assert given.get_json()["result"]["given_by_id"] is not None
    due = client.get(f"/api/v1/vaccinations/due?patient_id={patient}", headers=nurse).get_json()["result"]
    assert "dtp-65y" not in {d["code"] for d in due}


def test_the_patient_page_shows_the_overdue_booster(client, login, calendar):
    patient = patient_aged(calendar, 66 * 12, today=TODAY)
    login("doctor")
    page = client.get(f"/patients/show/{patient}").get_data(as_text=True)
    assert 'data-step="dtp-65y"' in page and "vaccination-overdue" in page
    browser_logout(client)
    login("secretary")
    assert "patient-vaccinations-due" not in client.get(f"/patients/show/{patient}").get_data(as_text=True)


def test_the_patient_record_sheet_lists_vaccinations_given_and_due_for_who_may_read_them(app, calendar):
    from tests.documents import issue, pdf_text

    patient = patient_aged(calendar, 66 * 12, today=TODAY)
    give(calendar, patient, "FLU", TODAY - timedelta(days=10))
    by_doctor = pdf_text(issue(app, "doctor", patient_id=patient, kind="patient_record", fields={}).content)
    assert "Vaccinations" in by_doctor and "en retard" in by_doctor  # the 65-year dTP booster
    assert calendar.execute("SELECT name FROM vaccines WHERE code = 'FLU'").fetchone()[0].split(" ")[0] in by_doctor
    by_secretary = pdf_text(issue(app, "secretary", patient_id=patient, kind="patient_record", fields={}).content)
    assert "Vaccinations" not in by_secretary and "en retard" not in by_secretary


@pytest.fixture
def smtp(app):
    port = free_port()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    app.extensions["mail"] = mail.init_mail(app.config)
    controller, inbox = start_smtp(port)
    yield inbox
    controller.stop()


def plan_and_send(app) -> None:
    """What the worker's daily task does, then the queue's mail jobs."""
    from app.care.reminders import plan_due
    from app.core.actor import acting_as
    from app.jobs.registry import WORKER

    with app.app_context(), acting_as(WORKER):
        try:
            plan_due(db.session)
        finally:
            db.session.remove()
    run_worker(job_queue(app), wait=False, install_signal_handlers=False, listen_notify=False)


def reminder_statuses(conn, patient_id: int) -> list[str]:
    rows = conn.execute("SELECT status FROM vaccination_reminders WHERE patient_id = %s", [patient_id]).fetchall()
    return sorted({status for (status,) in rows})


def test_reminders_are_mailed_once_and_a_dose_given_cancels_its_reminder(app, calendar, smtp):
    senior = patient_aged(calendar, 66 * 12, today=TODAY, last_name="Senior", email="senior@example.test")
    no_mail = patient_aged(calendar, 66 * 12, today=TODAY, last_name="Sansmail")
    up_to_date = patient_aged(calendar, 50 * 12, today=TODAY, last_name="Ajour", email="ajour@example.test")
    give(calendar, up_to_date, "DTP", TODAY - timedelta(days=365 * 5))  # at 45
    plan_and_send(app)
    plan_and_send(app)
    (message,) = smtp.to("senior@example.test")
    body = message.get_body(("plain",)).get_content()
    assert message["Subject"] == "Rappel : vaccination recommandée" and "dTP booster (65 years)" in body
    assert smtp.to("ajour@example.test") == []
    assert reminder_statuses(calendar, senior) == ["sent"]
    assert reminder_statuses(calendar, no_mail) == ["skipped"]

    # A reminder planned, then the dose given before the mail goes: cancelled, nothing sent.
    late = patient_aged(calendar, 70 * 12, today=TODAY, last_name="Tardif", email="tardif@example.test")
    from app.care.reminders import plan_due

    with app.app_context():
        try:
            plan_due(db.session)
        finally:
            db.session.remove()
    for code in ("DTP", "FLU", "ZOSTER"):
        give(calendar, late, code, TODAY)
    give(calendar, late, "ZOSTER", TODAY - timedelta(days=90))
    run_worker(job_queue(app), wait=False, install_signal_handlers=False, listen_notify=False)
    assert smtp.to("tardif@example.test") == []
    assert reminder_statuses(calendar, late) == ["cancelled"]
    assert rules_due_is_empty(app, late)


def rules_due_is_empty(app, patient_id: int) -> bool:
    return due_codes(app, patient_id) == {}
