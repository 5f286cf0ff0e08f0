"""Booking rules: book, move, change the status of and postpone appointments.

The database decides (sql/versions/0007_appointments.py): exclusion
constraints refuse overlapping bookings, triggers refuse bookings outside
working hours or during an absence, and status changes that are not allowed.
This module writes, and turns each refusal into plain words: a double booking
becomes a BookingConflict naming the appointment in the way ("Dr Martin
already sees Mme Dubois from 10:00 to 10:30"), anything else a
ConstraintViolation on the field to blame.  Screens, the calendar and the
REST API all book through here, so they refuse the same things the same way.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from psycopg import errors as pg_errors
from sqlalchemy.exc import SQLAlchemyError

from app.agenda.models import INACTIVE_STATUSES, Appointment, AppointmentType
from app.core.db_errors import violation_from_db_error
from app.core.errors import BookingConflict, ConstraintViolation, DatabaseWriteFailed, NotFound
from app.core.extensions import db

# Exclusion constraint -> the column two overlapping bookings share.
OVERLAP_CONSTRAINTS = {
    "appointments_doctor_overlap": "doctor_id",
    "appointments_room_overlap": "room_id",
    "appointments_patient_overlap": "patient_id",
}

_UNSET = object()
RETRIED_ERRORS = (pg_errors.DeadlockDetected, pg_errors.SerializationFailure)
RETRIES = 3


def hospital_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("TIMEZONE", "Europe/Paris"))


def book_appointment(
    *,
    patient_id: int,
    doctor_id: int,
    type_id: int,
    starts_at: datetime,
    duration_minutes: int | None = None,
    room_id: int | None = None,
    notes: str | None = None,
    override_reason: str | None = None,
    booked_by_id: int | None = None,
) -> Appointment:
    """A new appointment (status scheduled), committed; the type's default
    duration when none is given.  BookingConflict or ConstraintViolation when refused."""

    def change(values: dict) -> Appointment:
        appointment = Appointment(
            patient_id=patient_id,
            doctor_id=doctor_id,
            type_id=type_id,
            starts_at=_aware(starts_at),
            duration_minutes=duration_minutes or default_duration(type_id),
            room_id=room_id,
            notes=notes,
            override_reason=override_reason,
            booked_by_id=booked_by_id,
        )
        values.update(appointment_values(appointment))
        db.session.add(appointment)
        return appointment

    return _write(change)


# What an update may change; postponing (a new appointment) has its own function.
EDITABLE_FIELDS = (
    "starts_at",
    "duration_minutes",
    "doctor_id",
    "room_id",
    "type_id",
    "notes",
    "status",
    "cancellation_reason",
    "override_reason",
)


def update_appointment(appointment_id: int, changes: dict) -> Appointment:
    """Apply `changes` (any of EDITABLE_FIELDS) in one write: a move and a
    status change together pass or fail together, by the database's rules."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ConstraintViolation(sorted(unknown)[0], "This field cannot be changed.")
    if changes.get("status") == "postponed":
        raise ConstraintViolation("status", "Postpone by giving the new time (postpone), not by setting the status.")

    def change(values: dict) -> Appointment:
        appointment = get_appointment(appointment_id)
        for name, value in changes.items():
            setattr(appointment, name, _aware(value) if name == "starts_at" else value)
        values.update(appointment_values(appointment))
        return appointment

    return _write(change)


def move_appointment(
    appointment_id: int,
    *,
    starts_at: datetime,
    duration_minutes: int | None = None,
    doctor_id: int | None = None,
    room_id=_UNSET,
) -> Appointment:
    """Same appointment, another time (and optionally another length, doctor
    or room); the same rules as a new booking."""
    changes = {"starts_at": starts_at}
    if duration_minutes is not None:
        changes["duration_minutes"] = duration_minutes
    if doctor_id is not None:
        changes["doctor_id"] = doctor_id
    if room_id is not _UNSET:
        changes["room_id"] = room_id
    return update_appointment(appointment_id, changes)


def set_status(appointment_id: int, status: str, *, cancellation_reason: str | None = None) -> Appointment:
    """confirmed, arrived, completed, cancelled (with a reason), no_show, or
    back to scheduled; the database refuses the transitions it does not allow."""
    changes = {"status": status}
    if cancellation_reason is not None:
        changes["cancellation_reason"] = cancellation_reason
    return update_appointment(appointment_id, changes)


def postpone_appointment(
    appointment_id: int,
    *,
    starts_at: datetime,
    duration_minutes: int | None = None,
    doctor_id: int | None = None,
    room_id=_UNSET,
    booked_by_id: int | None = None,
) -> Appointment:
    """Books the new appointment and marks this one postponed, linked to it,
    in one transaction: both happen or neither.  Returns the new appointment."""

    def change(values: dict) -> Appointment:
        old = get_appointment(appointment_id)
        new = Appointment(
            patient_id=old.patient_id,
            doctor_id=doctor_id or old.doctor_id,
            type_id=old.type_id,
            starts_at=_aware(starts_at),
            duration_minutes=duration_minutes or old.duration_minutes,
            room_id=old.room_id if room_id is _UNSET else room_id,
            notes=old.notes,
            override_reason=old.override_reason,
            booked_by_id=booked_by_id,
        )
        values.update(appointment_values(new))
        # Free the old slot first (the new time may overlap it), then book,
        # then link; the link is checked at commit.
        old.status = "postponed"
        db.session.flush([old])
        db.session.add(new)
        db.session.flush([new])
        old.postponed_to_id = new.id
        return new

    return _write(change)


def get_appointment(appointment_id: int) -> Appointment:
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None:
        raise NotFound(f"No appointment {appointment_id}.")
    return appointment


def default_duration(type_id: int) -> int:
    duration = db.session.scalar(
        sa.select(AppointmentType.default_duration_minutes).where(AppointmentType.id == type_id)
    )
    if duration is None:
        raise ConstraintViolation("type_id", "Unknown appointment type.")
    return duration


def appointment_values(appointment: Appointment) -> dict:
    """What the overlap checks need, read before a write (a refused write
    expires the object)."""
    return {
        "id": appointment.id,
        "patient_id": appointment.patient_id,
        "doctor_id": appointment.doctor_id,
        "room_id": appointment.room_id,
        "starts_at": appointment.starts_at,
        "duration_minutes": appointment.duration_minutes,
    }


def explain_refusal(exc: BaseException, values: dict) -> Exception | None:
    """The BookingConflict or ConstraintViolation behind a refused write
    (None when the database failed for another reason).  Call it after the
    rollback: it looks the conflicting appointment up."""
    violation = violation_from_db_error(exc)
    if violation is None:
        return None
    column = OVERLAP_CONSTRAINTS.get(violation.constraint or "")
    if column is None:
        return violation
    other = find_conflict(column, values)
    if other is None:  # freed meanwhile (cancelled in another transaction)
        return BookingConflict(violation.message, None)
    return BookingConflict(describe_conflict(other, column), conflict_summary(other))


def find_conflict(column: str, values: dict) -> Appointment | None:
    """The active appointment sharing `column` (doctor_id, room_id or patient_id) that overlaps `values`."""
    if values.get(column) is None or values.get("starts_at") is None or not values.get("duration_minutes"):
        return None
    starts_at = _aware(values["starts_at"])
    ends_at = starts_at + timedelta(minutes=values["duration_minutes"])
    query = (
        sa.select(Appointment)
        .where(
            getattr(Appointment, column) == values[column],
            Appointment.status.not_in(INACTIVE_STATUSES),
            Appointment.starts_at < ends_at,
            Appointment.ends_at > starts_at,
        )
        .order_by(Appointment.starts_at)
        .limit(1)
    )
    if values.get("id") is not None:
        query = query.where(Appointment.id != values["id"])
    return db.session.scalar(query)


def describe_conflict(other: Appointment, column: str = "doctor_id") -> str:
    """The refusal in a secretary's words."""
    zone = hospital_zone()
    start, end = other.starts_at.astimezone(zone), other.ends_at.astimezone(zone)
    when = f"from {start:%H:%M} to {end:%H:%M}"
    if start.date() != datetime.now(zone).date():
        when = f"on {start:%d/%m/%Y} {when}"
    patient = patient_label(other.patient)
    if column == "room_id":
        return f"Room {other.room.code} is taken by {patient} with {other.doctor.display_name} {when}."
    if column == "patient_id":
        return f"{patient} already has an appointment with {other.doctor.display_name} {when}."
    return f"{other.doctor.display_name} already sees {patient} {when}."


def conflict_summary(other: Appointment) -> dict:
    """The conflicting appointment as the API shows it."""
    return {
        "id": other.id,
        "patient_id": other.patient_id,
        "doctor_id": other.doctor_id,
        "room_id": other.room_id,
        "starts_at": other.starts_at.isoformat(),
        "ends_at": other.ends_at.isoformat(),
        "status": other.status,
    }


def patient_label(patient) -> str:
    civility = {"F": "Mme ", "M": "M. "}.get(patient.sex, "")
    if not civility:
        return f"{patient.first_name} {patient.last_name}"
    return f"{civility}{patient.last_name}"


def _aware(moment: datetime) -> datetime:
    """Naive times are the hospital's local time."""
    return moment if moment.tzinfo else moment.replace(tzinfo=hospital_zone())


def _write(change) -> Appointment:
    """Run change(values) and commit; it fills `values` (appointment_values)
    before anything reaches the database, for explain_refusal().  Two
    bookings racing for a slot on two constraints at once (one room, two
    doctors) can deadlock: PostgreSQL aborts one, which is run again and
    then meets the winner's booking as an ordinary conflict."""
    for attempt in range(1, RETRIES + 1):
        values: dict = {}
        try:
            appointment = change(values)
            db.session.commit()
            return appointment
        except SQLAlchemyError as exc:
            db.session.rollback()
            if isinstance(getattr(exc, "orig", None), RETRIED_ERRORS) and attempt < RETRIES:
                continue
            refusal = explain_refusal(exc, values)
            if refusal is None:
                raise DatabaseWriteFailed() from exc
            raise refusal from exc
    raise AssertionError("unreachable")
