"""In a real browser: each role lands on its home; the top bar's search
finds a patient from a typo and opens them; the banner shows the allergy
flag; at 390 px the home and the patient page do not scroll sideways."""

import pytest

from tests.prescribing import ward_seen_today


@pytest.fixture
def ward_today(sql_conn):
    return ward_seen_today(sql_conn)


HOME_TITLES = {"secretary": "Reception", "doctor": "My day", "nurse": "Today's patients", "auditor": "Oversight"}


def scrolls_sideways(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth + 1")


@pytest.mark.parametrize("user", sorted(HOME_TITLES))
def test_each_role_lands_on_its_home(sign_in, ward_today, user):
    page = sign_in(user)
    assert page.locator("h1.home-title").inner_text() == HOME_TITLES[user]


def test_a_typo_from_the_top_bar_opens_the_patient_with_the_allergy_flag(sign_in, ward_today):
    page = sign_in("doctor")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "global-search-input"
    page.keyboard.type("dubuis")
    first = page.locator("#global-search-results a[data-kind=patients]").first
    first.wait_for()
    assert "DUBOIS" in first.inner_text()
    page.keyboard.press("ArrowDown")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert f"/patients/show/{ward_today['dubois']}" in page.url
    flag = page.locator(".patient-banner .allergy-flag")
    assert "penicilline" in flag.inner_text().lower()
    assert "label-danger" in flag.get_attribute("class")


def test_no_sideways_scroll_at_390_px(sign_in, live_server, ward_today):
    page = sign_in("secretary")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/")
    page.locator("h1.home-title").wait_for()
    assert not scrolls_sideways(page), "the secretary's home is wider than the phone"
    page.goto(f"{live_server}/patients/show/{ward_today['dubois']}")
    page.locator(".patient-banner").wait_for()
    assert not scrolls_sideways(page), "the patient page is wider than the phone"


def test_the_day_view_has_a_column_per_doctor_and_names_the_doctor(sign_in, live_server, ward_today):
    page = sign_in("secretary")
    page.goto(f"{live_server}/calendar/day/")
    event = page.locator("#day-calendar .ec-event").first
    event.wait_for()
    text = page.locator("#day-calendar").inner_text()
    assert "Dr Paul MARTIN" in text and "Dr Anne PETIT" in text  # the columns' headings
    assert "Dr Paul MARTIN" in event.inner_text() and "Dubois" in event.inner_text()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/calendar/day/")
    page.locator("#day-calendar .ec-list").wait_for()
    assert not scrolls_sideways(page)


def test_the_admin_opens_a_search_result_with_a_click_at_1366_px(sign_in, live_server, ward_today):
    page = sign_in("admin")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server}/lang/fr")
    page.goto(f"{live_server}/")
    page.locator("#global-search-input").click()
    page.keyboard.type("dubuis")
    first = page.locator("#global-search-results a[data-kind=patients]").first
    first.wait_for()
    with page.expect_navigation():
        first.click()
    assert f"/patients/show/{ward_today['dubois']}" in page.url


def test_a_day_without_appointments_says_so_instead_of_an_empty_chart(sign_in, live_server, sql_conn):
    """No appointment today: the card of today's statuses says so, and its
    chart takes no room; the first booking (next refresh) brings the chart."""
    from datetime import datetime, time
    from zoneinfo import ZoneInfo

    from tests.agenda import book
    from tests.agenda_screens import make_clinic

    clinic = make_clinic(sql_conn)
    zone = ZoneInfo(sql_conn.execute("SELECT hospital_time_zone()").fetchone()[0])
    ten_today = datetime.combine(datetime.now(zone).date(), time(10), zone)
    page = sign_in("secretary")
    page.goto(f"{live_server}/")
    assert page.locator(".home-chart-empty").is_visible()
    assert not page.locator("#home-chart-status").is_visible()
    book(sql_conn, clinic["dubois"], clinic["martin"], ten_today, kind="emergency", override_reason="test")
    page.evaluate("window.CareTrailHome.refresh()")
    page.locator("#home-chart-status").wait_for(state="visible", timeout=8000)
    assert not page.locator(".home-chart-empty").is_visible()
