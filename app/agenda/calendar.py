"""What the calendar screen shows: appointments, absences and working hours
as FullCalendar reads them.

The calendar runs in the hospital's time zone (TIMEZONE, a named zone
without FullCalendar's time-zone plugin): it sends its period as local wall
times without an offset and expects events the same way.  So every instant
leaves here as the hospital's local wall time ("2026-03-30T09:00:00"), with
the exact instant (offset included) alongside in extendedProps; whatever
the browser's own zone, a secretary in Paris and a doctor reading from
abroad see 09:00 for the same appointment.
"""

from collections.abc import Callable
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.agenda.models import INACTIVE_STATUSES, STATUSES, TRANSITIONS, Appointment, DoctorAbsence, DoctorSchedule
from app.agenda.rules import ARRIVAL_STATUSES, is_ahead, patient_label
from app.core.errors import BadInput
from app.core.extensions import db
from app.core.timezone import hospital_zone
from app.records.models import Staff

# One colour per status (the legend on the calendar page uses the same).
STATUS_COLOURS = {
    "scheduled": "#337ab7",
    "confirmed": "#3c763d",
    "arrived": "#e67e22",
    "completed": "#7f8c8d",
    "cancelled": "#c0392b",
    "no_show": "#8e44ad",
    "postponed": "#95a5a6",
}
ABSENCE_COLOUR = "#f2dede"
# Statuses whose time may still change (a closed appointment keeps its time).
MOVABLE_STATUSES = ("scheduled", "confirmed", "no_show")
MAX_PERIOD = timedelta(days=62)  # a month view shows six weeks


def check_period(starts: datetime, ends: datetime) -> None:
    """The calendar asks for a view's period: after its start, at most MAX_PERIOD."""
    if ends <= starts:
        raise BadInput("The end of the period must be after its start.", field="end")
    if ends - starts > MAX_PERIOD:
        raise BadInput(f"Ask for at most {MAX_PERIOD.days} days at a time.", field="end")


def local_wall_time(moment: datetime) -> str:
    """The hospital's local time, without offset, as FullCalendar expects it."""
    return moment.astimezone(hospital_zone()).replace(tzinfo=None).isoformat(timespec="seconds")


def next_statuses(status: str, starts_at: datetime | None = None) -> list[str]:
    """Where a status change from the calendar may lead (postponing is a move
    to a new time; arrived and completed wait for the appointment's day)."""
    ahead = starts_at is not None and is_ahead(starts_at)
    return [s for s in TRANSITIONS.get(status, ()) if s != "postponed" and not (ahead and s in ARRIVAL_STATUSES)]


def appointment_events(
    starts: datetime,
    ends: datetime,
    *,
    doctor_id: int | None = None,
    room_id: int | None = None,
    include_inactive: bool = False,
    may_write: Callable[[int], bool] = lambda _doctor_id: False,
) -> list[dict]:
    """Appointments overlapping [starts, ends), as FullCalendar events;
    `may_write(doctor_id)` says whether the user may move them."""
    query = (
        sa.select(Appointment)
        .where(Appointment.starts_at < ends, Appointment.ends_at > starts)
        .options(
            selectinload(Appointment.patient),
            selectinload(Appointment.doctor),
            selectinload(Appointment.room),
            selectinload(Appointment.type),
        )
        .order_by(Appointment.starts_at, Appointment.id)
    )
    if doctor_id is not None:
        query = query.where(Appointment.doctor_id == doctor_id)
    if room_id is not None:
        query = query.where(Appointment.room_id == room_id)
    if not include_inactive:
        query = query.where(Appointment.status.not_in(INACTIVE_STATUSES))
    writable: dict[int, bool] = {}
    events = []
    for appointment in db.session.scalars(query):
        if appointment.doctor_id not in writable:
            writable[appointment.doctor_id] = may_write(appointment.doctor_id)
        events.append(appointment_event(appointment, writable=writable[appointment.doctor_id]))
    return events


def appointment_event(appointment: Appointment, *, writable: bool = False) -> dict:
    status = appointment.status
    room = appointment.room
    return {
        "id": str(appointment.id),
        "title": f"{patient_label(appointment.patient)} · {appointment.type.name}"
        + (" · to be rebooked" if appointment.needs_rebooking and appointment.is_active else ""),
        "start": local_wall_time(appointment.starts_at),
        "end": local_wall_time(appointment.ends_at),
        "color": STATUS_COLOURS.get(status, "#337ab7"),
        "classNames": [f"ct-status-{status}", *(["ct-to-rebook"] if appointment.needs_rebooking else [])],
        "editable": writable and status in MOVABLE_STATUSES,
        "extendedProps": {
            "kind": "appointment",
            "status": status,
            "status_label": STATUSES.get(status, status),
            "next_statuses": [{"code": s, "label": STATUSES[s]} for s in next_statuses(status, appointment.starts_at)]
            if writable
            else [],
            # Postponing picks the new time with the slot finder (a page of its own).
            "can_postpone": writable and "postponed" in TRANSITIONS.get(status, ()),
            "patient_id": appointment.patient_id,
            "patient": appointment.patient.full_name,
            "doctor_id": appointment.doctor_id,
            "doctor": appointment.doctor.display_name,
            "room_id": appointment.room_id,
            "room": f"{room.code} - {room.name}" if room else None,
            "type_id": appointment.type_id,
            "type": appointment.type.name,
            "duration_minutes": appointment.duration_minutes,
            "notes": appointment.notes,
            "cancellation_reason": appointment.cancellation_reason,
            "needs_rebooking": appointment.needs_rebooking,
            "absence_exception_reason": appointment.absence_exception_reason,
            "starts_at": appointment.starts_at.isoformat(),
            "ends_at": appointment.ends_at.isoformat(),
        },
    }


def absence_events(starts: datetime, ends: datetime, *, doctor_id: int | None = None) -> list[dict]:
    """The doctors' absences overlapping the period, as background events."""
    query = (
        sa.select(DoctorAbsence)
        .where(DoctorAbsence.starts_at < ends, DoctorAbsence.ends_at > starts)
        .options(selectinload(DoctorAbsence.doctor))
        .order_by(DoctorAbsence.starts_at)
    )
    if doctor_id is not None:
        query = query.where(DoctorAbsence.doctor_id == doctor_id)
    return [
        {
            "id": f"absence-{absence.id}",
            "title": f"{absence.doctor.display_name} away: {absence.reason}",
            "start": local_wall_time(absence.starts_at),
            "end": local_wall_time(absence.ends_at),
            "display": "background",
            "color": ABSENCE_COLOUR,
            "classNames": ["ct-absence"],
            "extendedProps": {"kind": "absence", "doctor_id": absence.doctor_id, "reason": absence.reason},
        }
        for absence in db.session.scalars(query)
    ]


def business_hours(doctor_id: int, first_day: date, last_day: date) -> list[dict]:
    """The doctor's weekly hours valid on some day of [first_day, last_day],
    as FullCalendar businessHours (its days of week: 0 = Sunday).
    FullCalendar's business hours have no validity dates: on the rare week
    where one set of hours ends and another begins, both are shaded, and the
    database still refuses a booking outside the hours of its own day."""
    query = (
        sa.select(DoctorSchedule)
        .where(
            DoctorSchedule.doctor_id == doctor_id,
            sa.or_(DoctorSchedule.valid_from.is_(None), DoctorSchedule.valid_from <= last_day),
            sa.or_(DoctorSchedule.valid_until.is_(None), DoctorSchedule.valid_until >= first_day),
        )
        .order_by(DoctorSchedule.day_of_week, DoctorSchedule.start_time)
    )
    return [
        {
            "daysOfWeek": [schedule.day_of_week % 7],
            "startTime": schedule.start_time.strftime("%H:%M"),
            "endTime": schedule.end_time.strftime("%H:%M"),
        }
        for schedule in db.session.scalars(query)
    ]


def bookable_doctors() -> list[Staff]:
    """Active doctors and radiologists, the people who take appointments."""
    return list(
        db.session.scalars(
            sa.select(Staff)
            .where(Staff.is_active, Staff.profession.in_(("doctor", "radiologist")))
            .order_by(Staff.last_name, Staff.first_name)
        )
    )
