"""A small clinic for the agenda screens' tests, and the calendar's way of
posting (JSON with the page's CSRF token)."""

import re

from tests.agenda import make_doctor, make_patient, make_room, next_weekday, paris, type_id, weekly_hours

MONDAY = next_weekday(1)


def at(hour: int, minute: int = 0, day=MONDAY):
    """An instant on the coming Monday (or `day`), Paris time."""
    return paris(day.year, day.month, day.day, hour, minute)


def wall(hour: int, minute: int = 0, day=MONDAY) -> str:
    """The same instant as the calendar sends and shows it: local wall time, no offset."""
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}:00"


def make_clinic(conn) -> dict:
    """Dr Paul Martin (linked to the `doctor` login) and Dr Anne Petit, both
    working Mon-Fri 9-12 and 14-18; patients Hélène Dubois and Luc Durand; a
    consultation room and an imaging room."""
    (doctor_user,) = conn.execute("SELECT id FROM ab_user WHERE username = 'doctor'").fetchone()
    martin = make_doctor(conn, "Martin", "Paul", specialty="Cardiology", user_id=doctor_user)
    petit = make_doctor(conn, "Petit", "Anne", specialty="Paediatrics")
    for doctor in (martin, petit):
        weekly_hours(conn, doctor)
    return {
        "conn": conn,
        "martin": martin,
        "petit": petit,
        "dubois": make_patient(conn, "Dubois", "Hélène", "F"),
        "durand": make_patient(conn, "Durand", "Luc", "M"),
        "room": make_room(conn, "CONS-9"),
        "imaging_room": make_room(conn, "IRM-9", "imaging"),
        "consultation": type_id(conn),
        "imaging": type_id(conn, "imaging"),
        "emergency": type_id(conn, "emergency"),
    }


def page_csrf_token(html: str) -> str:
    match = re.search(r'data-csrf-token="([^"]+)"', html) or re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def calendar_poster(client):
    """post(url, body) as the calendar's script does: JSON, X-CSRFToken from the calendar page."""
    page = client.get("/calendar/")
    assert page.status_code == 200, page.status_code
    token = page_csrf_token(page.get_data(as_text=True))

    def post(url: str, body: dict):
        return client.post(url, json=body, headers={"X-CSRFToken": token})

    return post


def appointment_row(conn, appointment_id: int):
    return conn.execute(
        "SELECT starts_at, duration_minutes, status, doctor_id, cancellation_reason FROM appointments WHERE id = %s",
        [appointment_id],
    ).fetchone()
