"""The hospital's time zone: the one place that reads it.

Every instant is stored as timestamptz; screens, documents, filters and
statistics show and read them in the zone of the TIMEZONE setting (default
Europe/Paris, config.py), which `flask setup` also copies into
hospital_settings.timezone for the database's own rules (working hours).
"""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app


def hospital_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def now() -> datetime:
    """The hospital's wall clock, as an aware datetime."""
    return datetime.now(hospital_zone())


def today() -> date:
    return now().date()


def aware(moment: datetime) -> datetime:
    """A naive time is the hospital's local time."""
    return moment if moment.tzinfo else moment.replace(tzinfo=hospital_zone())


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=hospital_zone())


def local_time(value) -> str:
    """An instant as the hospital reads it, the day in the user's language: Mon 07/12/2026 10:00."""
    if not isinstance(value, datetime):
        return "" if value is None else str(value)
    moment = value.astimezone(hospital_zone()) if value.tzinfo else value
    return f"{_short_day_name(moment)} {moment:%d/%m/%Y %H:%M}"


def _short_day_name(moment: datetime) -> str:
    """Mon, Lun.: Babel's abbreviated day name in the user's language (en outside a request)."""
    from babel.dates import get_day_names

    try:
        from flask_babel import get_locale

        language = getattr(get_locale(), "language", None)
    except (RuntimeError, KeyError, AttributeError):
        language = None
    name = get_day_names("abbreviated", locale=language if language in ("en", "fr") else "en")[moment.weekday()]
    return name[:1].upper() + name[1:]


def local_clock(value: datetime) -> str:
    """Just the time of day, for "changed at 10:42"."""
    return value.astimezone(hospital_zone()).strftime("%H:%M")
