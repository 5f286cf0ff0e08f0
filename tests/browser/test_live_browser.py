"""Live notifications between two people at two desks: the secretary, in her
own browser, books for Dr Martin or checks his patient in, and the page Dr
Martin has open shows the toast and counts it on its bell without reloading;
the page reconnects by itself when the server ends its stream."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.agenda import book
from tests.agenda_screens import make_clinic, wall


@pytest.fixture
def clinic(sql_conn):
    """make_clinic(): Dr Martin (the `doctor` login), Dr Petit, Dubois and Durand."""
    return make_clinic(sql_conn)


def reception_desk(other_browser, live_server):
    """The secretary's own browser on the calendar; post(path, body) as its script does."""
    reception = other_browser("secretary")
    reception.goto(f"{live_server}/calendar/")
    token = reception.locator("#calendar").get_attribute("data-csrf-token")

    def post(path: str, body: dict):
        answer = reception.request.post(
            f"{live_server}{path}", data=body, headers={"X-CSRFToken": token, "Accept": "application/json"}
        )
        assert answer.ok, answer.text()
        return answer.json()

    return post


def doctors_open_page(sign_in, live_server):
    page = sign_in("doctor")
    page.goto(f"{live_server}/patients/list/")
    page.locator("html[data-live=connected]").wait_for(state="attached")  # no eval: the CSP forbids it
    page.evaluate("window.notReloaded = true")
    return page


def bell_count(page) -> int:
    badge = page.locator(".live-bell-count")
    return 0 if badge.get_attribute("hidden") is not None else int(badge.inner_text())


def test_a_booking_by_the_secretary_reaches_the_doctors_open_page(sign_in, other_browser, live_server, clinic):
    doctor = doctors_open_page(sign_in, live_server)
    before = bell_count(doctor)
    post = reception_desk(other_browser, live_server)
    post(
        "/calendar/appointments",
        {
            "patient_id": clinic["durand"],
            "doctor_id": clinic["martin"],
            "type_id": clinic["consultation"],
            "starts_at": wall(11),
        },
    )
    doctor.locator(".live-toast[data-type=appointment_booked]", has_text="Durand").wait_for(timeout=8000)
    assert bell_count(doctor) == before + 1
    assert doctor.evaluate("window.notReloaded") is True
    doctor.click(".live-bell-button")
    assert "Durand" in doctor.locator("#live-bell-list").inner_text()
    assert bell_count(doctor) == 0


def test_an_arrival_checked_in_by_the_secretary_reaches_the_doctor(
    sign_in, other_browser, live_server, clinic, sql_conn
):
    zone = ZoneInfo(sql_conn.execute("SELECT hospital_time_zone()").fetchone()[0])
    starts = datetime.combine(datetime.now(zone).date(), datetime.min.time(), zone) + timedelta(hours=10)
    appointment = book(sql_conn, clinic["dubois"], clinic["martin"], starts, kind="emergency", override_reason="test")
    doctor = doctors_open_page(sign_in, live_server)
    post = reception_desk(other_browser, live_server)
    post(f"/calendar/appointments/{appointment}/status", {"status": "arrived"})
    doctor.locator(".live-toast[data-type=patient_arrived]", has_text="Dubois").wait_for(timeout=8000)
    assert bell_count(doctor) == 1


def test_the_page_reconnects_when_the_server_ends_its_stream(app, sign_in, other_browser, live_server, clinic):
    app.config.update(LIVE_STREAM_SECONDS=1, LIVE_HEARTBEAT_SECONDS=0.3)  # the app fixture puts them back
    doctor = doctors_open_page(sign_in, live_server)
    doctor.locator("html[data-live-connections='2']").wait_for(state="attached", timeout=10_000)
    app.config.update(LIVE_STREAM_SECONDS=300)
    # A stream opened after the change is a long one: book once it is open, not
    # in the gap while a one-second stream ends and the page reconnects.
    opened = int(doctor.evaluate("document.documentElement.dataset.liveConnections"))
    doctor.locator(f"html[data-live-connections='{opened + 1}'][data-live=connected]").wait_for(
        state="attached", timeout=10_000
    )
    post = reception_desk(other_browser, live_server)
    post(
        "/calendar/appointments",
        {
            "patient_id": clinic["dubois"],
            "doctor_id": clinic["martin"],
            "type_id": clinic["consultation"],
            "starts_at": wall(10),
        },
    )
    doctor.locator(".live-toast[data-type=appointment_booked]", has_text="Dubois").wait_for(timeout=10_000)
    assert doctor.evaluate("window.notReloaded") is True
