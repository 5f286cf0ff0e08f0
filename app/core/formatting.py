"""Dates and times shown the one way of the user's language, everywhere:
lists, show pages, templates (filters `date`, `datetime`, `datetime_seconds`,
`time_of_day`)
and messages.  An instant is shown in the hospital's time zone, to the
minute (never `2026-12-06 07:35:27.770291+01:00`); a date alone as a date.

The French and English screens both read day/month/year, as the hospital's
documents do; each language has its own entry so that one can change
without touching the templates.
"""

from collections.abc import Callable
from datetime import date, datetime

from app.core.timezone import hospital_zone

# language -> (date, date and time, time of day, date and time to the second: the audit)
FORMATS = {
    "fr": ("%d/%m/%Y", "%d/%m/%Y %H:%M", "%H:%M", "%d/%m/%Y %H:%M:%S"),
    "en": ("%d/%m/%Y", "%d/%m/%Y %H:%M", "%H:%M", "%d/%m/%Y %H:%M:%S"),
}
DEFAULT_LANGUAGE = "en"


def _language() -> str:
    try:
        from flask_babel import get_locale

        locale = get_locale()
    except (ImportError, RuntimeError, KeyError, AttributeError):
        locale = None
    language = getattr(locale, "language", None) or DEFAULT_LANGUAGE
    return language if language in FORMATS else DEFAULT_LANGUAGE


def formats() -> tuple[str, str, str, str]:
    """(date, date and time, time of day, to the second) strftime formats of the current language."""
    return FORMATS[_language()]


def format_date(value) -> str:
    """A date (or the local day of an instant): 17/05/1985."""
    if value is None or value == "":
        return ""
    return date_formatter()(value)


def date_formatter() -> Callable[[object], str]:
    """format_date with the zone and the language looked up once: for a
    list's column of dates (a lookup of the language is most of a date's
    formatting)."""
    zone, pattern = hospital_zone(), formats()[0]

    def format_one(value) -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, datetime):
            value = value.astimezone(zone) if value.tzinfo else value
        if isinstance(value, date):
            return value.strftime(pattern)
        return str(value)

    return format_one


def format_datetime(value) -> str:
    """An instant in the hospital's time zone, to the minute: 06/12/2026 07:35."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        moment = value.astimezone(hospital_zone()) if value.tzinfo else value
        return moment.strftime(formats()[1])
    return format_date(value)


def format_datetime_seconds(value) -> str:
    """An instant to the second (the audit's entries): 06/12/2026 07:35:27."""
    return datetime_seconds_formatter()(value)


def datetime_seconds_formatter() -> Callable[[object], str]:
    """format_datetime_seconds with the zone and the language looked up once:
    for a list of hundreds of instants (the audit log)."""
    zone, pattern = hospital_zone(), formats()[3]

    def format_one(value) -> str:
        if not isinstance(value, datetime):
            return format_date(value)
        moment = value.astimezone(zone) if value.tzinfo else value
        return moment.strftime(pattern)

    return format_one


def format_time_of_day(value) -> str:
    if not isinstance(value, datetime):
        return "" if value is None else str(value)
    moment = value.astimezone(hospital_zone()) if value.tzinfo else value
    return moment.strftime(formats()[2])


# language -> (the date pickers' format, first day of the week: 0 Sunday, 1 Monday)
PICKERS = {"fr": ("dd/mm/yyyy", 1), "en": ("dd/mm/yyyy", 0)}


def date_picker_options() -> dict:
    """How the screens' date pickers write dates and start weeks, in the user's language."""
    picker_format, week_start = PICKERS[_language()]
    return {"format": picker_format, "week_start": week_start}


def install_filters(app) -> None:
    app.add_template_global(date_picker_options, "date_picker_options")
    app.add_template_filter(format_date, "date")
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(format_datetime_seconds, "datetime_seconds")
    app.add_template_filter(format_time_of_day, "time_of_day")
    app.add_template_filter(format_day_and_time, "day_and_time")
    app.add_template_filter(screen_word, "screen_word")
    app.add_template_filter(format_day_and_date, "day_and_date")


def day_name(iso_weekday: int, width: str = "wide", language: str | None = None) -> str:
    """A day of the week (ISO: 1 Monday) in the user's language (or `language`),
    from Babel's locale data: Lundi, Monday; width "abbreviated": Lun., Mon."""
    from babel.dates import get_day_names

    name = get_day_names(width, locale=language or _language())[(int(iso_weekday) - 1) % 7]
    return name[:1].upper() + name[1:]


def format_day_and_time(value) -> str:
    """An instant with its day of the week, to the minute: Lun. 07/12/2026 10:00, Mon 07/12/2026 10:00."""
    if not isinstance(value, datetime):
        return "" if value is None else str(value)
    moment = value.astimezone(hospital_zone()) if value.tzinfo else value
    return f"{day_name(moment.isoweekday(), 'abbreviated')} {moment.strftime(formats()[1])}"


def format_day_and_date(value) -> str:
    """A date with its day of the week: Lun. 07/12/2026."""
    if isinstance(value, datetime):
        value = value.astimezone(hospital_zone()) if value.tzinfo else value
    if not isinstance(value, date):
        return "" if value is None else str(value)
    return f"{day_name(value.isoweekday(), 'abbreviated')} {value.strftime(formats()[0])}"


def language() -> str:
    """The current user's language (en, fr)."""
    return _language()


def screen_word(value):
    """A name the code uses (a role, a menu, a resource) in the user's language when the catalogue has it."""
    from flask_babel import gettext

    if isinstance(value, str) and value.strip() and "%" not in value:
        return gettext(value)
    return value
