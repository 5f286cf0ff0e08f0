"""The calendar screen (FullCalendar, static/vendor/fullcalendar) and the
JSON endpoints its script calls.

Reading: the events feed (appointments and absences of a period, in the
hospital's time zone) and a doctor's working hours.  Writing: book, move or
resize, change the status; each goes through app/agenda/rules.py,
so the database's rules apply as everywhere else, after may_write_agenda()
(a doctor changes only their own agenda).  Every write is a POST with the
page's CSRF token (X-CSRFToken header) and answers JSON, never an error page.
"""

from flask import current_app, g, jsonify, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access, has_access_api

from app.agenda import rules as booking
from app.agenda.access import may_write_agenda, staff_id_of
from app.agenda.calendar import (
    STATUS_COLOURS,
    absence_events,
    appointment_event,
    appointment_events,
    bookable_doctors,
    business_hours,
    parse_instant,
    parse_period,
)
from app.agenda.models import STATUSES, AppointmentType
from app.agenda.views.json import (
    NOT_YOUR_AGENDA,
    json_body,
    ok,
    optional_int,
    optional_text,
    refusal,
    refused,
    required_int,
)
from app.core.errors import CareTrailError, ConstraintViolation
from app.core.extensions import db
from app.records.lookup import find_patients, patient_choice
from app.records.models import Room
from app.security.roles import APPOINTMENTS, PATIENTS

VIEWS = ("timeGridDay", "timeGridWeek", "dayGridMonth")


def active_types() -> list[AppointmentType]:
    return list(
        db.session.scalars(db.select(AppointmentType).where(AppointmentType.is_active).order_by(AppointmentType.name))
    )


def active_rooms() -> list[Room]:
    return list(db.session.scalars(db.select(Room).where(Room.is_active).order_by(Room.code)))


class CalendarView(BaseView):
    route_base = "/calendar"
    default_view = "index"
    class_permission_name = APPOINTMENTS
    method_permission_name = {
        "index": "read",
        "events": "read",
        "hours": "read",
        "book": "write",
        "move": "write",
        "change_status": "write",
    }

    @expose("/")
    @has_access
    def index(self):
        sm = self.appbuilder.sm
        own_doctor = staff_id_of(g.user)
        doctor_id = request.args.get("doctor_id", type=int)
        if doctor_id is None and "doctor_id" not in request.args:
            doctor_id = own_doctor  # a doctor opens on their own agenda
        config = {
            "timezone": current_app.config.get("TIMEZONE", "Europe/Paris"),
            "initialView": request.args.get("view") if request.args.get("view") in VIEWS else "timeGridWeek",
            "initialDate": request.args.get("date") or None,
            "doctorId": doctor_id,
            "roomId": request.args.get("room_id", type=int),
            "canWrite": sm.has_access("can_write", APPOINTMENTS),
            "canSearchPatients": sm.has_access("can_read", PATIENTS),
            "urls": {
                "events": url_for("CalendarView.events"),
                "hours": url_for("CalendarView.hours"),
                "book": url_for("CalendarView.book"),
                "move": url_for("CalendarView.move", pk=0).replace("/0/", "/__ID__/"),
                "status": url_for("CalendarView.change_status", pk=0).replace("/0/", "/__ID__/"),
                "show": url_for("AppointmentView.show", pk=0).replace("/0", "/__ID__"),
                "ics": url_for("AppointmentView.ics", pk=0).replace("/0", "/__ID__"),
                "patients": url_for("PatientLookupView.search"),
            },
            "types": [
                {
                    "id": t.id,
                    "name": t.name,
                    "duration": t.default_duration_minutes,
                    "requiresRoom": t.requires_room,
                    "isEmergency": t.is_emergency,
                }
                for t in active_types()
            ],
        }
        return self.render_template(
            "pages/calendar.html",
            config=config,
            doctors=bookable_doctors(),
            rooms=active_rooms(),
            statuses=STATUSES,
            colours=STATUS_COLOURS,
        )

    @expose("/events")
    @has_access_api
    def events(self):
        """FullCalendar's JSON feed: ?start=&end= (its period), doctor_id,
        room_id, inactive=1 to include cancelled, postponed and no-show ones."""
        try:
            starts, ends = parse_period(request.args.get("start"), request.args.get("end"))
            doctor_id = optional_int(request.args, "doctor_id")
            room_id = optional_int(request.args, "room_id")
        except ConstraintViolation as problem:
            return refused(400, problem.message)
        events = appointment_events(
            starts,
            ends,
            doctor_id=doctor_id,
            room_id=room_id,
            include_inactive=request.args.get("inactive") == "1",
            may_write=self._may_write,
        )
        if room_id is None or doctor_id is not None:
            events += absence_events(starts, ends, doctor_id=doctor_id)
        return jsonify(events)

    @expose("/hours")
    @has_access_api
    def hours(self):
        """The doctor's working hours over ?start=&end=, as FullCalendar businessHours."""
        try:
            doctor_id = required_int(request.args, "doctor_id", "a doctor")
            starts, ends = parse_period(request.args.get("start"), request.args.get("end"))
        except ConstraintViolation as problem:
            return refused(400, problem.message)
        zone = booking.hospital_zone()
        first_day, last_day = starts.astimezone(zone).date(), ends.astimezone(zone).date()
        return jsonify({"business_hours": business_hours(doctor_id, first_day, last_day)})

    @expose("/appointments", methods=["POST"])
    @has_access_api
    def book(self):
        """Book: {patient_id, doctor_id, type_id, starts_at, duration_minutes?,
        room_id?, notes?, override_reason?} -> 201 {"ok": true, "event": ...}."""
        values = json_body()
        try:
            doctor_id = required_int(values, "doctor_id", "a doctor")
            if not may_write_agenda(g.user, doctor_id):
                return refused(403, NOT_YOUR_AGENDA)
            appointment = booking.book_appointment(
                patient_id=required_int(values, "patient_id", "a patient"),
                doctor_id=doctor_id,
                type_id=required_int(values, "type_id", "a type of appointment"),
                starts_at=parse_instant(optional_text(values, "starts_at"), "starts_at"),
                duration_minutes=optional_int(values, "duration_minutes"),
                room_id=optional_int(values, "room_id"),
                notes=optional_text(values, "notes"),
                override_reason=optional_text(values, "override_reason"),
                booked_by_id=g.user.id,
            )
        except CareTrailError as problem:
            return refusal(problem)
        return ok(201, id=appointment.id, event=appointment_event(appointment, writable=True))

    @expose("/appointments/<int:pk>/move", methods=["POST"])
    @has_access_api
    def move(self, pk: int):
        """Drag (new start) or resize (new duration): {starts_at, duration_minutes?}."""
        values = json_body()
        try:
            appointment = booking.get_appointment(pk)
            if not may_write_agenda(g.user, appointment.doctor_id):
                return refused(403, NOT_YOUR_AGENDA)
            appointment = booking.move_appointment(
                pk,
                starts_at=parse_instant(optional_text(values, "starts_at"), "starts_at"),
                duration_minutes=optional_int(values, "duration_minutes"),
            )
        except CareTrailError as problem:
            return refusal(problem)
        return ok(event=appointment_event(appointment, writable=True))

    @expose("/appointments/<int:pk>/status", methods=["POST"])
    @has_access_api
    def change_status(self, pk: int):
        """{status, cancellation_reason?}: confirmed, arrived, completed,
        cancelled (with a reason), no_show, or back to scheduled."""
        values = json_body()
        status = optional_text(values, "status")
        if status not in STATUSES:
            return refused(422, "Choose a status.", field="status")
        try:
            appointment = booking.get_appointment(pk)
            if not may_write_agenda(g.user, appointment.doctor_id):
                return refused(403, NOT_YOUR_AGENDA)
            appointment = booking.set_status(
                pk, status, cancellation_reason=optional_text(values, "cancellation_reason")
            )
        except CareTrailError as problem:
            return refusal(problem)
        return ok(event=appointment_event(appointment, writable=True))

    @staticmethod
    def _may_write(doctor_id: int) -> bool:
        return may_write_agenda(g.user, doctor_id)


class PatientLookupView(BaseView):
    """Patients as you type, for the agenda's pickers: ?q=dubois marie."""

    route_base = "/patient-lookup"
    class_permission_name = PATIENTS
    method_permission_name = {"search": "read"}

    @expose("/")
    @has_access_api
    def search(self):
        return jsonify([patient_choice(p) for p in find_patients(request.args.get("q", ""), limit=10)])
