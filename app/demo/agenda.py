"""The demo hospital's agenda: weekly hours for the demo doctors (mornings
and afternoons, a lunch break, Monday to Friday), a few absences, and a few
dozen appointments over the coming two weeks.

Appointments are booked through the booking service at free slots found by
the slot finder, so they obey every rule (hours, absences, no double
booking).  Idempotent: hours are added to doctors who have none, absences
matched on (doctor, reason, start), and appointments booked only while the
agenda holds none, so running it again adds nothing.  Only the demo's own
doctors and the patients it has just created are booked.
"""

import random
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from app.agenda.absences import covered_appointments
from app.agenda.models import Appointment, AppointmentType, DoctorAbsence, DoctorSchedule
from app.agenda.rules import book_appointment, set_status
from app.agenda.slots import find_free_slots
from app.core.actor import DEMO_LOADER
from app.core.errors import CareTrailError
from app.core.timezone import hospital_zone
from app.records.models import Room, Staff

WORKING_DAYS = (1, 2, 3, 4, 5)
DAY_RANGES = ((time(8, 30), time(12, 30)), (time(13, 30), time(17, 30)))
DAYS_AHEAD = 14


def seed_demo_agenda(
    session, doctors: list[Staff], patient_ids: list[int], summary, *, today: date | None = None
) -> None:
    """Hours, absences and appointments for `doctors` (the demo's) with
    `patient_ids` (patients the demo has just created); counts go into
    `summary` (schedules, absences, appointments).  Commits (bookings commit
    one by one)."""
    today = today or datetime.now(hospital_zone()).date()
    _seed_hours(session, doctors, summary)
    _seed_absences(session, doctors, today, summary)
    session.commit()
    _seed_appointments(session, doctors, patient_ids, today, summary)


def _seed_hours(session, doctors: list[Staff], summary) -> None:
    have_hours = set(session.scalars(sa.select(DoctorSchedule.doctor_id).distinct()))
    for doctor in doctors:
        if doctor.id in have_hours:
            continue
        for day in WORKING_DAYS:
            for start, end in DAY_RANGES:
                session.add(DoctorSchedule(doctor_id=doctor.id, day_of_week=day, start_time=start, end_time=end))
                summary.schedules += 1
    session.flush()


def _next(weekday: int, after: date) -> date:
    return after + timedelta(days=(weekday - after.isoweekday()) % 7 or 7)


def _seed_absences(session, doctors: list[Staff], today: date, summary) -> None:
    """A training afternoon, a day off, a congress: within the coming two weeks."""
    zone = hospital_zone()
    plans = [
        (1, _next(3, today), time(13, 30), time(17, 30), "Training: ultrasound workshop"),
        (2, _next(5, today), time(8, 0), time(18, 0), "Congé"),
        (3, _next(2, today) + timedelta(days=7), time(8, 0), time(18, 0), "Congress"),
    ]
    for index, day, start, end, reason in plans:
        if index >= len(doctors):
            continue
        doctor = doctors[index]
        starts_at = datetime.combine(day, start, zone)
        exists = session.scalar(
            sa.select(DoctorAbsence.id).where(
                DoctorAbsence.doctor_id == doctor.id,
                DoctorAbsence.reason == reason,
                DoctorAbsence.starts_at == starts_at,
            )
        )
        ends_at = datetime.combine(day, end, zone)
        if exists is None and covered_appointments(session, doctor.id, starts_at, ends_at):
            continue  # booked since (the demo's own, or a person's): no absence over it without a decision
        if exists is None:
            session.add(DoctorAbsence(doctor_id=doctor.id, starts_at=starts_at, ends_at=ends_at, reason=reason))
            summary.absences += 1
    session.flush()


def _seed_appointments(session, doctors: list[Staff], patients: list[int], today: date, summary) -> None:
    if session.scalar(sa.select(sa.func.count()).select_from(Appointment)):
        return  # the agenda is in use (or was seeded): leave it alone
    types = {t.code: t for t in session.scalars(sa.select(AppointmentType))}
    imaging_rooms = list(session.scalars(sa.select(Room.id).where(Room.kind == "imaging").order_by(Room.code)))
    if not patients or not doctors:
        return
    rng = random.Random(20261201)
    zone = hospital_zone()
    for offset in range(1, DAYS_AHEAD + 1):
        day = today + timedelta(days=offset)
        if day.isoweekday() not in WORKING_DAYS:
            continue
        for doctor in doctors:
            for _ in range(rng.choice((0, 1, 1, 2))):
                radiology = doctor.profession == "radiologist" and imaging_rooms
                kind = (
                    types["imaging"] if radiology else types[rng.choice(("consultation", "consultation", "follow_up"))]
                )
                room_id = rng.choice(imaging_rooms) if radiology else None
                patient_id = rng.choice(patients)
                slots = find_free_slots(
                    session,
                    starts=datetime.combine(day, time(0), zone),
                    ends=datetime.combine(day + timedelta(days=1), time(0), zone),
                    duration_minutes=kind.default_duration_minutes,
                    doctor_ids=[doctor.id],
                    room_id=room_id,
                    patient_id=patient_id,
                    limit=40,
                )
                if not slots:
                    continue
                slot = rng.choice(slots)
                try:
                    appointment = book_appointment(
                        session,
                        DEMO_LOADER,
                        patient_id=patient_id,
                        doctor_id=doctor.id,
                        type_id=kind.id,
                        starts_at=slot.starts_at,
                        room_id=room_id,
                    )
                    if rng.random() < 0.3:
                        set_status(session, DEMO_LOADER, appointment.id, "confirmed")
                except CareTrailError:
                    continue  # refused by a rule: the demo simply has one appointment fewer
                summary.appointments += 1
