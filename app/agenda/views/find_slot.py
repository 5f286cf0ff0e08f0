"""Find a slot: the next free times for a doctor (or any doctor of a
specialty), for a type of appointment or a duration, in a date range,
optionally in a room; one click books one (book_appointment, the same rules
as everywhere), for the patient chosen with the as-you-type picker.

Postponing uses the same page (?postpone=<appointment id>, opened from the
appointment's page or the calendar's popup): the search starts from the
appointment (its doctor, type, length, room and patient), and one click
postpones it to the slot chosen (postpone_appointment: the new appointment
booked, the old one marked postponed and linked to it, in one transaction)."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import parse_qsl, urlencode

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from werkzeug.datastructures import MultiDict

from app.agenda import rules as booking
from app.agenda.calendar import bookable_doctors
from app.agenda.models import TRANSITIONS, Appointment, AppointmentType
from app.agenda.schemas import BookingSchema, PostponeSchema
from app.agenda.slots import find_free_slots
from app.agenda.views.calendar import active_rooms, active_types
from app.core.actor import current_actor
from app.core.errors import CareTrailError, ConstraintViolation
from app.core.extensions import db
from app.core.normalize import is_digits
from app.core.schemas import load_values
from app.core.timezone import hospital_zone, local_midnight, now
from app.records.lookup import patient_choice
from app.records.models import Patient, Room, Staff
from app.security.policy import READ, WRITE, may
from app.security.roles import APPOINTMENTS, PATIENTS

DEFAULT_DAYS = 14
SEARCH_FIELDS = ("doctor_id", "specialty", "type_id", "duration", "from", "to", "room_id", "patient_id", "postpone")


@dataclass
class SlotSearch:
    """A search as typed in the form, and what it found."""

    params: dict = field(default_factory=dict)
    error: str | None = None
    slots: list = field(default_factory=list)
    doctors: dict = field(default_factory=dict)
    type: AppointmentType | None = None
    duration: int | None = None
    patient: Patient | None = None
    room: Room | None = None
    searched: bool = False
    postponing: Appointment | None = None  # the appointment to move, in postpone mode


def _day(value: str | None, default: date) -> date:
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConstraintViolation("from", f"Not a date: {value!r} (expected YYYY-MM-DD).") from None


def run_search(args: MultiDict) -> SlotSearch:
    """The slots for the search in `args` (the page's GET parameters)."""
    params = {name: (args.get(name) or "").strip() for name in SEARCH_FIELDS}
    search = SlotSearch(params=params)
    if params["postpone"]:
        _start_from_appointment(search)
    patient_id = int(params["patient_id"]) if is_digits(params["patient_id"]) else None
    search.patient = db.session.get(Patient, patient_id) if patient_id else None
    if not any(params[name] for name in ("doctor_id", "specialty", "type_id", "duration")):
        return search  # the empty form (perhaps opened from a patient's page)
    search.searched = True
    try:
        doctor_id = _number(params, "doctor_id")
        room_id = _number(params, "room_id")
        type_id = _number(params, "type_id")
        search.type = db.session.get(AppointmentType, type_id) if type_id else None
        search.room = db.session.get(Room, room_id) if room_id else None
        search.duration = _number(params, "duration") or (search.type.default_duration_minutes if search.type else None)
        first = _day(params["from"], now().date())
        last = _day(params["to"], first + timedelta(days=DEFAULT_DAYS - 1))
        starts = max(local_midnight(first), now())
        ends = local_midnight(last + timedelta(days=1))
        search.slots = find_free_slots(
            db.session,
            starts=starts,
            ends=ends,
            duration_minutes=search.duration,
            type_id=type_id,
            doctor_ids=[doctor_id] if doctor_id else None,
            specialty=params["specialty"] or None,
            room_id=room_id,
            patient_id=patient_id,
            limit=10,
        )
    except CareTrailError as problem:
        search.error = problem.message
        return search
    ids = {slot.doctor_id for slot in search.slots}
    if ids:
        search.doctors = {s.id: s for s in db.session.scalars(sa.select(Staff).where(Staff.id.in_(ids)))}
    return search


def may_postpone(appointment: Appointment) -> bool:
    """Only an appointment still to be seen (scheduled or confirmed) is postponed."""
    return "postponed" in TRANSITIONS.get(appointment.status, ())


def _start_from_appointment(search: SlotSearch) -> None:
    """Postpone mode: the search starts from the appointment moved (what the
    user did not set: its doctor, type, length, room; always its patient)."""
    params = search.params
    appointment_id = _number(params, "postpone")
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None:
        abort(404)
    search.postponing = appointment
    params["patient_id"] = str(appointment.patient_id)
    if not params["doctor_id"] and not params["specialty"]:
        params["doctor_id"] = str(appointment.doctor_id)
    if not params["type_id"]:
        params["type_id"] = str(appointment.type_id)
    if not params["duration"]:
        params["duration"] = str(appointment.duration_minutes)
    if not params["room_id"] and appointment.room_id:
        params["room_id"] = str(appointment.room_id)


def _number(params: dict, name: str) -> int | None:
    value = params.get(name)
    if not value:
        return None
    if not is_digits(value) or len(value) > 18:
        raise ConstraintViolation(name, f"{name}: a whole number is expected.")
    return int(value)


# The slot's hidden inputs, by the booking schema's names.
BOOKING_FIELDS = {
    "patient_id": "patient_id",
    "doctor_id": "doctor_id",
    "type_id": "type_id",
    "starts_at": "starts_at",
    "duration_minutes": "duration",
    "room_id": "room_id",
    "notes": "notes",
}


def specialties() -> list[str]:
    return sorted({doctor.specialty for doctor in bookable_doctors() if doctor.specialty})


class FindSlotView(BaseView):
    route_base = "/find-slot"
    default_view = "index"
    class_permission_name = APPOINTMENTS
    method_permission_name = {"index": "read", "book": "write", "postpone": "write"}

    @expose("/")
    @has_access
    def index(self):
        return self._render(run_search(request.args))

    @expose("/book", methods=["POST"])
    @has_access
    def book(self):
        """Book the slot clicked: doctor_id, starts_at, duration, type_id,
        room_id, patient_id; back to the same search when refused."""
        form = request.form
        search_args = MultiDict(parse_qsl(form.get("search", ""), keep_blank_values=True))
        if form.get("patient_id"):
            search_args["patient_id"] = form["patient_id"]
        values = {name: form[key] for name, key in BOOKING_FIELDS.items() if key in form}
        try:
            booked = load_values(BookingSchema(), values, screens=True)
            appointment = booking.book_appointment(db.session, current_actor(), **booked)
        except CareTrailError as problem:
            return self._render(run_search(search_args), refusal=problem.message, status=problem.status)
        when = appointment.starts_at.astimezone(hospital_zone())
        flash(
            f"Booked: {appointment.patient.full_name} with {appointment.doctor.display_name} "
            f"on {when:%d/%m/%Y} at {when:%H:%M}.",
            "success",
        )
        return redirect(
            url_for(
                "CalendarView.index", doctor_id=appointment.doctor_id, date=when.date().isoformat(), view="timeGridDay"
            )
        )

    @expose("/postpone", methods=["POST"])
    @has_access
    def postpone(self):
        """Postpone the appointment `appointment_id` to the slot clicked
        (doctor_id, starts_at, duration, room_id); back to the same search
        when refused, to the new appointment's page when done."""
        form = request.form
        search_args = MultiDict(parse_qsl(form.get("search", ""), keep_blank_values=True))
        old_id = form.get("appointment_id", "")
        if not is_digits(old_id) or len(old_id) > 18:
            abort(400)
        search_args["postpone"] = old_id
        values = {"starts_at": form.get("starts_at"), "duration_minutes": form.get("duration")}
        values.update(doctor_id=form.get("doctor_id"), room_id=form.get("room_id"))
        try:
            moved = load_values(PostponeSchema(), values, screens=True)
            new = booking.postpone_appointment(db.session, current_actor(), int(old_id), **moved)
        except CareTrailError as problem:
            return self._render(run_search(search_args), refusal=problem.message, status=problem.status)
        when = new.starts_at.astimezone(hospital_zone())
        flash(
            f"Postponed: {new.patient.full_name} now sees {new.doctor.display_name} "
            f"on {when:%d/%m/%Y} at {when:%H:%M} (appointment no. {old_id} is marked postponed).",
            "success",
        )
        return redirect(url_for("AppointmentView.show", pk=new.id))

    def _render(self, search: SlotSearch, *, refusal: str | None = None, status: int = 200):
        query = urlencode({k: v for k, v in search.params.items() if v and k not in ("patient_id", "postpone")})
        return self.render_template(
            "pages/find_slot.html",
            search=search,
            refusal=refusal,
            search_query=query,
            doctors=bookable_doctors(),
            specialties=specialties(),
            types=active_types(),
            rooms=active_rooms(),
            patient=patient_choice(search.patient) if search.patient else None,
            zone=hospital_zone(),
            postponing=search.postponing,
            may_postpone=search.postponing is not None and may_postpone(search.postponing),
            can_book=may(current_actor(), WRITE, APPOINTMENTS),
            can_search_patients=may(current_actor(), READ, PATIENTS),
        ), (400 if search.error and status == 200 else status)
