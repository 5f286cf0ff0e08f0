"""A person's age on a day, in whole years or months (birthdays count on the day)."""

from datetime import date


def age_on(birth_date: date, day: date) -> int:
    """Whole years on `day`."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def months_on(birth_date: date, day: date) -> int:
    """Whole months on `day`."""
    return (day.year - birth_date.year) * 12 + day.month - birth_date.month - (day.day < birth_date.day)
