"""The agenda's rules: book, move, change the status of and postpone
appointments; write working hours and absences.  Every door (screens, the
calendar, find-a-slot, the REST API, the CLI) writes through here.

Each rule takes the session and the acting user, refuses what the actor may
not do (the role matrix, then "a doctor writes only their own agenda":
app/agenda/access.py), writes, and commits.  The database decides the rest
(sql/versions/0007_appointments.py): exclusion constraints refuse
overlapping bookings, triggers refuse bookings outside working hours or
during an absence, and status changes that are not allowed.  A refusal
comes back in plain words: a double booking is a BookingConflict naming the
appointment in the way ("Dr Martin already sees Mme Dubois from 10:00 to
10:30"), anything else a ConstraintViolation on the field to blame.
"""

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext
from psycopg import errors as pg_errors
from sqlalchemy.exc import SQLAlchemyError

from app.agenda.access import check_agenda_writer, may_write_agenda
from app.agenda.models import INACTIVE_STATUSES, Appointment, AppointmentType
from app.core.actor import Actor
from app.core.db_errors import violation_from_db_error
from app.core.errors import Conflict, ConstraintViolation, Forbidden, NotFound
from app.core.rules import RecordRules, refusal_of
from app.core.timezone import aware, hospital_zone, now, today
from app.core.versions import check_version
from app.security.policy import WRITE, require
from app.security.roles import APPOINTMENT_TYPES, APPOINTMENTS, SCHEDULES

# Exclusion constraint -> the column two overlapping bookings share.
OVERLAP_CONSTRAINTS = {
    "appointments_doctor_overlap": "doctor_id",
    "appointments_room_overlap": "room_id",
    "appointments_patient_overlap": "patient_id",
}

_UNSET = object()
RETRIED_ERRORS = (pg_errors.DeadlockDetected, pg_errors.SerializationFailure)
RETRIES = 3

# What an update may change; postponing (a new appointment) has its own rule.
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


class BookingConflict(Conflict):
    """A double booking the database refused (409); `conflict` (also in the
    JSON answer) is the appointment in the way, None when freed meanwhile."""

    def __init__(self, message: str, conflict: dict | None):
        super().__init__(message, field="starts_at", conflict=conflict)
        self.conflict = conflict


def book_appointment(
    session,
    actor: Actor,
    *,
    patient_id: int,
    doctor_id: int,
    type_id: int,
    starts_at: datetime,
    duration_minutes: int | None = None,
    room_id: int | None = None,
    notes: str | None = None,
    override_reason: str | None = None,
) -> Appointment:
    """A new appointment (status scheduled), committed; the type's default
    duration when none is given.  BookingConflict or ConstraintViolation when refused."""
    require(actor, WRITE, APPOINTMENTS)
    check_agenda_writer(session, actor, doctor_id)

    def change(values: dict) -> Appointment:
        appointment = Appointment(
            patient_id=patient_id,
            doctor_id=doctor_id,
            type_id=type_id,
            starts_at=aware(starts_at),
            duration_minutes=duration_minutes or default_duration(session, type_id),
            room_id=room_id,
            notes=notes,
            override_reason=override_reason,
            booked_by_id=actor.user_id,
        )
        values.update(appointment_values(appointment))
        session.add(appointment)
        return appointment

    return _write(session, change)


def update_appointment(
    session, actor: Actor, appointment_id: int, changes: dict, *, expected_version: int | None = None
) -> Appointment:
    """Apply `changes` (any of EDITABLE_FIELDS) in one write: a move and a
    status change together pass or fail together, by the database's rules.
    `expected_version`: the version the user opened (StaleRecord when it moved on)."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ConstraintViolation(sorted(unknown)[0], "This field cannot be changed.")
    if changes.get("status") == "postponed":
        raise ConstraintViolation("status", "Postpone by giving the new time (postpone), not by setting the status.")
    require(actor, WRITE, APPOINTMENTS)
    appointment = get_appointment(session, appointment_id)
    check_agenda_writer(session, actor, appointment.doctor_id, changes.get("doctor_id", appointment.doctor_id))
    check_version(session, appointment, expected_version, changes)
    _check_arrival_day(appointment, changes)

    def change(values: dict) -> Appointment:
        moved = changes.get("doctor_id", appointment.doctor_id) != appointment.doctor_id or (
            changes.get("starts_at") is not None and aware(changes["starts_at"]) != appointment.starts_at
        )
        for name, value in changes.items():
            setattr(appointment, name, aware(value) if name == "starts_at" and value else value)
        if moved:  # rebooked: what was decided for an absence no longer applies
            appointment.needs_rebooking = False
            appointment.absence_exception_reason = None
        values.update(appointment_values(appointment))
        return appointment

    return _write(session, change)


def move_appointment(
    session,
    actor: Actor,
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
    return update_appointment(session, actor, appointment_id, changes)


def set_status(
    session, actor: Actor, appointment_id: int, status: str, *, cancellation_reason: str | None = None
) -> Appointment:
    """confirmed, arrived, completed, cancelled (with a reason), no_show, or
    back to scheduled; the database refuses the transitions it does not allow."""
    changes = {"status": status}
    if cancellation_reason is not None:
        changes["cancellation_reason"] = cancellation_reason
    return update_appointment(session, actor, appointment_id, changes)


def postpone_appointment(
    session,
    actor: Actor,
    appointment_id: int,
    *,
    starts_at: datetime,
    duration_minutes: int | None = None,
    doctor_id: int | None = None,
    room_id=_UNSET,
) -> Appointment:
    """Books the new appointment and marks this one postponed, linked to it,
    in one transaction: both happen or neither.  Returns the new appointment."""
    require(actor, WRITE, APPOINTMENTS)
    old = get_appointment(session, appointment_id)
    check_agenda_writer(session, actor, old.doctor_id, doctor_id or old.doctor_id)

    def change(values: dict) -> Appointment:
        old = get_appointment(session, appointment_id)
        new = Appointment(
            patient_id=old.patient_id,
            doctor_id=doctor_id or old.doctor_id,
            type_id=old.type_id,
            starts_at=aware(starts_at),
            duration_minutes=duration_minutes or old.duration_minutes,
            room_id=old.room_id if room_id is _UNSET else room_id,
            notes=old.notes,
            override_reason=old.override_reason,
            booked_by_id=actor.user_id,
        )
        values.update(appointment_values(new))
        # Free the old slot first (the new time may overlap it), then book,
        # then link; the link is checked at commit.
        old.status = "postponed"
        session.flush([old])
        session.add(new)
        session.flush([new])
        old.postponed_to_id = new.id
        return new

    return _write(session, change)


# Statuses for an appointment whose day has come (the database's trigger
# appointments_arrival_day, migration 0041, holds the same rule).
ARRIVAL_STATUSES = ("arrived", "completed")


def is_ahead(starts_at: datetime) -> bool:
    """Is this appointment's day (hospital time) still to come?"""
    return aware(starts_at).astimezone(hospital_zone()).date() > today()


def _check_arrival_day(appointment: Appointment, changes: dict) -> None:
    """Arrived and Completed are for today's appointments or past ones."""
    status = changes.get("status", appointment.status)
    starts_at = changes.get("starts_at") or appointment.starts_at
    changed = status != appointment.status or aware(starts_at) != appointment.starts_at
    if status in ARRIVAL_STATUSES and changed and is_ahead(starts_at):
        day = aware(starts_at).astimezone(hospital_zone())
        label = "arrived" if status == "arrived" else "completed"
        raise ConstraintViolation(
            "status",
            f"This appointment is on {day:%d/%m/%Y}: it can be marked {label} on that day, not before.",
            "appointments_arrival_day",
        )


def call_patient(session, actor: Actor, appointment_id: int) -> Appointment:
    """The waiting patient is called in: the time and the caller are stored
    (called again, the newer call replaces the older).  A doctor calls their
    own patients; the reception (who manages every agenda) anyone's.  Only
    while the appointment is arrived, on its day: the database's trigger
    appointments_called_when_arrived (migration 0116) holds the same rule."""
    require(actor, WRITE, APPOINTMENTS)
    appointment = get_appointment(session, appointment_id)
    if not may_write_agenda(session, actor, appointment.doctor_id):
        raise Forbidden(gettext("You may only call your own patients."), field="doctor_id")
    if appointment.status != "arrived":
        raise ConstraintViolation(
            "status",
            gettext(
                "Only a patient who has arrived can be called: this appointment is %(status)s.",
                status=gettext(appointment.status_label).lower(),
            ),
            "appointments_called_when_arrived",
        )
    if appointment.starts_at.astimezone(hospital_zone()).date() != today():
        raise ConstraintViolation(
            "starts_at",
            gettext("This appointment is not today: a patient is called on the day of their appointment."),
            "appointments_called_on_the_day",
        )

    def change(values: dict) -> Appointment:
        appointment.called_at = now()
        appointment.called_by_id = actor.user_id
        values.update(appointment_values(appointment))
        return appointment

    return _write(session, change)


def get_appointment(session, appointment_id: int) -> Appointment:
    appointment = session.get(Appointment, appointment_id)
    if appointment is None:
        raise NotFound(f"No appointment {appointment_id}.")
    return appointment


def default_duration(session, type_id: int) -> int:
    duration = session.scalar(sa.select(AppointmentType.default_duration_minutes).where(AppointmentType.id == type_id))
    if duration is None:
        raise ConstraintViolation("type_id", "Unknown appointment type.")
    return duration


class AgendaRowRules(RecordRules):
    """Working hours and absences: rows of one doctor's agenda.  Both the
    agenda a row leaves and the one it joins must be the actor's to write."""

    def check(self, session, actor: Actor, item, *, deleting: bool = False) -> None:
        model = type(item)
        stored = None
        if item.id is not None:
            stored = session.scalar(sa.select(model.doctor_id).where(model.id == item.id))
        new = item.doctor.id if getattr(item, "doctor", None) is not None else item.doctor_id
        check_agenda_writer(session, actor, *([stored] if stored is not None else []), new)


class AppointmentRules(RecordRules):
    """The appointment screens' add and edit forms book and change through
    the rules above (never FAB's own write)."""

    def save(self, session, actor: Actor, item) -> None:
        if item.id is not None:
            raise TypeError("an appointment changes through update(), with the version its form was opened at")
        book_appointment(
            session,
            actor,
            patient_id=_id_of(item.patient, item.patient_id),
            doctor_id=_id_of(item.doctor, item.doctor_id),
            type_id=_id_of(item.type, item.type_id),
            starts_at=item.starts_at,
            duration_minutes=item.duration_minutes,
            room_id=_id_of(item.room, item.room_id),
            notes=item.notes or None,
            override_reason=item.override_reason or None,
        )

    def update(self, session, actor: Actor, item, values: dict, expected_version: int | None = None) -> None:
        changes = {}
        relations = {"doctor": "doctor_id", "room": "room_id", "type": "type_id"}
        for name, value in values.items():
            if name == "status" and value == item.status:
                continue  # unchanged (a postponed appointment's form posts its status back)
            if name in relations:
                changes[relations[name]] = value.id if value is not None else None
            elif name in EDITABLE_FIELDS:
                changes[name] = value or None if isinstance(value, str) else value
        if not changes.get("duration_minutes"):
            changes["duration_minutes"] = default_duration(session, changes.get("type_id") or item.type_id)
        update_appointment(session, actor, item.id, changes, expected_version=expected_version)


def _id_of(related, fallback: int | None) -> int | None:
    """A relation's id as the form set it (the foreign key follows only at flush)."""
    return related.id if related is not None else fallback


SCHEDULE_RULES = AgendaRowRules(SCHEDULES)
APPOINTMENT_TYPE_RULES = RecordRules(APPOINTMENT_TYPES)
APPOINTMENT_RULES = AppointmentRules(APPOINTMENTS)


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


def explain_refusal(session, exc: BaseException, values: dict) -> Exception | None:
    """The BookingConflict or ConstraintViolation behind a refused write
    (None when the database failed for another reason).  Call it after the
    rollback: it looks the conflicting appointment up."""
    violation = violation_from_db_error(exc)
    if violation is None:
        return None
    column = OVERLAP_CONSTRAINTS.get(violation.constraint or "")
    if column is None:
        return violation
    other = find_conflict(session, column, values)
    if other is None:  # freed meanwhile (cancelled in another transaction)
        return BookingConflict(violation.message, None)
    return BookingConflict(describe_conflict(other, column), conflict_summary(other))


def find_conflict(session, column: str, values: dict) -> Appointment | None:
    """The active appointment sharing `column` (doctor_id, room_id or patient_id) that overlaps `values`."""
    if values.get(column) is None or values.get("starts_at") is None or not values.get("duration_minutes"):
        return None
    starts_at = aware(values["starts_at"])
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
    return session.scalar(query)


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
    return name_label(patient.sex, patient.first_name, patient.last_name)


def name_label(sex: str, first_name: str, last_name: str) -> str:
    """Mme Dubois, M. Durand, or the first and last name: patient_label()
    from the columns (the calendar's feed reads no Patient)."""
    civility = CIVILITIES.get(sex)
    return f"{civility}{last_name}" if civility else f"{first_name} {last_name}"


CIVILITIES = {"F": "Mme ", "M": "M. "}


def _write(session, change) -> Appointment:
    """Run change(values) and commit; it fills `values` (appointment_values)
    before anything reaches the database, for explain_refusal().  Two
    bookings racing for a slot on two constraints at once (one room, two
    doctors) can deadlock: PostgreSQL aborts one, which is run again and
    then meets the winner's booking as an ordinary conflict."""
    for attempt in range(1, RETRIES + 1):
        values: dict = {}
        try:
            appointment = change(values)
            session.commit()
            return appointment
        except SQLAlchemyError as exc:
            session.rollback()
            if isinstance(getattr(exc, "orig", None), RETRIED_ERRORS) and attempt < RETRIES:
                continue
            raise refusal_of(exc, lambda failed, values=values: explain_refusal(session, failed, values)) from exc
        except Exception:
            session.rollback()
            raise
    raise AssertionError("unreachable")
