"""Find a slot: the next free times for a doctor (or any doctor of a
specialty), for a type of appointment or a duration, in a date range,
optionally in a room; one click books one (book_appointment, the same rules
as everywhere), for the patient chosen with the as-you-type picker."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

import sqlalchemy as sa
from flask import flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from werkzeug.datastructures import MultiDict

from app.agenda import rules as booking
from app.agenda.access import may_write_agenda
from app.agenda.calendar import bookable_doctors, parse_instant
from app.agenda.models import AppointmentType
from app.agenda.slots import find_free_slots
from app.agenda.views.calendar import active_rooms, active_types
from app.agenda.views.json import NOT_YOUR_AGENDA, optional_int, optional_text, required_int
from app.core.errors import BookingConflict, CareTrailError, ConstraintViolation, NotFound
from app.core.extensions import db
from app.records.lookup import patient_choice
from app.records.models import Patient, Room, Staff
from app.security.roles import APPOINTMENTS, PATIENTS

DEFAULT_DAYS = 14
SEARCH_FIELDS = ("doctor_id", "specialty", "type_id", "duration", "from", "to", "room_id", "patient_id")


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


def _day(value: str | None, default: date) -> date:
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConstraintViolation("from", f"Not a date: {value!r} (expected YYYY-MM-DD).") from None


def _local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=booking.hospital_zone())


def run_search(args: MultiDict) -> SlotSearch:
    """The slots for the search in `args` (the page's GET parameters)."""
    params = {name: (args.get(name) or "").strip() for name in SEARCH_FIELDS}
    search = SlotSearch(params=params)
    patient_id = int(params["patient_id"]) if params["patient_id"].isdigit() else None
    search.patient = db.session.get(Patient, patient_id) if patient_id else None
    if not any(params[name] for name in ("doctor_id", "specialty", "type_id", "duration")):
        return search  # the empty form (perhaps opened from a patient's page)
    search.searched = True
    try:
        doctor_id = optional_int(params, "doctor_id")
        room_id = optional_int(params, "room_id")
        type_id = optional_int(params, "type_id")
        search.type = db.session.get(AppointmentType, type_id) if type_id else None
        search.room = db.session.get(Room, room_id) if room_id else None
        search.duration = optional_int(params, "duration") or (
            search.type.default_duration_minutes if search.type else None
        )
        if search.duration is None:
            raise ConstraintViolation("duration", "Choose a type of appointment or a duration.")
        if search.type is not None and search.type.requires_room and search.room is None:
            raise ConstraintViolation("room_id", f"{search.type.name} needs a room: choose one.")
        today = datetime.now(booking.hospital_zone()).date()
        first = _day(params["from"], today)
        last = _day(params["to"], first + timedelta(days=DEFAULT_DAYS - 1))
        starts = max(_local_midnight(first), datetime.now(booking.hospital_zone()))
        ends = _local_midnight(last + timedelta(days=1))
        search.slots = find_free_slots(
            starts=starts,
            ends=ends,
            duration_minutes=search.duration,
            doctor_ids=[doctor_id] if doctor_id else None,
            specialty=params["specialty"] or None,
            room_id=room_id,
            patient_id=patient_id,
            limit=10,
        )
    except ConstraintViolation as problem:
        search.error = problem.message
        return search
    ids = {slot.doctor_id for slot in search.slots}
    if ids:
        search.doctors = {s.id: s for s in db.session.scalars(sa.select(Staff).where(Staff.id.in_(ids)))}
    return search


def specialties() -> list[str]:
    return sorted({doctor.specialty for doctor in bookable_doctors() if doctor.specialty})


class FindSlotView(BaseView):
    route_base = "/find-slot"
    default_view = "index"
    class_permission_name = APPOINTMENTS
    method_permission_name = {"index": "read", "book": "write"}

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
        try:
            doctor_id = required_int(form, "doctor_id", "a doctor")
            if not may_write_agenda(g.user, doctor_id):
                return self._render(run_search(search_args), refusal=NOT_YOUR_AGENDA, status=403)
            appointment = booking.book_appointment(
                patient_id=required_int(form, "patient_id", "the patient first (type a few letters of the name)"),
                doctor_id=doctor_id,
                type_id=required_int(form, "type_id", "a type of appointment"),
                starts_at=parse_instant(optional_text(form, "starts_at"), "starts_at"),
                duration_minutes=optional_int(form, "duration"),
                room_id=optional_int(form, "room_id"),
                notes=optional_text(form, "notes"),
                booked_by_id=g.user.id,
            )
        except CareTrailError as problem:
            status = 409 if isinstance(problem, BookingConflict) else 404 if isinstance(problem, NotFound) else 422
            return self._render(run_search(search_args), refusal=problem.message, status=status)
        when = appointment.starts_at.astimezone(booking.hospital_zone())
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

    def _render(self, search: SlotSearch, *, refusal: str | None = None, status: int = 200):
        query = urlencode({k: v for k, v in search.params.items() if v and k != "patient_id"})
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
            zone=booking.hospital_zone(),
            can_book=self.appbuilder.sm.has_access("can_write", APPOINTMENTS),
            can_search_patients=self.appbuilder.sm.has_access("can_read", PATIENTS),
        ), (400 if search.error and status == 200 else status)
