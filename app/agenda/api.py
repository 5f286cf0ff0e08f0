"""REST API of the agenda: /api/v1/appointments/, /schedules/, /absences/,
/appointment_types/ and /slots.

Appointments are written through app/agenda/rules.py, like the
calendar: a double booking answers 409 with the appointment in the way,
another refusal (outside working hours, a status change not allowed...) 422
naming the field.  Doctors and radiologists may write their own agenda only
(app/agenda/access.py): 403 otherwise.
"""

from datetime import datetime, timedelta

from flask import g, request
from flask_appbuilder.api import BaseApi, expose, protect, safe
from marshmallow import Schema, ValidationError, fields, validate

from app.agenda import rules as booking
from app.agenda.access import may_write_agenda
from app.agenda.models import STATUSES, Appointment, AppointmentType, DoctorAbsence, DoctorSchedule
from app.agenda.slots import find_free_slots
from app.core.api import CareTrailModelApi, load_json_body
from app.core.datamodel import CareTrailInterface
from app.core.errors import AgendaForbidden, BookingConflict, ConstraintViolation, DatabaseWriteFailed, NotFound
from app.security.roles import ABSENCES, APPOINTMENT_TYPES, APPOINTMENTS, SCHEDULES

APPOINTMENT_COLUMNS = [
    "id",
    "patient_id",
    "doctor_id",
    "room_id",
    "type_id",
    "starts_at",
    "duration_minutes",
    "ends_at",
    "status",
    "notes",
    "cancellation_reason",
    "override_reason",
    "postponed_to_id",
    "booked_by_id",
    "created_at",
    "updated_at",
]


class NewAppointmentSchema(Schema):
    patient_id = fields.Integer(required=True)
    doctor_id = fields.Integer(required=True)
    type_id = fields.Integer(required=True)
    starts_at = fields.AwareDateTime(required=True)
    duration_minutes = fields.Integer(validate=validate.Range(5, 720), load_default=None)
    room_id = fields.Integer(allow_none=True, load_default=None)
    notes = fields.String(allow_none=True, load_default=None)
    override_reason = fields.String(allow_none=True, validate=validate.Length(max=500), load_default=None)


class AppointmentChangesSchema(Schema):
    starts_at = fields.AwareDateTime()
    duration_minutes = fields.Integer(validate=validate.Range(5, 720))
    doctor_id = fields.Integer()
    room_id = fields.Integer(allow_none=True)
    type_id = fields.Integer()
    notes = fields.String(allow_none=True)
    status = fields.String(validate=validate.OneOf([s for s in STATUSES if s != "postponed"]))
    cancellation_reason = fields.String(allow_none=True, validate=validate.Length(max=500))
    override_reason = fields.String(allow_none=True, validate=validate.Length(max=500))


class PostponeSchema(Schema):
    starts_at = fields.AwareDateTime(required=True)
    duration_minutes = fields.Integer(validate=validate.Range(5, 720), load_default=None)
    doctor_id = fields.Integer(load_default=None)


class AgendaModelApi(CareTrailModelApi):
    """A table whose rows belong to one doctor's agenda (doctor_id)."""

    def pre_add(self, item):
        _require_agenda(item.doctor_id)

    def pre_update(self, item):
        _require_agenda(item.doctor_id)

    def pre_delete(self, item):
        _require_agenda(item.doctor_id)

    def put_headless(self, pk):
        item = self.datamodel.get(pk, self._base_filters)
        if item is not None and not may_write_agenda(g.user, item.doctor_id):
            return self.response_403()
        return super().put_headless(pk)

    def _explain_refusals(self, write, *args):
        try:
            return super()._explain_refusals(write, *args)
        except AgendaForbidden:
            return self.response_403()


class AppointmentApi(AgendaModelApi):
    resource_name = "appointments"
    datamodel = CareTrailInterface(Appointment)
    class_permission_name = APPOINTMENTS
    openapi_spec_tag = "Appointments"
    method_permission_name = {**CareTrailModelApi.method_permission_name, "postpone": "write"}

    list_columns = show_columns = APPOINTMENT_COLUMNS
    order_columns = ["id", "starts_at", "ends_at", "status", "doctor_id", "patient_id", "updated_at"]
    search_columns = ["patient_id", "doctor_id", "room_id", "type_id", "status", "starts_at"]
    base_order = ("starts_at", "asc")
    add_model_schema = NewAppointmentSchema()
    edit_model_schema = AppointmentChangesSchema()
    # The custom schemas' fields (FAB's _info describes these columns from them).
    add_columns = list(NewAppointmentSchema._declared_fields)
    edit_columns = list(AppointmentChangesSchema._declared_fields)

    def post_headless(self):
        """Book (the same rules as the calendar)."""
        values, problem = load_json_body(NewAppointmentSchema(), self)
        if problem:
            return problem
        if not may_write_agenda(g.user, values["doctor_id"]):
            return self.response_403()
        return self._write(201, lambda: booking.book_appointment(**values, booked_by_id=g.user.id))

    def put_headless(self, pk):
        """Move, reassign, change the status: one write, all rules."""
        changes, problem = load_json_body(AppointmentChangesSchema(), self)
        if problem:
            return problem
        if not changes:
            return self.response_400(message="Nothing to change.")
        appointment = self.datamodel.get(pk, self._base_filters)
        if appointment is None:
            return self.response_404()
        doctors = {appointment.doctor_id, changes.get("doctor_id", appointment.doctor_id)}
        if not all(may_write_agenda(g.user, doctor) for doctor in doctors):
            return self.response_403()
        return self._write(200, lambda: booking.update_appointment(pk, changes))

    @expose("/<int:pk>/postpone", methods=["POST"])
    @protect()
    @safe
    def postpone(self, pk):
        """Move an appointment to a new one, keeping the link.
        ---
        post:
          summary: Postpone an appointment (the old one becomes postponed, linked to the new one)
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [starts_at]
                  properties:
                    starts_at: {type: string, format: date-time}
                    duration_minutes: {type: integer}
                    doctor_id: {type: integer}
          responses:
            201: {description: The new appointment}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
            409: {description: Double booking, with the conflicting appointment}
            422: {$ref: '#/components/responses/422'}
        """
        values, problem = load_json_body(PostponeSchema(), self)
        if problem:
            return problem
        appointment = self.datamodel.get(pk, self._base_filters)
        if appointment is None:
            return self.response_404()
        doctors = {appointment.doctor_id, values["doctor_id"] or appointment.doctor_id}
        if not all(may_write_agenda(g.user, doctor) for doctor in doctors):
            return self.response_403()
        return self._write(201, lambda: booking.postpone_appointment(pk, **values, booked_by_id=g.user.id))

    def _write(self, status: int, write):
        try:
            appointment = write()
        except BookingConflict as conflict:
            return self.response(409, message=conflict.message, conflict=conflict.conflict)
        except ConstraintViolation as violation:
            return self.response_422(message=violation.as_messages())
        except NotFound as missing:
            return self.response(404, message=missing.message)
        except DatabaseWriteFailed as failure:
            return self.response(503, message=failure.message)
        result = self.show_model_schema.dump(appointment)
        return self.response(status, id=appointment.id, result=result)


class ScheduleApi(AgendaModelApi):
    resource_name = "schedules"
    datamodel = CareTrailInterface(DoctorSchedule)
    class_permission_name = SCHEDULES
    openapi_spec_tag = "Working hours"
    list_columns = show_columns = [
        "id",
        "doctor_id",
        "day_of_week",
        "start_time",
        "end_time",
        "valid_from",
        "valid_until",
        "updated_at",
    ]
    add_columns = edit_columns = ["doctor_id", "day_of_week", "start_time", "end_time", "valid_from", "valid_until"]
    search_columns = ["doctor_id", "day_of_week"]
    order_columns = ["id", "doctor_id", "day_of_week", "start_time"]
    validators_columns = {"day_of_week": validate.Range(1, 7)}


class AbsenceApi(AgendaModelApi):
    resource_name = "absences"
    datamodel = CareTrailInterface(DoctorAbsence)
    class_permission_name = ABSENCES
    openapi_spec_tag = "Absences"
    list_columns = show_columns = ["id", "doctor_id", "starts_at", "ends_at", "reason", "updated_at"]
    add_columns = edit_columns = ["doctor_id", "starts_at", "ends_at", "reason"]
    search_columns = ["doctor_id", "starts_at", "ends_at"]
    order_columns = ["id", "doctor_id", "starts_at"]


class AppointmentTypeApi(CareTrailModelApi):
    resource_name = "appointment_types"
    datamodel = CareTrailInterface(AppointmentType)
    class_permission_name = APPOINTMENT_TYPES
    openapi_spec_tag = "Appointment types"
    add_columns = edit_columns = [
        "code",
        "name",
        "default_duration_minutes",
        "is_emergency",
        "requires_room",
        "is_active",
    ]
    list_columns = show_columns = ["id", *add_columns]
    order_columns = ["id", "code", "name"]
    validators_columns = {"default_duration_minutes": validate.Range(5, 720)}


class SlotQuerySchema(Schema):
    doctor_id = fields.List(fields.Integer(), load_default=None)
    specialty = fields.String(load_default=None)
    from_ = fields.AwareDateTime(data_key="from", load_default=None)
    to = fields.AwareDateTime(load_default=None)
    duration = fields.Integer(validate=validate.Range(5, 720), load_default=None)
    type_id = fields.Integer(load_default=None)
    room_id = fields.Integer(load_default=None)
    patient_id = fields.Integer(load_default=None)
    step = fields.Integer(validate=validate.Range(5, 240), load_default=15)
    limit = fields.Integer(validate=validate.Range(1, 200), load_default=10)


class SlotApi(BaseApi):
    resource_name = "slots"
    openapi_spec_tag = "Appointments"
    class_permission_name = APPOINTMENTS
    method_permission_name = {"free_slots": "read"}
    allow_browser_login = True

    @expose("", methods=["GET"])
    @protect()
    @safe
    def free_slots(self):
        """The next free slots of a doctor (or of every doctor of a specialty).
        ---
        get:
          summary: Free slots respecting working hours, absences and bookings
          parameters:
          - {in: query, name: doctor_id, schema: {type: integer}, description: 'repeat for several doctors'}
          - {in: query, name: specialty, schema: {type: string}}
          - {in: query, name: from, schema: {type: string, format: date-time}, description: 'default: now'}
          - {in: query, name: to, schema: {type: string, format: date-time}, description: 'default: from + 14 days'}
          - {in: query, name: duration, schema: {type: integer}, description: 'minutes (or give type_id)'}
          - {in: query, name: type_id, schema: {type: integer}}
          - {in: query, name: room_id, schema: {type: integer}}
          - {in: query, name: patient_id, schema: {type: integer}}
          - {in: query, name: step, schema: {type: integer, default: 15}}
          - {in: query, name: limit, schema: {type: integer, default: 10, maximum: 200}}
          responses:
            200:
              description: Free slots, earliest first
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      slots:
                        type: array
                        items:
                          type: object
                          properties:
                            doctor_id: {type: integer}
                            starts_at: {type: string, format: date-time}
                            ends_at: {type: string, format: date-time}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
        """
        args = request.args.to_dict()
        if "doctor_id" in request.args:
            args["doctor_id"] = request.args.getlist("doctor_id")
        try:
            query = SlotQuerySchema().load(args)
        except ValidationError as invalid:
            return self.response_400(message=invalid.messages)
        duration = query["duration"]
        if duration is None and query["type_id"] is not None:
            try:
                duration = booking.default_duration(query["type_id"])
            except ConstraintViolation as violation:
                return self.response_400(message=violation.as_messages())
        if duration is None:
            return self.response_400(message={"duration": ["Give a duration in minutes or a type_id."]})
        starts = query["from_"] or datetime.now(booking.hospital_zone())
        ends = query["to"] or starts + timedelta(days=14)
        try:
            slots = find_free_slots(
                starts=starts,
                ends=ends,
                duration_minutes=duration,
                doctor_ids=query["doctor_id"],
                specialty=query["specialty"],
                room_id=query["room_id"],
                patient_id=query["patient_id"],
                step_minutes=query["step"],
                limit=query["limit"],
            )
        except ConstraintViolation as violation:
            return self.response_400(message=violation.as_messages())
        return self.response(200, slots=[slot.as_dict() for slot in slots])


def _require_agenda(doctor_id: int | None) -> None:
    if not may_write_agenda(g.user, doctor_id):
        raise AgendaForbidden()
