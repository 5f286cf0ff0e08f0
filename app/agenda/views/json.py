"""JSON answers of the agenda screens' own endpoints (calendar, pickers).

A write the rules refuse is never an error page: a double booking is a 409,
any other refusal a 422, both {"message": "<plain words>"}, which the
calendar's script shows and then puts the event back where it was.
"""

from flask import jsonify, request

from app.core.errors import BookingConflict, CareTrailError, ConstraintViolation, DatabaseWriteFailed, NotFound

NOT_YOUR_AGENDA = "You may only change your own agenda."


def ok(status: int = 200, **payload):
    return jsonify({"ok": True, **payload}), status


def refused(status: int, message: str, **payload):
    return jsonify({"ok": False, "message": message, **payload}), status


def refusal(problem: CareTrailError):
    """The JSON answer for a refusal from the services."""
    if isinstance(problem, BookingConflict):
        return refused(409, problem.message, field=problem.field, conflict=problem.conflict)
    if isinstance(problem, NotFound):
        return refused(404, problem.message)
    if isinstance(problem, DatabaseWriteFailed):
        return refused(503, problem.message)
    if isinstance(problem, ConstraintViolation):
        return refused(422, problem.message, field=problem.field)
    return refused(422, getattr(problem, "message", str(problem)))


def json_body() -> dict:
    """The request's JSON object (a form post is accepted too)."""
    body = request.get_json(silent=True)
    if isinstance(body, dict):
        return body
    return request.form.to_dict()


def optional_int(values: dict, name: str) -> int | None:
    """An id or a number from the request; None when absent or blank."""
    value = values.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ConstraintViolation(name, f"{name}: a whole number is expected.")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ConstraintViolation(name, f"{name}: a whole number is expected.") from None


def required_int(values: dict, name: str, label: str) -> int:
    value = optional_int(values, name)
    if value is None:
        raise ConstraintViolation(name, f"Choose {label}.")
    return value


def optional_text(values: dict, name: str) -> str | None:
    value = values.get(name)
    if value is None:
        return None
    return str(value).strip() or None
