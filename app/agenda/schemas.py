"""What the agenda's doors take, read one way: the REST API, the calendar's
JSON calls and find-a-slot's form all load their input with these schemas,
so a booking is refused for the same reasons with the same words wherever
it is typed.  The REST API wants instants with their offset; the screens'
pickers speak the hospital's local time (app/core/schemas.py, `screens`).
"""

from marshmallow import Schema, fields, pre_load, validate

from app.agenda.models import STATUSES
from app.core.schemas import Id, Instant, Text

DURATION = validate.Range(5, 720, error="A duration from 5 to 720 minutes.")
REASON_LENGTH = 500
NOTES_LENGTH = 2000


class _BlankIsMissing(Schema):
    """Forms post empty strings for untouched fields: they mean "not given"."""

    @pre_load
    def drop_blanks(self, data, **_kwargs):
        if not isinstance(data, dict):
            return data
        return {key: value for key, value in data.items() if not (isinstance(value, str) and not value.strip())}


class BookingSchema(_BlankIsMissing):
    patient_id = Id(
        required=True, error_messages={"required": "Choose the patient first (type a few letters of the name)."}
    )
    doctor_id = Id(required=True, error_messages={"required": "Choose a doctor."})
    type_id = Id(required=True, error_messages={"required": "Choose a type of appointment."})
    starts_at = Instant(required=True, error_messages={"required": "Choose when the appointment starts."})
    duration_minutes = fields.Integer(validate=DURATION, load_default=None)
    room_id = Id(allow_none=True, load_default=None)
    notes = Text(NOTES_LENGTH, allow_none=True, load_default=None)
    override_reason = Text(REASON_LENGTH, allow_none=True, load_default=None)


class AppointmentChangesSchema(_BlankIsMissing):
    starts_at = Instant()
    duration_minutes = fields.Integer(validate=DURATION)
    doctor_id = Id()
    room_id = Id(allow_none=True)
    type_id = Id()
    notes = Text(NOTES_LENGTH, allow_none=True)
    status = fields.String(
        validate=validate.OneOf(
            [s for s in STATUSES if s != "postponed"], error="Choose a status (postpone by giving a new time)."
        )
    )
    cancellation_reason = Text(REASON_LENGTH, allow_none=True)
    override_reason = Text(REASON_LENGTH, allow_none=True)


class MoveSchema(_BlankIsMissing):
    """The calendar's drag (new start) and resize (new length)."""

    starts_at = Instant(required=True)
    duration_minutes = fields.Integer(validate=DURATION, load_default=None)


class StatusSchema(_BlankIsMissing):
    status = fields.String(
        required=True,
        validate=validate.OneOf([s for s in STATUSES if s != "postponed"], error="Choose a status."),
        error_messages={"required": "Choose a status."},
    )
    cancellation_reason = Text(REASON_LENGTH, allow_none=True, load_default=None)


class PostponeSchema(_BlankIsMissing):
    """The new time (and optionally length, doctor, room: a room left out
    stays the old appointment's)."""

    starts_at = Instant(required=True, error_messages={"required": "Choose the new time."})
    duration_minutes = fields.Integer(validate=DURATION, load_default=None)
    doctor_id = Id(load_default=None)
    room_id = Id(allow_none=True)


class SlotQuerySchema(_BlankIsMissing):
    doctor_id = fields.List(Id(), load_default=None)
    specialty = Text(100, load_default=None)
    from_ = Instant(data_key="from", load_default=None)
    to = Instant(load_default=None)
    duration = fields.Integer(validate=DURATION, load_default=None)
    type_id = Id(load_default=None)
    room_id = Id(load_default=None)
    patient_id = Id(load_default=None)
    step = fields.Integer(validate=validate.Range(5, 240), load_default=15)
    limit = fields.Integer(validate=validate.Range(1, 200), load_default=10)


class PeriodSchema(Schema):
    """The calendar's period (its own ?start=&end=, local wall times)."""

    start = Instant(required=True)
    end = Instant(required=True)
    doctor_id = Id(load_default=None)
    room_id = Id(load_default=None)


class AbsenceDecisionSchema(Schema):
    """What to do with one appointment an absence covers (API: the absence's `decisions`)."""

    appointment_id = Id(required=True)
    decision = fields.String(
        required=True, validate=validate.OneOf(["keep", "rebook"], error="keep (with a reason) or rebook.")
    )
    reason = Text(REASON_LENGTH, allow_none=True, load_default=None)


def absence_decisions_field():
    """The absence's `decisions`: one entry per appointment it covers."""
    return fields.List(fields.Nested(AbsenceDecisionSchema), allow_none=True)
