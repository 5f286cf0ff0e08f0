"""Postponing from the screens: the appointment's page and the calendar's
popup open the slot finder started from the appointment; one click on a
free slot books the new appointment and marks the old one postponed, linked
to it, in one transaction (postpone_appointment).  The edit form no longer
offers "Postponed" as a bare status."""

import re

from tests.agenda import book
from tests.agenda_screens import MONDAY, at, page_csrf_token
from tests.conftest import browser_logout, csrf_token

SLOT_ROWS = re.compile(r'<tr class="ct-slot" data-starts-at="([^"]+)" data-doctor-id="(\d+)">')


def row(conn, appointment: int):
    return conn.execute("SELECT status, postponed_to_id FROM appointments WHERE id = %s", [appointment]).fetchone()


def postpone_page(client, appointment: int, **params):
    return client.get("/find-slot/", query_string={"postpone": appointment, "from": MONDAY.isoformat(), **params})


def test_the_appointment_page_offers_postpone_to_those_who_write_the_agenda(client, login, clinic):
    conn = clinic["conn"]
    appointment = book(conn, clinic["dubois"], clinic["martin"], at(10))
    cancelled = book(conn, clinic["durand"], clinic["martin"], at(11))
    conn.execute("UPDATE appointments SET status = 'cancelled', cancellation_reason = 'ill' WHERE id = %s", [cancelled])
    login("secretary")
    page = client.get(f"/appointments/show/{appointment}").get_data(as_text=True)
    assert f'href="/find-slot/?postpone={appointment}"' in page
    assert "postpone=" not in client.get(f"/appointments/show/{cancelled}").get_data(as_text=True)
    browser_logout(client)
    login("nurse")
    assert "postpone=" not in client.get(f"/appointments/show/{appointment}").get_data(as_text=True)


def test_the_slot_finder_starts_from_the_appointment_and_postpones_in_one_click(client, login, clinic):
    conn = clinic["conn"]
    old = book(conn, clinic["dubois"], clinic["martin"], at(9), room_id=clinic["room"])
    login("secretary")
    page = postpone_page(client, old)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Postpone an appointment" in html and "DUBOIS Hélène" in html
    slots = SLOT_ROWS.findall(html)
    # Dr Martin's next free 30 minutes, the old appointment's time still held until it is moved.
    assert slots[0] == (at(9, 30).isoformat(), str(clinic["martin"]))
    assert 'action="/find-slot/postpone"' in html and "/find-slot/book" not in html
    answer = client.post(
        "/find-slot/postpone",
        data={
            "csrf_token": page_csrf_token(html),
            "appointment_id": old,
            "doctor_id": clinic["martin"],
            "starts_at": at(14).isoformat(),
            "duration": "30",
            "room_id": str(clinic["room"]),
            "search": "",
        },
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    status, new = row(conn, old)
    assert status == "postponed" and new is not None
    assert answer.headers["Location"].endswith(f"/appointments/show/{new}")
    assert conn.execute(
        "SELECT patient_id, doctor_id, room_id, starts_at, status FROM appointments WHERE id = %s", [new]
    ).fetchone() == (clinic["dubois"], clinic["martin"], clinic["room"], at(14), "scheduled")
    shown = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert f"Postponed: DUBOIS Hélène now sees Dr Paul MARTIN on {MONDAY:%d/%m/%Y} at 14:00" in shown
    # Once postponed, the page says so and offers no slot to move it again.
    again = postpone_page(client, old).get_data(as_text=True)
    assert "can no longer be postponed" in again and 'action="/find-slot/postpone"' not in again


def test_a_slot_taken_meanwhile_leaves_both_appointments_as_they_were(client, login, clinic):
    conn = clinic["conn"]
    old = book(conn, clinic["dubois"], clinic["martin"], at(9))
    login("secretary")
    html = postpone_page(client, old).get_data(as_text=True)
    book(conn, clinic["durand"], clinic["martin"], at(14))  # someone else was quicker
    answer = client.post(
        "/find-slot/postpone",
        data={
            "csrf_token": page_csrf_token(html),
            "appointment_id": old,
            "doctor_id": clinic["martin"],
            "starts_at": at(14).isoformat(),
            "duration": "30",
            "search": f"from={MONDAY}",
        },
    )
    assert answer.status_code == 409
    assert "Dr Paul MARTIN already sees M. Durand" in answer.get_data(as_text=True)
    assert row(conn, old) == ("scheduled", None)
    assert conn.execute("SELECT count(*) FROM appointments").fetchone()[0] == 2


def test_a_doctor_cannot_postpone_another_doctors_appointment(client, login, clinic):
    conn = clinic["conn"]
    old = book(conn, clinic["dubois"], clinic["petit"], at(9))
    login("doctor")
    html = postpone_page(client, old).get_data(as_text=True)
    answer = client.post(
        "/find-slot/postpone",
        data={
            "csrf_token": page_csrf_token(html),
            "appointment_id": old,
            "doctor_id": clinic["petit"],
            "starts_at": at(14).isoformat(),
            "duration": "30",
        },
    )
    assert answer.status_code == 403
    assert row(conn, old) == ("scheduled", None)


def test_the_calendar_popup_links_to_postponing(client, login, clinic):
    conn = clinic["conn"]
    appointment = book(conn, clinic["dubois"], clinic["martin"], at(10))
    login("secretary")
    page = client.get("/calendar/").get_data(as_text=True)
    assert '"postpone": "/find-slot/?postpone=__ID__"' in page
    start, end = at(0).replace(tzinfo=None).isoformat(), at(23).replace(tzinfo=None).isoformat()
    [event] = client.get(f"/calendar/events?start={start}&end={end}").get_json()
    assert event["id"] == str(appointment) and event["extendedProps"]["can_postpone"] is True
    browser_logout(client)
    login("nurse")
    [event] = client.get(f"/calendar/events?start={start}&end={end}").get_json()
    assert event["extendedProps"]["can_postpone"] is False


def test_the_edit_form_no_longer_offers_postponed_as_a_bare_status(client, login, clinic):
    conn = clinic["conn"]
    appointment = book(conn, clinic["dubois"], clinic["martin"], at(10))
    login("secretary")
    url = f"/appointments/edit/{appointment}"
    page = client.get(url).get_data(as_text=True)
    status_select = page[page.index('name="status"') :].split("</select>")[0]
    assert 'value="postponed"' not in status_select and 'value="confirmed"' in status_select
    assert "To postpone, use Postpone on the appointment" in page
    fields = {
        "doctor": clinic["martin"],
        "type": clinic["consultation"],
        "starts_at": f"{MONDAY}T10:00",
        "duration_minutes": "30",
        "room": "__None",
        "status": "postponed",
        "cancellation_reason": "",
        "notes": "",
        "override_reason": "",
        "csrf_token": csrf_token(page),
    }
    html = client.post(url, data=fields, follow_redirects=True).get_data(as_text=True)
    assert "use the Postpone button" in html
    assert row(conn, appointment) == ("scheduled", None)


def test_a_postponed_appointments_notes_can_still_be_edited(client, login, clinic):
    conn = clinic["conn"]
    old = book(conn, clinic["dubois"], clinic["martin"], at(10))
    new = book(conn, clinic["dubois"], clinic["martin"], at(15))
    conn.execute("UPDATE appointments SET status = 'postponed', postponed_to_id = %s WHERE id = %s", [new, old])
    login("secretary")
    url = f"/appointments/edit/{old}"
    page = client.get(url).get_data(as_text=True)
    status_select = page[page.index('name="status"') :].split("</select>")[0]
    assert 'selected value="postponed"' in status_select
    fields = {
        "doctor": clinic["martin"],
        "type": clinic["consultation"],
        "starts_at": f"{MONDAY}T10:00",
        "duration_minutes": "30",
        "room": "__None",
        "status": "postponed",
        "cancellation_reason": "",
        "notes": "Asked by the patient",
        "override_reason": "",
        "opened_version": "2",
        "csrf_token": csrf_token(page),
    }
    html = client.post(url, data=fields, follow_redirects=True).get_data(as_text=True)
    assert " saved." in html, html[html.find("alert") : html.find("alert") + 400]
    assert conn.execute("SELECT notes FROM appointments WHERE id = %s", [old]).fetchone() == ("Asked by the patient",)
