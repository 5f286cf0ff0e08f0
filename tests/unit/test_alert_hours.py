"""Off-hours boundaries (app/alerts/hours.py), on the hospital's wall clock."""

from datetime import datetime
from zoneinfo import ZoneInfo

from app.alerts.hours import off_hours_reason

PARIS = ZoneInfo("Europe/Paris")
WEEKDAYS = {str(day): ["07:00", "19:00"] for day in range(1, 6)}
SETTINGS = {"hours": {**WEEKDAYS, "6": None, "7": None}, "holidays": "FR", "extra_holidays": ["2026-12-24"]}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=PARIS)


def test_the_end_of_the_day_is_off_hours_from_19_00():
    assert off_hours_reason(at("2026-12-07 18:59"), SETTINGS, PARIS) is None  # a Monday
    assert off_hours_reason(at("2026-12-07 19:00"), SETTINGS, PARIS) == "outside working hours (07:00-19:00)"
    assert off_hours_reason(at("2026-12-07 19:01"), SETTINGS, PARIS) == "outside working hours (07:00-19:00)"
    assert off_hours_reason(at("2026-12-07 06:59"), SETTINGS, PARIS) is not None
    assert off_hours_reason(at("2026-12-07 07:00"), SETTINGS, PARIS) is None


def test_read_in_the_hospital_time_zone_whatever_the_instant_zone():
    utc_17_59 = datetime.fromisoformat("2026-12-07T17:59:00+00:00")  # 18:59 in Paris (winter)
    utc_18_01 = datetime.fromisoformat("2026-12-07T18:01:00+00:00")  # 19:01 in Paris
    assert off_hours_reason(utc_17_59, SETTINGS, PARIS) is None
    assert off_hours_reason(utc_18_01, SETTINGS, PARIS) is not None


def test_weekends_french_public_holidays_and_the_hospital_s_own_days():
    assert off_hours_reason(at("2026-12-06 10:00"), SETTINGS, PARIS) == "a day without working hours"
    assert off_hours_reason(at("2026-12-25 10:00"), SETTINGS, PARIS) == "on a public holiday (Christmas Day)"
    assert off_hours_reason(at("2026-05-14 10:00"), SETTINGS, PARIS) == "on a public holiday (Ascension Day)"
    assert off_hours_reason(at("2026-12-24 10:00"), SETTINGS, PARIS) == "on a closed day"
    assert off_hours_reason(at("2026-12-23 10:00"), SETTINGS, PARIS) is None
    assert off_hours_reason(at("2026-12-25 10:00"), {**SETTINGS, "holidays": None}, PARIS) is None
