"""Arrived and Completed are for today's appointments (hospital time) or
past ones: the database refuses a day still to come (trigger
appointments_arrival_day, migration 0041), the rules say so in plain words,
the API answers 422 on the status, the edit form shows it on the field, and
the calendar's popup does not offer them ahead of the day."""

from datetime import date, datetime, time, timedelta

import pytest
from psycopg import errors

from app.agenda import rules as agenda
from app.core.actor import Actor
from app.core.errors import ConstraintViolation
from app.core.extensions import db
from tests.agenda import PARIS, book, weekly_hours
from tests.agenda_screens import MONDAY, at, calendar_poster
from tests.conftest import csrf_token


def today_paris() -> date:
    return datetime.now(PARIS).date()


def every_day(conn, doctor: int) -> None:
    """Dr Petit also works around the clock, every day (today is bookable whatever the weekday)."""
    conn.execute("DELETE FROM doctor_schedule WHERE doctor_id = %s", [doctor])
    weekly_hours(conn, doctor, days=range(1, 8), ranges=((time(0), time(23, 59)),))


def today_at_midnight() -> datetime:
    day = today_paris()
    return datetime(day.year, day.month, day.day, 0, 0, tzinfo=PARIS)


def status_of(conn, appointment: int) -> str:
    return conn.execute("SELECT status FROM appointments WHERE id = %s", [appointment]).fetchone()[0]


def test_the_database_refuses_arrived_ahead_of_the_day(clinic):
    conn = clinic["conn"]
    ahead = book(conn, clinic["dubois"], clinic["martin"], at(10))
    with pytest.raises(errors.CheckViolation) as refused:
        conn.execute("UPDATE appointments SET status = 'arrived' WHERE id = %s", [ahead])
    assert refused.value.diag.constraint_name == "appointments_arrival_day"
    assert status_of(conn, ahead) == "scheduled"


def test_the_database_allows_arrived_then_completed_today_and_for_a_past_day(clinic):
    conn = clinic["conn"]
    every_day(conn, clinic["petit"])
    today = book(conn, clinic["dubois"], clinic["petit"], today_at_midnight(), 5)
    past = book(conn, clinic["durand"], clinic["martin"], at(10, day=MONDAY - timedelta(days=14)))
    for appointment in (today, past):
        conn.execute("UPDATE appointments SET status = 'arrived' WHERE id = %s", [appointment])
        conn.execute("UPDATE appointments SET status = 'completed' WHERE id = %s", [appointment])
        assert status_of(conn, appointment) == "completed"


def test_an_arrived_appointment_cannot_be_moved_to_a_day_ahead(clinic):
    conn = clinic["conn"]
    every_day(conn, clinic["petit"])
    today = book(conn, clinic["dubois"], clinic["petit"], today_at_midnight(), 5)
    conn.execute("UPDATE appointments SET status = 'arrived' WHERE id = %s", [today])
    with pytest.raises(errors.CheckViolation) as refused:
        conn.execute("UPDATE appointments SET starts_at = starts_at + interval '3 days' WHERE id = %s", [today])
    assert refused.value.diag.constraint_name == "appointments_arrival_day"


def test_the_rules_refuse_arrived_ahead_of_the_day_in_plain_words(app, clinic):
    ahead = book(clinic["conn"], clinic["dubois"], clinic["martin"], at(10))
    with app.app_context():
        secretary = Actor.of(app.appbuilder.sm.find_user(username="secretary"))
        with pytest.raises(ConstraintViolation) as refused:
            agenda.set_status(db.session, secretary, ahead, "arrived")
        assert refused.value.field == "status"
        assert f"on {MONDAY:%d/%m/%Y}" in refused.value.message and "not before" in refused.value.message
    assert status_of(clinic["conn"], ahead) == "scheduled"


def test_the_api_answers_422_on_the_status(client, api, clinic):
    ahead = book(clinic["conn"], clinic["dubois"], clinic["martin"], at(10))
    response = client.put(f"/api/v1/appointments/{ahead}", json={"status": "arrived"}, headers=api("secretary"))
    assert response.status_code == 422
    assert "not before" in response.get_json()["message"]["status"][0]
    assert status_of(clinic["conn"], ahead) == "scheduled"


def test_the_edit_form_shows_the_refusal_on_the_status(client, login, clinic):
    ahead = book(clinic["conn"], clinic["dubois"], clinic["martin"], at(10))
    login("secretary")
    url = f"/appointments/edit/{ahead}"
    page = client.get(url).get_data(as_text=True)
    fields = {
        "doctor": clinic["martin"],
        "type": clinic["consultation"],
        "starts_at": f"{MONDAY}T10:00",
        "duration_minutes": "30",
        "room": "__None",
        "status": "arrived",
        "cancellation_reason": "",
        "notes": "",
        "override_reason": "",
        "opened_version": "1",
        "csrf_token": csrf_token(page),
    }
    html = client.post(url, data=fields, follow_redirects=True).get_data(as_text=True)
    assert "not before" in html
    assert status_of(clinic["conn"], ahead) == "scheduled"


def test_the_calendar_popup_offers_arrived_only_on_the_day(client, login, clinic):
    conn = clinic["conn"]
    every_day(conn, clinic["petit"])
    ahead = book(conn, clinic["dubois"], clinic["martin"], at(10))
    today = book(conn, clinic["durand"], clinic["petit"], today_at_midnight(), 5)
    login("secretary")
    post = calendar_poster(client)
    start = min(today_at_midnight(), at(0)).replace(tzinfo=None).isoformat()
    end = (max(today_at_midnight(), at(0)) + timedelta(days=1)).replace(tzinfo=None).isoformat()
    events = client.get(f"/calendar/events?start={start}&end={end}").get_json()
    offered = {
        e["id"]: [s["code"] for s in e["extendedProps"]["next_statuses"]] for e in events if "absence" not in e["id"]
    }
    assert "arrived" not in offered[str(ahead)] and "confirmed" in offered[str(ahead)]
    assert "arrived" in offered[str(today)]
    refused = post(f"/calendar/appointments/{ahead}/status", {"status": "arrived"})
    assert refused.status_code == 422 and "not before" in refused.get_json()["message"]
