"""The calendar in a real browser (static/js/calendar.js over the bundled
FullCalendar): a booked appointment is drawn at its Paris time even in a
browser set to New York, and clicking an empty slot books one."""

import pytest

from tests.agenda import book
from tests.agenda_screens import MONDAY, at, make_clinic
from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS, TIMEOUT_MS


@pytest.fixture
def page(playwright, tmp_path):
    """A headless Chromium tab whose own time zone is New York's, not the hospital's."""
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "chromium-profile"),
        executable_path=str(CHROMIUM),
        headless=True,
        args=CHROMIUM_FLAGS,
        timezone_id="America/New_York",
    )
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.pages[0] if context.pages else context.new_page()
    finally:
        context.close()


def open_calendar(page, live_server, clinic, view="timeGridDay"):
    page.goto(f"{live_server}/calendar/?doctor_id={clinic['martin']}&date={MONDAY}&view={view}")
    page.wait_for_selector(".fc-timegrid-slot-lane")


def test_a_booked_appointment_is_drawn_at_the_hospitals_time(sign_in, live_server, sql_conn):
    clinic = make_clinic(sql_conn)
    book(sql_conn, clinic["dubois"], clinic["martin"], at(10))
    page = sign_in("nurse")
    assert page.evaluate("new Date().getTimezoneOffset()") in (240, 300)  # the browser is in New York
    open_calendar(page, live_server, clinic, view="timeGridWeek")
    event = page.locator(".fc-event", has_text="Mme Dubois")
    event.wait_for()
    assert "10:00 - 10:30" in event.inner_text()
    assert "Consultation" in event.inner_text()
    # Working hours shaded: the lunch break is outside the doctor's business hours.
    page.wait_for_selector(".fc-non-business")


def test_clicking_an_empty_slot_books_it(sign_in, live_server, sql_conn):
    clinic = make_clinic(sql_conn)
    page = sign_in("secretary")
    open_calendar(page, live_server, clinic)
    page.locator('td.fc-timegrid-slot-lane[data-time="11:00:00"]').click()
    page.wait_for_selector("#booking-modal.in")
    assert page.locator("#booking-when").inner_text() == f"{MONDAY} 11:00"
    page.locator("#booking-patient-query").press_sequentially("helene", delay=30)
    page.locator(".ct-patient-match", has_text="DUBOIS Hélène").click()
    page.locator("#booking-submit").click()
    page.wait_for_selector('#calendar-message[data-kind="success"]')
    page.locator(".fc-event", has_text="Mme Dubois").wait_for()
    rows = sql_conn.execute("SELECT patient_id, doctor_id, starts_at, duration_minutes FROM appointments").fetchall()
    assert rows == [(clinic["dubois"], clinic["martin"], at(11), 30)]


def test_a_refused_booking_shows_the_reason_in_the_form(sign_in, live_server, sql_conn):
    clinic = make_clinic(sql_conn)
    page = sign_in("secretary")
    open_calendar(page, live_server, clinic)
    # The lunch break is shaded (a non-business overlay over the lane): click through it, as a user does.
    page.locator('td.fc-timegrid-slot-lane[data-time="12:30:00"]').click(force=True)
    page.wait_for_selector("#booking-modal.in")
    page.locator("#booking-patient-query").press_sequentially("dubois", delay=30)
    page.locator(".ct-patient-match").first.click()
    page.locator("#booking-submit").click()
    error = page.locator("#booking-error")
    error.wait_for(state="visible")
    assert "working hours" in error.inner_text()
    assert sql_conn.execute("SELECT count(*) FROM appointments").fetchone() == (0,)
