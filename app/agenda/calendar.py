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

import functools
from collections.abc import Callable
from datetime import date, datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm
from sqlalchemy.orm import selectinload

from app.agenda.models import (
    INACTIVE_STATUSES,
    STATUSES,
    TRANSITIONS,
    Appointment,
    AppointmentType,
    DoctorAbsence,
    DoctorSchedule,
)
from app.agenda.rules import ARRIVAL_STATUSES, is_ahead, name_label
from app.core.errors import BadInput
from app.core.extensions import db
from app.core.timezone import hospital_zone, today
from app.records.models import Patient, Room, Staff

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


def local_wall_time(moment: datetime, zone=None) -> str:
    """The hospital's local time, without offset, as FullCalendar expects it."""
    return moment.astimezone(zone or hospital_zone()).replace(tzinfo=None).isoformat(timespec="seconds")


def next_statuses(status: str, starts_at: datetime | None = None, *, ahead: bool | None = None) -> list[str]:
    """Where a status change from the calendar may lead (postponing is a move
    to a new time; arrived and completed wait for the appointment's day)."""
    if ahead is None:
        ahead = starts_at is not None and is_ahead(starts_at)
    return [s for s in TRANSITIONS.get(status, ()) if s != "postponed" and not (ahead and s in ARRIVAL_STATUSES)]


# The longest an appointment may last (appointments_duration_check: 5 to 720
# minutes): an appointment overlapping a period started at most this long
# before it, which lets the feed's query use the index on starts_at instead
# of scanning every appointment that ends after the period's start.
LONGEST_APPOINTMENT = timedelta(minutes=720)


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
    query = _event_rows().where(
        Appointment.starts_at < ends,
        Appointment.ends_at > starts,
        Appointment.starts_at > starts - LONGEST_APPOINTMENT,
    )
    if doctor_id is not None:
        query = query.where(Appointment.doctor_id == doctor_id)
    if room_id is not None:
        query = query.where(Appointment.room_id == room_id)
    if not include_inactive:
        query = query.where(Appointment.status.not_in(INACTIVE_STATUSES))
    rows = db.session.connection().execute(query.order_by(Appointment.starts_at, Appointment.id)).all()
    return _EventMaker(may_write).events(rows)


def appointment_event(appointment: Appointment, *, writable: bool = False) -> dict:
    """The feed's event for one appointment (what a write answers), read
    back through the feed's own query so that the two cannot differ."""
    rows = db.session.connection().execute(_event_rows().where(Appointment.id == appointment.id)).all()
    [event] = _EventMaker(lambda _doctor_id: writable).events(rows)
    return event


@functools.cache  # built once: the aliases' column collections cost ~1 ms a build (statements are immutable)
def _event_rows() -> sa.Select:
    """The columns an event shows, named and ordered as _EventMaker.event's
    arguments (a test holds them alike), and no others (issue 22: whole patients, doctors, types and rooms took most of
    an all-doctors week).  The patient is a LATERAL subquery kept apart by
    OFFSET 0, so the planner probes patients_pkey for each appointment: as
    a plain join, a week of 3,600 appointments tipped it into hashing all
    500,000 patients (about 100 ms of the bench's week instead of 25)."""
    patient = (
        sa.select(Patient.sex, Patient.last_name, Patient.first_name)
        .where(Patient.id == Appointment.patient_id)
        .offset(0)
        .lateral("patient")
    )
    doctor, room, kind = sa.orm.aliased(Staff), sa.orm.aliased(Room), sa.orm.aliased(AppointmentType)
    return (
        sa.select(
            Appointment.id,
            Appointment.status,
            Appointment.needs_rebooking,
            Appointment.starts_at,
            Appointment.ends_at,
            Appointment.patient_id,
            Appointment.doctor_id,
            Appointment.room_id,
            Appointment.type_id,
            Appointment.duration_minutes,
            Appointment.notes,
            Appointment.cancellation_reason,
            Appointment.absence_exception_reason,
            patient.c.sex.label("patient_sex"),
            patient.c.last_name.label("patient_last_name"),
            patient.c.first_name.label("patient_first_name"),
            doctor.profession.label("doctor_profession"),
            doctor.first_name.label("doctor_first_name"),
            doctor.last_name.label("doctor_last_name"),
            room.code.label("room_code"),
            room.name.label("room_name"),
            kind.name.label("type_name"),
        )
        .select_from(Appointment)
        .join(patient, sa.true())
        .join(doctor, doctor.id == Appointment.doctor_id)
        .join(kind, kind.id == Appointment.type_id)
        .outerjoin(room, room.id == Appointment.room_id)
    )


class _Memo(dict):
    """memo[key] is function(key), worked out once per distinct key."""

    def __init__(self, function: Callable):
        super().__init__()
        self.function = function

    def __missing__(self, key):
        value = self[key] = self.function(key)
        return value


class _EventMaker:
    """Turns the feed's rows into events for one request.  What many events
    share is worked out once per distinct value, not once per event: the
    status looks (a few combinations, in the user's language, so never kept
    beyond the request), whether the user writes each doctor's agenda, and
    the instants in the hospital's time zone (a week has a few hundred)."""

    def __init__(self, may_write: Callable[[int], bool]):
        self.zone, self.today = hospital_zone(), today()
        self.writable = _Memo(may_write)
        self.looks = _Memo(lambda key: _status_look(*key))
        self.moments = _Memo(self.moment)

    def moment(self, instant: datetime) -> tuple[str, str, bool]:
        """An instant's wall time, its own ISO form, and whether its day is still to come."""
        local = instant.astimezone(self.zone)
        return local.replace(tzinfo=None).isoformat(timespec="seconds"), instant.isoformat(), local.date() > self.today

    def events(self, rows) -> list[dict]:
        return [self.event(*row) for row in rows]

    def event(
        self,
        id,
        status,
        needs_rebooking,
        starts_at,
        ends_at,
        patient_id,
        doctor_id,
        room_id,
        type_id,
        duration_minutes,
        notes,
        cancellation_reason,
        absence_exception_reason,
        patient_sex,
        patient_last_name,
        patient_first_name,
        doctor_profession,
        doctor_first_name,
        doctor_last_name,
        room_code,
        room_name,
        type_name,
    ) -> dict:
        """One FullCalendar event from one row of _event_rows()."""
        start, starts_at_iso, ahead = self.moments[starts_at]
        end, ends_at_iso, _ = self.moments[ends_at]
        look = self.looks[status, needs_rebooking, self.writable[doctor_id], ahead]
        return {
            "id": str(id),
            "title": f"{name_label(patient_sex, patient_first_name, patient_last_name)} · {type_name}"
            + look["title_suffix"],
            "start": start,
            "end": end,
            "color": look["color"],
            "classNames": look["classNames"],
            "editable": look["editable"],
            "extendedProps": {
                "kind": "appointment",
                "status": status,
                "status_label": look["status_label"],
                "next_statuses": look["next_statuses"],
                # Postponing picks the new time with the slot finder (a page of its own).
                "can_postpone": look["can_postpone"],
                "patient_id": patient_id,
                "patient": f"{patient_last_name.upper()} {patient_first_name}",  # Patient.full_name
                "doctor_id": doctor_id,
                "doctor": _doctor_name(doctor_profession, doctor_first_name, doctor_last_name),
                "room_id": room_id,
                "room": f"{room_code} - {room_name}" if room_code is not None else None,
                "type_id": type_id,
                "type": type_name,
                "duration_minutes": duration_minutes,
                "notes": notes,
                "cancellation_reason": cancellation_reason,
                "needs_rebooking": needs_rebooking,
                "absence_exception_reason": absence_exception_reason,
                "starts_at": starts_at_iso,
                "ends_at": ends_at_iso,
            },
        }


def _doctor_name(profession: str, first_name: str, last_name: str) -> str:
    """Staff.display_name, from its columns (keep the two alike)."""
    prefix = "Dr " if profession in ("doctor", "radiologist") else ""
    return f"{prefix}{first_name} {last_name.upper()}"


def _status_look(status: str, needs_rebooking: bool, writable: bool, ahead: bool) -> dict:
    """What an event's status decides (colour, classes, the next statuses...).
    Events with the same look share its lists: nothing may change them."""
    return {
        "title_suffix": " · to be rebooked" if needs_rebooking and status not in INACTIVE_STATUSES else "",
        "color": STATUS_COLOURS.get(status, "#337ab7"),
        "classNames": [f"ct-status-{status}", *(["ct-to-rebook"] if needs_rebooking else [])],
        "editable": writable and status in MOVABLE_STATUSES,
        "status_label": str(STATUSES.get(status, status)),
        "next_statuses": [{"code": s, "label": str(STATUSES[s])} for s in next_statuses(status, ahead=ahead)]
        if writable
        else [],
        "can_postpone": writable and "postponed" in TRANSITIONS.get(status, ()),
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
