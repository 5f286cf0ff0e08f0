"""The date pickers in a real browser: weeks start on Monday in French,
a picked day is written 17/05/1985 (issue 15 point 9)."""


def first_weekday_shown(page) -> str:
    page.locator("#birth_date").click()
    header = page.locator(".datepicker-days th.dow").first
    header.wait_for()
    return header.inner_text().strip()


def test_the_date_picker_starts_weeks_on_monday_in_french(sign_in, live_server):
    page = sign_in("secretary")
    page.goto(f"{live_server}/patients/add")
    assert first_weekday_shown(page) == "Su"
    page.goto(f"{live_server}/lang/fr")
    page.goto(f"{live_server}/patients/add")
    assert first_weekday_shown(page) == "Mo"
    page.locator(".datepicker-days td.day:not(.old):not(.new)").first.click()
    assert page.locator("#birth_date").input_value().startswith("01/")
