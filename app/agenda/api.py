"""REST API of the agenda: /api/v1/appointments/, /schedules/, /absences/,
/appointment_types/ and /slots.

Every write goes through app/agenda/rules.py, like the calendar and the
screens: a double booking answers 409 with the appointment in the way,
another refusal (outside working hours, a status change not allowed...) 422
naming the field, a doctor writing another doctor's agenda 403 (the rule
itself refuses it).  Input is read by app/agenda/schemas.py.
"""

from datetime import timedelta

from flask import request
from flask_appbuilder.api import expose, protect
from marshmallow import validate

from app.agenda import rules as booking
from app.agenda.absences import ABSENCE_RULES
from app.agenda.models import Appointment, AppointmentType, DoctorAbsence, DoctorSchedule
from app.agenda.schemas import (
    AppointmentChangesSchema,
    BookingSchema,
    PostponeSchema,
    SlotQuerySchema,
    absence_decisions_field,
)
from app.agenda.slots import find_free_slots
from app.core.actor import current_actor
from app.core.api import CareTrailApi, CareTrailModelApi, safe
from app.core.datamodel import CareTrailInterface
from app.core.errors import BadInput
from app.core.extensions import db
from app.core.schemas import load_json_body, load_query
from app.core.timezone import now
from app.core.versions import etag_of, parse_if_match
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
    "called_at",
    "called_by_id",
    "created_at",
    "updated_at",
]


class AppointmentApi(CareTrailModelApi):
    resource_name = "appointments"
    datamodel = CareTrailInterface(Appointment, rules=booking.APPOINTMENT_RULES)
    class_permission_name = APPOINTMENTS
    openapi_spec_tag = "Appointments"
    method_permission_name = {**CareTrailModelApi.method_permission_name, "postpone": "write", "call": "write"}

    list_columns = show_columns = APPOINTMENT_COLUMNS
    order_columns = ["id", "starts_at", "ends_at", "status", "doctor_id", "patient_id", "updated_at"]
    search_columns = ["patient_id", "doctor_id", "room_id", "type_id", "status", "starts_at"]
    base_order = ("starts_at", "asc")
    add_model_schema = BookingSchema()
    edit_model_schema = AppointmentChangesSchema()
    # The custom schemas' fields (FAB's _info describes these columns from them).
    add_columns = list(BookingSchema._declared_fields)
    edit_columns = list(AppointmentChangesSchema._declared_fields)

    def post_headless(self):
        """Book (the same rules as the calendar)."""
        return self._answering(self._book)

    def _book(self):
        values = load_json_body(BookingSchema())
        appointment = booking.book_appointment(db.session, current_actor(), **values)
        return self._shown(201, appointment)

    def put_headless(self, pk):
        """Move, reassign, change the status: one write, all rules."""
        return self._answering(self._change, pk)

    def _change(self, pk):
        changes = load_json_body(AppointmentChangesSchema())
        if not changes:
            raise BadInput("Nothing to change.")
        if self.datamodel.get(pk, self._base_filters) is None:
            return self.response_404()
        expected = parse_if_match(request.headers.get("If-Match"))
        appointment = booking.update_appointment(db.session, current_actor(), pk, changes, expected_version=expected)
        return self._shown(200, appointment)

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
                    room_id: {type: integer, nullable: true, description: "left out: the old appointment's room"}
          responses:
            201: {description: The new appointment}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
            409: {description: Double booking, with the conflicting appointment}
            422: {$ref: '#/components/responses/422'}
        """
        values = load_json_body(PostponeSchema())
        appointment = booking.postpone_appointment(db.session, current_actor(), pk, **values)
        return self._shown(201, appointment)

    @expose("/<int:pk>/call", methods=["POST"])
    @protect()
    @safe
    def call(self, pk):
        """Call the waiting patient in (the time and the caller are stored).
        ---
        post:
          summary: Call an arrived patient in from the waiting room
          description: >-
            A doctor calls their own patients, the reception anyone's; only an
            arrived appointment, on its day.
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200: {description: The appointment, with called_at and called_by_id}
            403: {description: 'Not your patient: {"message": {"doctor_id": [...]}}'}
            404: {$ref: '#/components/responses/404'}
            422: {description: 'Not arrived, or not today: {"message": {"status" or "starts_at": [...]}}'}
        """
        appointment = booking.call_patient(db.session, current_actor(), pk)
        return self._shown(200, appointment)

    def _shown(self, status: int, appointment):
        response = self.response(status, id=appointment.id, result=self.show_model_schema.dump(appointment))
        response.headers["ETag"] = etag_of(appointment)
        return response


class ScheduleApi(CareTrailModelApi):
    resource_name = "schedules"
    datamodel = CareTrailInterface(DoctorSchedule, rules=booking.SCHEDULE_RULES)
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


class AbsenceApi(CareTrailModelApi):
    resource_name = "absences"
    """Absences.  An absence over booked appointments is refused (409, with
    the `appointments` it covers) unless the body's `decisions` say, for
    each, `keep` (with a `reason`) or `rebook` (app/agenda/absences.py)."""

    datamodel = CareTrailInterface(DoctorAbsence, rules=ABSENCE_RULES)
    class_permission_name = ABSENCES
    openapi_spec_tag = "Absences"
    list_columns = show_columns = ["id", "doctor_id", "starts_at", "ends_at", "reason", "updated_at"]
    add_columns = edit_columns = ["doctor_id", "starts_at", "ends_at", "reason"]
    search_columns = ["doctor_id", "starts_at", "ends_at"]
    order_columns = ["id", "doctor_id", "starts_at"]

    def _init_model_schemas(self):
        super()._init_model_schemas()
        # `decisions` is read, never stored nor shown: the absence carries it to its rules.
        for schema in (self.add_model_schema, self.edit_model_schema):
            field = absence_decisions_field()
            field._bind_to_schema("decisions", schema)
            schema.fields["decisions"] = schema.load_fields["decisions"] = field


class AppointmentTypeApi(CareTrailModelApi):
    resource_name = "appointment_types"
    datamodel = CareTrailInterface(AppointmentType, rules=booking.APPOINTMENT_TYPE_RULES)
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


class SlotApi(CareTrailApi):
    resource_name = "slots"
    openapi_spec_tag = "Appointments"
    class_permission_name = APPOINTMENTS
    method_permission_name = {"free_slots": "read"}

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
        query = load_query(SlotQuerySchema(), args)
        starts = query["from_"] or now()
        slots = find_free_slots(
            db.session,
            starts=starts,
            ends=query["to"] or starts + timedelta(days=14),
            duration_minutes=query["duration"],
            type_id=query["type_id"],
            doctor_ids=query["doctor_id"],
            specialty=query["specialty"],
            room_id=query["room_id"],
            patient_id=query["patient_id"],
            step_minutes=query["step"],
            limit=query["limit"],
        )
        return self.response(200, slots=[slot.as_dict() for slot in slots])
