"""Calling a waiting patient in, in a real browser: the doctor presses Call
(on their home or on the appointment's page) or the secretary does, and the
secretary's open home shows "called at 10:42 by Dr Martin" without reloading."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.agenda import book
from tests.agenda_screens import make_clinic


@pytest.fixture
def waiting_room(sql_conn):
    """Hélène Dubois arrived today for Dr Martin (the `doctor` login)."""
    clinic = make_clinic(sql_conn)
    zone = ZoneInfo(sql_conn.execute("SELECT hospital_time_zone()").fetchone()[0])
    starts = datetime.combine(datetime.now(zone).date(), datetime.min.time(), zone) + timedelta(hours=10)
    appointment = book(sql_conn, clinic["dubois"], clinic["martin"], starts, kind="emergency", override_reason="test")
    sql_conn.execute("UPDATE appointments SET status = 'arrived' WHERE id = %s", [appointment])
    return {**clinic, "appointment": appointment}


def waiting_row(page, appointment_id):
    return page.locator(f"[data-live-part=waiting_room] tr[data-appointment-id='{appointment_id}']")


def test_the_doctors_call_reaches_the_secretarys_open_home(sign_in, other_browser, live_server, waiting_room):
    reception = sign_in("secretary")
    reception.goto(f"{live_server}/")
    row = waiting_row(reception, waiting_room["appointment"])
    assert "Not yet" in row.inner_text()
    reception.locator("html[data-live=connected]").wait_for(state="attached")
    reception.evaluate("window.notReloaded = true")

    doctor = other_browser("doctor")
    doctor.goto(f"{live_server}/")
    mine = doctor.locator(f"[data-live-part=waiting] tr[data-appointment-id='{waiting_room['appointment']}']")
    with doctor.expect_navigation():
        mine.locator("button[data-action=call]").click()
    assert re.search(r"called at \d\d:\d\d by Dr Martin", mine.inner_text())

    row.locator(".waiting-called-label").wait_for(timeout=8000)
    assert re.search(r"called at \d\d:\d\d by Dr Martin", row.inner_text())
    assert reception.evaluate("window.notReloaded") is True  # no reload: the list was refreshed live


def test_the_secretary_calls_from_the_waiting_room(sign_in, live_server, waiting_room):
    reception = sign_in("secretary")
    reception.goto(f"{live_server}/")
    row = waiting_row(reception, waiting_room["appointment"])
    with reception.expect_navigation():
        row.locator("button[data-action=call]").click()
    assert re.search(
        r"called at \d\d:\d\d by Secretary", waiting_row(reception, waiting_room["appointment"]).inner_text()
    )


def test_the_doctor_calls_from_the_appointments_page(sign_in, live_server, waiting_room, sql_conn):
    doctor = sign_in("doctor")
    doctor.goto(f"{live_server}/appointments/show/{waiting_room['appointment']}")
    with doctor.expect_navigation():
        doctor.locator("button.appointment-call").click()
    assert "/appointments/show/" in doctor.url
    called = sql_conn.execute(
        "SELECT called_at IS NOT NULL FROM appointments WHERE id = %s", [waiting_room["appointment"]]
    ).fetchone()[0]
    assert called
    assert doctor.locator("text=Called in at").count() >= 1


def test_no_call_button_for_a_patient_not_arrived(sign_in, live_server, waiting_room, sql_conn):
    other = book(
        sql_conn,
        waiting_room["durand"],
        waiting_room["martin"],
        datetime.now(ZoneInfo("UTC")) + timedelta(days=1, hours=1),
        kind="emergency",
        override_reason="test",
    )
    doctor = sign_in("doctor")
    doctor.goto(f"{live_server}/appointments/show/{other}")
    assert doctor.locator("button.appointment-call").count() == 0


@pytest.fixture
def expected_today(sql_conn):
    """Hélène Dubois expected by Dr Martin now (the reception home lists the
    arrivals due from an hour late on), not yet arrived."""
    clinic = make_clinic(sql_conn)
    zone = ZoneInfo(sql_conn.execute("SELECT hospital_time_zone()").fetchone()[0])
    starts = datetime.now(zone).replace(second=0, microsecond=0)
    appointment = book(sql_conn, clinic["dubois"], clinic["martin"], starts, kind="emergency", override_reason="test")
    return {**clinic, "appointment": appointment}


def arrival_row(page, appointment_id):
    return page.locator(f"[data-live-part=to_check_in] li[data-appointment-id='{appointment_id}']")


def test_the_secretary_checks_a_patient_in_from_her_home(sign_in, live_server, expected_today, sql_conn):
    reception = sign_in("secretary")
    reception.goto(f"{live_server}/")
    assert waiting_row(reception, expected_today["appointment"]).count() == 0
    day_status = reception.locator(
        f"[data-live-part=days] .home-day li[data-appointment-id='{expected_today['appointment']}'] .home-status"
    ).first
    assert day_status.inner_text().strip() != "Arrived"
    reception.evaluate("window.notReloaded = true")
    arrival_row(reception, expected_today["appointment"]).locator("button[data-action=check-in]").click()

    row = waiting_row(reception, expected_today["appointment"])
    row.wait_for(timeout=8000)
    cells = row.locator("td")
    assert "DUBOIS" in cells.nth(0).inner_text()
    assert re.fullmatch(r"\d\d:\d\d", cells.nth(3).inner_text().strip()), "waiting since"
    assert "Not yet" in row.inner_text()
    assert arrival_row(reception, expected_today["appointment"]).count() == 0
    assert "Patient checked in." in reception.locator(".home-messages").inner_text()
    assert day_status.inner_text().strip() == "Arrived", "the day's list of the doctor follows the check-in"
    assert reception.evaluate("window.notReloaded") is True  # no reload: the lists were redrawn
    status = sql_conn.execute(
        "SELECT status FROM appointments WHERE id = %s", [expected_today["appointment"]]
    ).fetchone()[0]
    assert status == "arrived"


def test_a_refused_check_in_is_shown_as_a_message(sign_in, live_server, expected_today, sql_conn):
    reception = sign_in("secretary")
    reception.goto(f"{live_server}/")
    button = arrival_row(reception, expected_today["appointment"]).locator("button[data-action=check-in]")
    sql_conn.execute(  # cancelled at another desk meanwhile: cancelled never turns arrived
        "UPDATE appointments SET status = 'cancelled', cancellation_reason = 'test' WHERE id = %s",
        [expected_today["appointment"]],
    )
    button.click()
    reception.locator(".home-messages .alert-danger").wait_for(timeout=8000)
    assert "not allowed" in reception.locator(".home-messages").inner_text()
    assert waiting_row(reception, expected_today["appointment"]).count() == 0
    status = sql_conn.execute(
        "SELECT status FROM appointments WHERE id = %s", [expected_today["appointment"]]
    ).fetchone()[0]
    assert status == "cancelled"


def assert_waiting_room_fits(page, part, appointment_id):
    """The table scrolls neither sideways nor out of the screen, and the Call
    button and "called at ... by Dr Martin" are whole inside the viewport."""
    table = page.locator(f"[data-live-part={part}] table.waiting-room")
    sizes = table.evaluate(
        "t => [t.scrollWidth, t.clientWidth, t.parentElement.scrollWidth, t.parentElement.clientWidth]"
    )
    assert sizes[0] <= sizes[1] and sizes[2] <= sizes[3], sizes
    row = page.locator(f"[data-live-part={part}] tr[data-appointment-id='{appointment_id}']")
    width = page.viewport_size["width"]
    for target in (
        row.locator("button[data-action=call]"),
        row.locator(".waiting-called-label"),
        row.locator("td").nth(4),
    ):
        box = target.bounding_box()
        assert box is not None and box["width"] > 0
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, (width, box, target.inner_text())
        assert target.evaluate(
            "e => { const r = e.getBoundingClientRect(); let p = e.parentElement;"
            " while (p) { const q = p.getBoundingClientRect(), s = getComputedStyle(p);"
            " if (s.overflowX !== 'visible' && (r.left < q.left - 1 || r.right > q.right + 1)) return false;"
            " p = p.parentElement; } return true; }"
        ), "clipped by a scrolling box"


@pytest.mark.parametrize("width", [1366, 390])
def test_the_waiting_room_fits_on_a_desktop_and_a_phone(sign_in, other_browser, live_server, waiting_room, width):
    doctor = other_browser("doctor")
    doctor.set_viewport_size({"width": width, "height": 800})
    doctor.goto(f"{live_server}/")
    with doctor.expect_navigation():
        doctor.locator(
            f"[data-live-part=waiting] tr[data-appointment-id='{waiting_room['appointment']}'] button[data-action=call]"
        ).click()
    assert_waiting_room_fits(doctor, "waiting", waiting_room["appointment"])

    reception = sign_in("secretary")
    reception.set_viewport_size({"width": width, "height": 800})
    reception.goto(f"{live_server}/")
    row = waiting_row(reception, waiting_room["appointment"])
    assert re.search(r"called at \d\d:\d\d by Dr Martin", row.inner_text())
    assert_waiting_room_fits(reception, "waiting_room", waiting_room["appointment"])
