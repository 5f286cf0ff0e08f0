"""Field rules shared by the screens (WTForms) and the REST API (marshmallow).

Each rule is one function returning an error message or None; the two small
adapters below plug it into either library.  The database enforces the same
rules (see sql/versions) whatever the door the data came through.
"""

from collections.abc import Callable
from datetime import date

import marshmallow
from wtforms.validators import ValidationError as FormValidationError

from app.core.normalize import is_digits, normalize_nir, phone_error
from app.records.nir import nir_error

Rule = Callable[[object], str | None]

# What a NIR may take as typed, in groups ("1 85 05 78 006 084 91", dots,
# dashes): stored without them, in 15 characters.
NIR_TYPED_MAX_LENGTH = 30


def nir_rule(value) -> str | None:
    value = normalize_nir(value)
    return nir_error(value) if value else None


def phone_rule(value) -> str | None:
    return phone_error(value) if value else None


def birth_date_rule(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = date.fromisoformat(value)
    if value > date.today():
        return "Birth date cannot be in the future."
    if value < date(1880, 1, 1):
        return "Birth date cannot be before 1880."
    return None


def rpps_rule(value) -> str | None:
    value = (value or "").replace(" ", "")
    if value and (len(value) != 11 or not is_digits(value)):
        return "An RPPS number has exactly 11 digits."
    return None


def room_code_rule(value) -> str | None:
    value = (value or "").strip().upper()
    if value and not all(c.isalnum() or c == "-" for c in value):
        return "Room code: letters, digits and dashes only."
    return None


class FormRule:
    """A rule as a WTForms validator."""

    def __init__(self, rule: Rule):
        self.rule = rule

    def __call__(self, _form, field) -> None:
        message = self.rule(field.data)
        if message:
            raise FormValidationError(message)


def api_rule(rule: Rule) -> Callable[[object], None]:
    """A rule as a marshmallow validator."""

    def validate(value) -> None:
        message = rule(value)
        if message:
            raise marshmallow.ValidationError(message)

    validate.__name__ = rule.__name__
    return validate
