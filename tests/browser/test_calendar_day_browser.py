"""The issue's calendar, in a real browser: the day view with one column per
doctor and per room, reached from the menu and from the calendar's toolbar;
every event names its doctor when several doctors are shown; a click in a
doctor's column books with that doctor; the booking popup changes the time;
a doctor's day prints as a list; on a 390 px phone the calendar is a day list."""

import pytest

from tests.agenda import book
from tests.agenda_screens import MONDAY, at, make_clinic

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def clinic(sql_conn):
    """Dubois with Dr Martin at 10:00 in CONS-9, Durand with Dr Petit at 10:00, on the coming Monday."""
    clinic = make_clinic(sql_conn)
    clinic["dubois_at_10"] = book(sql_conn, clinic["dubois"], clinic["martin"], at(10), room_id=clinic["room"])
    clinic["durand_at_10"] = book(sql_conn, clinic["durand"], clinic["petit"], at(10))
    return clinic


def column_heads(page) -> list[str]:
    page.locator("#day-calendar .ec-event").first.wait_for()
    return [head.strip() for head in page.locator("#day-calendar .ec-col-head").all_inner_texts()]


def test_the_day_view_is_in_the_menu_and_on_the_calendars_toolbar(sign_in, live_server, clinic):
    page = sign_in("secretary")
    page.goto(f"{live_server}/")
    menu_link = page.locator("header a[href^='/calendar/day']", has_text="Day by doctor")
    assert menu_link.count() == 1
    page.goto(f"{live_server}/calendar/?date={MONDAY}")
    with page.expect_navigation():
        page.click("#calendar-day-by-doctor")
    assert "/calendar/day/" in page.url


def test_the_day_view_has_a_column_per_doctor_and_per_room(sign_in, live_server, clinic):
    page = sign_in("secretary")
    page.goto(f"{live_server}/calendar/day/?date={MONDAY}")
    assert column_heads(page) == ["Dr Paul MARTIN", "Dr Anne PETIT"]
    with page.expect_navigation():
        page.click("text=One column per room")
    heads = column_heads(page)
    assert any("CONS-9" in head for head in heads) and any("IRM-9" in head for head in heads)
    # By room, the event still names its doctor.
    assert "Dr Paul MARTIN" in page.locator("#day-calendar .ec-event", has_text="Dubois").inner_text()


def test_every_event_names_its_doctor_when_several_doctors_are_shown(sign_in, live_server, clinic):
    page = sign_in("secretary")
    page.goto(f"{live_server}/calendar/?doctor_id=&date={MONDAY}&view=timeGridDay")
    dubois = page.locator(".fc-event", has_text="Dubois")
    dubois.wait_for()
    assert "Dr Paul MARTIN" in dubois.inner_text()
    assert "Dr Anne PETIT" in page.locator(".fc-event", has_text="Durand").inner_text()
    page.goto(f"{live_server}/calendar/day/?date={MONDAY}")
    column_heads(page)
    assert "Dr Anne PETIT" in page.locator("#day-calendar .ec-event", has_text="Durand").inner_text()


def test_a_click_in_a_doctors_column_books_with_that_doctor(sign_in, live_server, clinic, sql_conn):
    page = sign_in("secretary")
    page.goto(f"{live_server}/calendar/day/?date={MONDAY}")
    column_heads(page)
    petit = page.locator("#day-calendar .ec-col-head", has_text="Dr Anne PETIT").bounding_box()
    two_pm = page.locator("#day-calendar .ec-sidebar time[datetime$='T14:00:00']").bounding_box()
    with page.expect_navigation():
        page.mouse.click(petit["x"] + petit["width"] / 2, two_pm["y"] + two_pm["height"] / 2 + 2)
    page.wait_for_selector("#booking-modal.in")
    assert page.locator("#booking-doctor").input_value() == str(clinic["petit"])
    assert page.locator("#booking-starts-at").input_value() == f"{MONDAY}T14:00"
    page.locator("#booking-patient-query").press_sequentially("dubois", delay=30)
    page.locator(".ct-patient-match", has_text="DUBOIS Hélène").click()
    page.locator("#booking-submit").click()
    page.wait_for_selector('#calendar-message[data-kind="success"]')
    assert sql_conn.execute(
        "SELECT doctor_id, starts_at FROM appointments WHERE patient_id = %s AND doctor_id = %s",
        [clinic["dubois"], clinic["petit"]],
    ).fetchall() == [(clinic["petit"], at(14))]


def test_the_booking_popup_changes_the_time(sign_in, live_server, clinic, sql_conn):
    page = sign_in("secretary")
    page.goto(f"{live_server}/calendar/?doctor_id={clinic['martin']}&date={MONDAY}&view=timeGridDay")
    page.wait_for_selector(".fc-timegrid-slot-lane")
    page.locator('td.fc-timegrid-slot-lane[data-time="11:00:00"]').click()
    page.wait_for_selector("#booking-modal.in")
    page.fill("#booking-starts-at", f"{MONDAY}T15:30")
    assert page.locator("#booking-when").inner_text() == f"{MONDAY} 15:30"
    page.locator("#booking-patient-query").press_sequentially("durand", delay=30)
    page.locator(".ct-patient-match", has_text="DURAND Luc").click()
    page.locator("#booking-submit").click()
    page.wait_for_selector('#calendar-message[data-kind="success"]')
    assert sql_conn.execute(
        "SELECT starts_at FROM appointments WHERE patient_id = %s AND doctor_id = %s",
        [clinic["durand"], clinic["martin"]],
    ).fetchall() == [(at(15, 30),)]


def test_a_doctors_day_prints_as_a_list(sign_in, live_server, clinic):
    page = sign_in("secretary")
    page.goto(f"{live_server}/calendar/day/?date={MONDAY}")
    column_heads(page)
    assert f"date={MONDAY}" in page.locator("#day-print").get_attribute("href")
    page.goto(f"{live_server}/calendar/day/print?date={MONDAY}&doctor_id={clinic['martin']}")
    lists = page.locator("section.day-list")
    assert lists.count() == 1
    text = lists.inner_text()
    assert "Dr Paul MARTIN" in text and "10:00\u201310:30" in text and "DUBOIS" in text
    assert "DURAND" not in text  # Dr Petit's patient is on her own list


@pytest.mark.parametrize("path", ["/calendar/?doctor_id=&date={day}", "/calendar/day/?date={day}"])
def test_on_a_phone_the_calendar_is_a_day_list(sign_in, live_server, clinic, path):
    page = sign_in("secretary")
    page.set_viewport_size(PHONE)
    page.goto(live_server + path.format(day=MONDAY))
    day_list = page.locator(".fc-list, .ec-list").filter(has_text="Dubois")
    day_list.wait_for()  # drawn empty first, then with the day's events
    assert "Durand" in day_list.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
