"""Soft rules applied to every write (screen, API, CLI): trimmed names,
normalised phone numbers and identifiers.

These functions never reject: a value they cannot make sense of is returned
as typed, and the validators (then the database) explain what is wrong.
"""

import re

import phonenumbers

DEFAULT_PHONE_REGION = "FR"
_SPACES = re.compile(r"\s+")


def is_digits(text: str) -> bool:
    """Only ASCII digits, at least one: what an id, a page or a count may be
    written with.  str.isdigit() also takes "²", which int() refuses (a 500
    where a 400 was due), and "٣", which int() reads as 3."""
    return text.isascii() and text.isdigit()


def clean_text(value: str | None) -> str | None:
    """Trim and collapse inner whitespace; empty becomes None."""
    if value is None:
        return None
    value = _SPACES.sub(" ", str(value)).strip()
    return value or None


def normalize_phone(value: str | None) -> str | None:
    """A French or international number in E.164 (+33612345678)."""
    value = clean_text(value)
    if value is None:
        return None
    try:
        number = phonenumbers.parse(value, DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        return value
    if not phonenumbers.is_possible_number(number):
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_error(value: str | None) -> str | None:
    """Why `value` is not a usable phone number, or None."""
    if not value:
        return None
    normalized = normalize_phone(value)
    try:
        number = phonenumbers.parse(normalized, DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        return "Not a phone number."
    if not phonenumbers.is_valid_number(number):
        return "Not a valid phone number (e.g. 01 23 45 67 89 or +44 20 7946 0958)."
    return None


def normalize_nir(value: str | None) -> str | None:
    """Upper case, spaces and dots removed (people type it in groups)."""
    if value is None:
        return None
    value = re.sub(r"[\s.\-]", "", str(value)).upper()
    return value or None


def normalize_email(value: str | None) -> str | None:
    value = clean_text(value)
    return value.lower() if value else None
