"""The calendar's feed says of each appointment what the appointment itself
says, whatever the way it is read (issue 22 read only the columns the
events show, in one query, with the statuses and the time zone worked out
once per request): every event is compared, key for key, with one spelled
out here from the ORM's own objects, the way the feed was written before,
for a secretary and a doctor, in English then in French in the same
process.  And the week costs the same few queries whatever the number of
doctors, through index scans."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from sqlalchemy import event

from app.agenda.calendar import MOVABLE_STATUSES, STATUS_COLOURS, local_wall_time, next_statuses
from app.agenda.models import STATUSES, TRANSITIONS, Appointment
from app.agenda.rules import patient_label
from app.core.extensions import db
from tests.agenda import book, make_doctor, make_patient, weekly_hours
from tests.agenda_screens import MONDAY, at, wall

PAST_MONDAY = MONDAY - timedelta(days=14)


def expected_event(appointment: Appointment, *, writable: bool) -> dict:
    """The event as the feed wrote it from whole ORM objects before issue 22."""
    status, room, patient = appointment.status, appointment.room, appointment.patient
    rebook = appointment.needs_rebooking
    return {
        "id": str(appointment.id),
        "title": f"{patient_label(patient)} · {appointment.type.name}"
        + (" · to be rebooked" if rebook and appointment.is_active else ""),
        "start": local_wall_time(appointment.starts_at),
        "end": local_wall_time(appointment.ends_at),
        "color": STATUS_COLOURS[status],
        "classNames": [f"ct-status-{status}", *(["ct-to-rebook"] if rebook else [])],
        "editable": writable and status in MOVABLE_STATUSES,
        "extendedProps": {
            "kind": "appointment",
            "status": status,
            "status_label": str(STATUSES[status]),
            "next_statuses": [
                {"code": s, "label": str(STATUSES[s])} for s in next_statuses(status, appointment.starts_at)
            ]
            if writable
            else [],
            "can_postpone": writable and "postponed" in TRANSITIONS.get(status, ()),
            "patient_id": appointment.patient_id,
            "patient": patient.full_name,
            "doctor_id": appointment.doctor_id,
            "doctor": appointment.doctor.display_name,
            "room_id": appointment.room_id,
            "room": f"{room.code} - {room.name}" if room else None,
            "type_id": appointment.type_id,
            "type": appointment.type.name,
            "duration_minutes": appointment.duration_minutes,
            "notes": appointment.notes,
            "cancellation_reason": appointment.cancellation_reason,
            "needs_rebooking": rebook,
            "absence_exception_reason": appointment.absence_exception_reason,
            "starts_at": appointment.starts_at.isoformat(),
            "ends_at": appointment.ends_at.isoformat(),
        },
    }


def book_every_kind(clinic) -> None:
    """Appointments in every status, ahead and past, with and without a room,
    notes, a reason, the to-be-rebooked mark; patients F, M and X."""
    conn, martin, petit = clinic["conn"], clinic["martin"], clinic["petit"]
    other = make_patient(conn, "Øster-Lünd", "Ærwin", "X")
    ahead = {
        "scheduled": book(conn, clinic["dubois"], martin, at(9), room_id=clinic["room"]),
        "confirmed": book(conn, clinic["durand"], martin, at(10), 45),
        "cancelled": book(conn, other, martin, at(11)),
        "rebook": book(conn, other, petit, at(15), kind="imaging", room_id=clinic["imaging_room"]),
        "exception": book(conn, clinic["durand"], petit, at(16)),
        "postponed": book(conn, clinic["dubois"], petit, at(14)),
    }
    past = {
        status: book(conn, other, petit, at(9, day=PAST_MONDAY) + timedelta(minutes=20 * n), 20)
        for n, status in enumerate(STATUSES)
    }
    conn.execute("UPDATE appointments SET notes = 'Fasting; bring the ECG' WHERE id = %s", [ahead["scheduled"]])
    conn.execute("UPDATE appointments SET status = 'confirmed' WHERE id = %s", [ahead["confirmed"]])
    conn.execute(
        "UPDATE appointments SET status = 'cancelled', cancellation_reason = 'Ill' WHERE id = %s", [ahead["cancelled"]]
    )
    conn.execute("UPDATE appointments SET needs_rebooking = true WHERE id = %s", [ahead["rebook"]])
    conn.execute("UPDATE appointments SET absence_exception_reason = 'Seen anyway' WHERE id = %s", [ahead["exception"]])
    later = book(conn, clinic["dubois"], petit, at(10, day=MONDAY + timedelta(days=1)))
    conn.execute(
        "UPDATE appointments SET status = 'postponed', postponed_to_id = %s WHERE id = %s", [later, ahead["postponed"]]
    )
    for status, appointment in past.items():
        if status == "completed":
            conn.execute("UPDATE appointments SET status = 'arrived' WHERE id = %s", [appointment])
        if status == "postponed":
            conn.execute("UPDATE appointments SET postponed_to_id = %s WHERE id = %s", [later, appointment])
        if status == "cancelled":
            conn.execute("UPDATE appointments SET cancellation_reason = 'Moved away' WHERE id = %s", [appointment])
        conn.execute("UPDATE appointments SET status = %s WHERE id = %s", [status, appointment])


def feed(client) -> list[dict]:
    response = client.get(
        "/calendar/events",
        query_string={"start": wall(0, day=PAST_MONDAY), "end": wall(0, day=MONDAY + timedelta(days=7)), "inactive": 1},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def check_feed(app, client, language: str, writable) -> None:
    events = [event for event in feed(client) if event["extendedProps"]["kind"] == "appointment"]
    with app.test_request_context(), force_locale(language):
        appointments = db.session.scalars(sa.select(Appointment).order_by(Appointment.starts_at, Appointment.id))
        expected = [expected_event(a, writable=writable(a.doctor_id)) for a in appointments]
    assert len(events) == 14
    assert events == expected


@pytest.mark.parametrize("user", ["secretary", "doctor"])
def test_every_event_is_what_the_appointment_says_in_the_users_language(app, client, login, clinic, user):
    """Key for key, in English then in French (the status labels of one
    language are never served to the other: issue 22 had cached them)."""
    book_every_kind(clinic)
    login(user)
    writable = (lambda _doctor: True) if user == "secretary" else (lambda doctor: doctor == clinic["martin"])
    check_feed(app, client, "en", writable)
    assert client.get("/lang/fr").status_code in (200, 302)
    check_feed(app, client, "fr", writable)
    labels = {event["extendedProps"]["status_label"] for event in feed(client)}
    assert "Programmé" in labels and "Scheduled" not in labels


def test_a_write_answers_the_feeds_own_event(client, login, clinic):
    from tests.agenda_screens import calendar_poster

    appointment = book(clinic["conn"], clinic["dubois"], clinic["martin"], at(10), room_id=clinic["room"])
    login("secretary")
    post = calendar_poster(client)
    answer = post(f"/calendar/appointments/{appointment}/status", {"status": "confirmed"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    [listed] = [e for e in feed(client) if e["id"] == str(appointment)]
    assert answer.get_json()["event"] == listed


def feed_statements(app, client) -> list[tuple[str, dict]]:
    captured = []

    def record(_conn, _cursor, statement, parameters, _context, _many):
        captured.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        feed(client)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return captured


def reads_appointments(statement: str) -> bool:
    return re.search(r"\bFROM appointments\b", statement) is not None


def test_the_week_costs_the_same_queries_whatever_the_number_of_doctors(app, client, login, clinic):
    """For a doctor too, whose right to move each event depends on the
    agenda: their staff link is read once, not once per doctor of the week."""
    conn = clinic["conn"]
    book(conn, clinic["dubois"], clinic["martin"], at(10))
    login("doctor")
    one_doctor = feed_statements(app, client)
    for n in range(3):
        doctor = make_doctor(conn, f"Other{n}", "Jo")
        weekly_hours(conn, doctor)
        book(conn, make_patient(conn, f"Patient{n}", "Al"), doctor, at(10))
    many_doctors = feed_statements(app, client)
    assert len(many_doctors) == len(one_doctor)
    assert sum(reads_appointments(statement) for statement, _ in many_doctors) == 1


def test_the_weeks_query_walks_the_starts_at_index_and_probes_each_patient(app, client, login, clinic, sql_conn):
    """Bounded on both sides on appointments_starts_at_idx (an appointment
    lasts at most 12 hours), each patient read through patients_pkey: never
    every appointment ending after the period's start, nor every patient."""
    book(clinic["conn"], clinic["dubois"], clinic["martin"], at(10))
    login("secretary")
    [(statement, parameters)] = [s for s in feed_statements(app, client) if reads_appointments(s[0])]
    sql_conn.execute("SET enable_seqscan = off")
    plan = "\n".join(row[0] for row in sql_conn.execute("EXPLAIN " + statement, parameters).fetchall())
    index_condition = next(line for line in plan.splitlines() if "Index Cond" in line and "starts_at" in line)
    assert "starts_at <" in index_condition and "starts_at >" in index_condition, plan
    assert "patients_pkey" in plan and "Nested Loop" in plan, plan
