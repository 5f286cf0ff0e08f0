"""Working hours, weekends and public holidays: when is a change off-hours?

Settings of the off_hours rule (alert_rules.settings):
    "hours": {"1": ["07:00", "19:00"], ..., "7": null}   ISO weekday -> [start, end), or null: closed
    "holidays": "FR"                                     public holidays of this country (python-holidays), or null
    "extra_holidays": ["2026-12-24"]                     the hospital's own closed days
Read on the wall clock of the hospital's time zone.  A change at 19:00:00
sharp is off-hours (the end is excluded); at 07:00:00 it is not.
"""

from datetime import date, datetime, time
from functools import cache
from zoneinfo import ZoneInfo

import holidays


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


@cache
def public_holidays(country: str, year: int) -> dict[date, str]:
    return dict(holidays.country_holidays(country, years=year, language="en_US"))


def holiday_name(day: date, settings: dict) -> str | None:
    if day.isoformat() in (settings.get("extra_holidays") or ()):
        return "a closed day"
    country = settings.get("holidays")
    if country:
        return public_holidays(country, day.year).get(day)
    return None


def off_hours_reason(instant: datetime, settings: dict, zone: ZoneInfo) -> str | None:
    """Why `instant` is outside working hours ("a day without working hours", "on a public
    holiday (Christmas Day)", "outside working hours 07:00-19:00"), else None."""
    local = instant.astimezone(zone)
    holiday = holiday_name(local.date(), settings)
    if holiday:
        return f"on a public holiday ({holiday})" if holiday != "a closed day" else "on a closed day"
    window = (settings.get("hours") or {}).get(str(local.isoweekday()))
    if not window:
        return "a day without working hours"  # the summary already names the day
    start, end = _clock(window[0]), _clock(window[1])
    if not (start <= local.time() < end):
        return f"outside working hours ({window[0]}-{window[1]})"
    return None
