"""Reading input, the same way at every door: marshmallow fields the APIs
and JSON endpoints share (ids within PostgreSQL's bigint, instants with
their time zone rule, text of a bounded length), and the loaders that turn
a refused value into a FieldErrors naming every field (422 for a body, 400
for query parameters)."""

from contextvars import ContextVar
from datetime import datetime

from flask import request
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from app.core.errors import BadInput, ConstraintViolation
from app.core.timezone import hospital_zone

MAX_ID = 2**63 - 1  # bigint: a larger id is no id, not a database error


def Id(**kwargs) -> fields.Integer:
    return fields.Integer(strict=False, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def Text(max_length: int, **kwargs) -> fields.String:
    return fields.String(validate=validate.Length(max=max_length), **kwargs)


# Set while loading a screen's input (load_json_body(..., screens=True)):
# its pickers speak the hospital's local time.
_naive_is_local: ContextVar[bool] = ContextVar("caretrail_naive_is_local", default=False)


class Instant(fields.DateTime):
    """An ISO 8601 instant.  Without an offset it is the hospital's local time
    when a screen's input is loaded (its pickers speak the hospital's time),
    and refused otherwise (the REST API: a machine must say which time zone
    it means)."""

    default_error_messages = {"naive": "Give the time with its offset, e.g. 2026-12-07T10:00:00+01:00."}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE)
        try:
            # Python's reader takes every ISO 8601 form people send: a date
            # alone (midnight), a space for the T, a Z for UTC.
            moment = datetime.fromisoformat(value.strip().replace(" ", "T", 1))
        except ValueError:
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE) from None
        if moment.tzinfo is None:
            if not _naive_is_local.get():
                raise self.make_error("naive")
            moment = moment.replace(tzinfo=hospital_zone())
        return moment


class StrictBoolean(fields.Boolean):
    """true or false, nothing else ("yes", 1 and "false" are refused)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


def load_json_body(schema: Schema, *, optional: bool = False, screens: bool = False) -> dict:
    """The request's JSON object loaded by `schema`; BadInput (400) when the
    body is not a JSON object, FieldErrors (422, every field named) when a
    value is refused.  `optional`: an empty body is an empty object;
    `screens`: a screen's own call (the calendar's): a form post is read as
    the object too, and times without an offset are the hospital's."""
    if screens and not request.is_json:
        body = request.form.to_dict()
    elif not request.get_data().strip() and optional:
        body = {}
    elif not request.is_json:
        raise BadInput("Request body must be JSON.")
    else:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise BadInput("Request body must be a JSON object.")
    return load_values(schema, body, screens=screens)


def load_values(schema: Schema, values: dict, *, status: int = 422, screens: bool = False) -> dict:
    """`values` (a form's, a body's) loaded by `schema`, or FieldErrors.
    `screens`: times without an offset are the hospital's."""
    token = _naive_is_local.set(screens)
    try:
        # A screen's script and form send what they hold; the API says exactly what it takes.
        return schema.load(values, unknown=EXCLUDE if screens else None)
    except ValidationError as invalid:
        raise FieldErrors(invalid.messages, status=status) from None
    finally:
        _naive_is_local.reset(token)


def load_query(schema: Schema, args: dict, *, screens: bool = False) -> dict:
    """Query parameters loaded by `schema`; a refused one is a 400 naming it."""
    return load_values(schema, args, status=400, screens=screens)


class FieldErrors(ConstraintViolation):
    """Several fields refused at once (a schema's validation): all of them
    are answered (422 for a body, 400 for query parameters)."""

    def __init__(self, messages: dict, *, status: int = 422):
        first = next(iter(messages), None)
        text = messages[first][0] if first and isinstance(messages[first], list) and messages[first] else None
        super().__init__(first, f"{first}: {text}" if first and text else "Some values are not valid.")
        self.messages = messages
        self.status = status

    def as_messages(self) -> dict:
        return self.messages
