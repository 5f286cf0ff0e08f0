"""Defects a browser tour found on the calendar: on a 390 px phone the week
and month views had no height; at 1366 px the time grids stopped at 20:00
(an emergency at 20:30 was out of sight)."""

from tests.agenda import book
from tests.agenda_screens import MONDAY, at, make_clinic

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}


def box_of(locator) -> dict:
    """Its box once drawn.  FullCalendar may draw an event again (its events
    fetched, the view sized) between the element being found and measured:
    the element measured then is gone (no box), the new one is measured."""
    for _ in range(50):
        locator.wait_for()
        box = locator.bounding_box()
        if box is not None:
            return box
        locator.page.wait_for_timeout(100)
    raise AssertionError(f"{locator} is never drawn long enough to be measured")


def test_on_a_phone_the_week_and_month_views_show_their_appointments(sign_in, live_server, sql_conn):
    clinic = make_clinic(sql_conn)
    book(sql_conn, clinic["dubois"], clinic["martin"], at(10))
    page = sign_in("secretary")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/lang/fr")
    page.goto(f"{live_server}/calendar/?doctor_id={clinic['martin']}&date={MONDAY}")
    page.locator(".fc-list").wait_for()  # a phone opens on the day's list
    page.locator(".fc-timeGridWeek-button").click()
    page.locator(".fc-timegrid-slot-lane").first.wait_for()
    event = page.locator(".fc-event", has_text="Dubois")
    box = box_of(event)
    assert box["height"] > 10 and box["width"] > 10
    assert page.locator(".fc-view-harness").bounding_box()["height"] > 300
    page.locator(".fc-dayGridMonth-button").click()
    box = box_of(page.locator(".fc-daygrid-event", has_text="Dubois"))
    assert box["height"] > 5
    assert page.locator(".fc-view-harness").bounding_box()["height"] > 200
    # The toolbar wraps by whole words; the Today button stays on the arrows' row, beside them.
    title = page.locator(".fc-toolbar-title")
    assert title.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
    prev, today = box_of(page.locator(".fc-prev-button")), box_of(page.locator(".fc-today-button"))
    assert abs(prev["y"] - today["y"]) < 4
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1")


def test_the_time_grids_reach_an_appointment_at_20_30(sign_in, live_server, sql_conn):
    clinic = make_clinic(sql_conn)
    book(sql_conn, clinic["dubois"], clinic["martin"], at(20, 30), kind="emergency", override_reason="Emergency")
    page = sign_in("secretary")
    page.set_viewport_size(LAPTOP)
    page.goto(f"{live_server}/calendar/?doctor_id={clinic['martin']}&date={MONDAY}&view=timeGridWeek")
    event = page.locator(".fc-timegrid-event", has_text="Dubois")
    assert box_of(event)["height"] > 10
    assert "20:30" in event.inner_text()
    page.goto(f"{live_server}/calendar/day/?date={MONDAY}")
    event = page.locator("#day-calendar .ec-event", has_text="Dubois")
    assert box_of(event)["height"] > 10
    assert "20:30" in event.inner_text()
    # Widening the hours does not set the day view fetching again and again.
    page.wait_for_timeout(500)
    fetches = "performance.getEntriesByType('resource').filter(e => e.name.includes('/calendar/events')).length"
    assert page.evaluate(fetches) == 1
