"""The calendar screen (FullCalendar, static/vendor/fullcalendar) and the
JSON endpoints its script calls.

Reading: the events feed (appointments and absences of a period, in the
hospital's time zone) and a doctor's working hours.  Writing: book, move or
resize, change the status; each goes through app/agenda/rules.py,
so the database's rules apply as everywhere else, where the
rules refuse what the user may not do (a doctor changes only their own
agenda).  Input is read by app/agenda/schemas.py like the API's; a refusal
is answered by app/core/answers.py (JSON: the calendar asks for it).  Every
write is a POST with the page's CSRF token (X-CSRFToken header).
"""

from flask import jsonify, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access, has_access_api

from app.agenda import rules as booking
from app.agenda.access import agenda_writer, staff_id_of
from app.agenda.calendar import (
    STATUS_COLOURS,
    absence_events,
    appointment_event,
    appointment_events,
    bookable_doctors,
    business_hours,
    check_period,
)
from app.agenda.models import STATUSES, AppointmentType
from app.agenda.schemas import BookingSchema, MoveSchema, PeriodSchema, StatusSchema
from app.core.actor import current_actor
from app.core.answers import json_endpoint
from app.core.errors import BadInput
from app.core.extensions import db
from app.core.schemas import load_json_body, load_query
from app.core.timezone import hospital_zone
from app.records.lookup import find_patients, patient_choice
from app.records.models import Room
from app.security.policy import READ, WRITE, may
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
        actor = current_actor()
        own_doctor = staff_id_of(db.session, actor)
        doctors = bookable_doctors()
        doctor_id = request.args.get("doctor_id", type=int)
        if doctor_id is None and "doctor_id" not in request.args:
            # A doctor opens on their own agenda, anyone else on the first
            # doctor's: one doctor's week is what people look at, and the
            # all-doctors week (doctor_id= empty) is ten times the work.
            doctor_id = own_doctor or (doctors[0].id if doctors else None)
        config = {
            "timezone": hospital_zone().key,
            "initialView": request.args.get("view") if request.args.get("view") in VIEWS else "timeGridWeek",
            "initialDate": request.args.get("date") or None,
            "doctorId": doctor_id,
            "roomId": request.args.get("room_id", type=int),
            "canWrite": may(actor, WRITE, APPOINTMENTS),
            "canSearchPatients": may(actor, READ, PATIENTS),
            "urls": {
                "events": url_for("CalendarView.events"),
                "hours": url_for("CalendarView.hours"),
                "book": url_for("CalendarView.book"),
                "move": url_for("CalendarView.move", pk=0).replace("/0/", "/__ID__/"),
                "status": url_for("CalendarView.change_status", pk=0).replace("/0/", "/__ID__/"),
                "show": url_for("AppointmentView.show", pk=0).replace("/0", "/__ID__"),
                "ics": url_for("AppointmentView.ics", pk=0).replace("/0", "/__ID__"),
                "postpone": url_for("FindSlotView.index", postpone="__ID__"),
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
            doctors=doctors,
            rooms=active_rooms(),
            statuses=STATUSES,
            colours=STATUS_COLOURS,
        )

    @expose("/events")
    @has_access_api
    @json_endpoint
    def events(self):
        """FullCalendar's JSON feed: ?start=&end= (its period), doctor_id,
        room_id, inactive=1 to include cancelled, postponed and no-show ones."""
        period = _period()
        actor = current_actor()
        events = appointment_events(
            period["start"],
            period["end"],
            doctor_id=period["doctor_id"],
            room_id=period["room_id"],
            include_inactive=request.args.get("inactive") == "1",
            may_write=agenda_writer(db.session, actor),
        )
        if period["room_id"] is None or period["doctor_id"] is not None:
            events += absence_events(period["start"], period["end"], doctor_id=period["doctor_id"])
        return jsonify(events)

    @expose("/hours")
    @has_access_api
    @json_endpoint
    def hours(self):
        """The doctor's working hours over ?start=&end=, as FullCalendar businessHours."""
        period = _period()
        if period["doctor_id"] is None:
            raise BadInput("Choose a doctor.", field="doctor_id")
        zone = hospital_zone()
        first_day, last_day = period["start"].astimezone(zone).date(), period["end"].astimezone(zone).date()
        return jsonify({"business_hours": business_hours(period["doctor_id"], first_day, last_day)})

    @expose("/appointments", methods=["POST"])
    @has_access_api
    @json_endpoint
    def book(self):
        """Book: {patient_id, doctor_id, type_id, starts_at, duration_minutes?,
        room_id?, notes?, override_reason?} -> 201 {"ok": true, "event": ...}."""
        values = load_json_body(BookingSchema(), screens=True)
        appointment = booking.book_appointment(db.session, current_actor(), **values)
        return _ok(201, id=appointment.id, event=appointment_event(appointment, writable=True))

    @expose("/appointments/<int:pk>/move", methods=["POST"])
    @has_access_api
    @json_endpoint
    def move(self, pk: int):
        """Drag (new start) or resize (new duration): {starts_at, duration_minutes?}."""
        values = load_json_body(MoveSchema(), screens=True)
        appointment = booking.move_appointment(db.session, current_actor(), pk, **values)
        return _ok(event=appointment_event(appointment, writable=True))

    @expose("/appointments/<int:pk>/status", methods=["POST"])
    @has_access_api
    @json_endpoint
    def change_status(self, pk: int):
        """{status, cancellation_reason?}: confirmed, arrived, completed,
        cancelled (with a reason), no_show, or back to scheduled."""
        values = load_json_body(StatusSchema(), screens=True)
        appointment = booking.set_status(db.session, current_actor(), pk, **values)
        return _ok(event=appointment_event(appointment, writable=True))


def _ok(status: int = 200, **payload):
    return jsonify({"ok": True, **payload}), status


def _period() -> dict:
    period = load_query(PeriodSchema(), request.args.to_dict(), screens=True)
    check_period(period["start"], period["end"])
    return period


class PatientLookupView(BaseView):
    """Patients as you type, for the agenda's pickers: ?q=dubois marie."""

    route_base = "/patient-lookup"
    class_permission_name = PATIENTS
    method_permission_name = {"search": "read"}

    @expose("/")
    @has_access_api
    @json_endpoint
    def search(self):
        return jsonify([patient_choice(p) for p in find_patients(request.args.get("q", ""), limit=10)])
