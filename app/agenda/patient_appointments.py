"""A patient's appointments, as the patient's page lists them (the agenda's
section of the page, for those who may read appointments)."""

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from app.agenda.models import Appointment, AppointmentType
from app.core.actor import Actor
from app.core.extensions import db
from app.records.models import Room, Staff
from app.records.page import NOW, Reads, json_rows, loaded_one, row_json
from app.security.policy import READ, may
from app.security.roles import APPOINTMENTS

SHOWN = 20  # of each: the full list is the appointments screen, filtered on the patient


@dataclass
class PatientAppointments:
    upcoming: list[Appointment]  # soonest first, the one under way included
    past: list[Appointment]  # latest first
    more_upcoming: bool
    more_past: bool


def ranked_appointments(patient_id: int, now: datetime, limit: int) -> sa.Select:
    """The patient's appointments ranked on each side of now (soonest first
    ahead, latest first behind), limit + 1 of each, each with whether it is
    ahead (`is_ahead`: not ended yet)."""
    ahead = Appointment.ends_at > now
    rank = sa.func.row_number().over(
        partition_by=ahead, order_by=(sa.case((ahead, Appointment.starts_at)), Appointment.starts_at.desc())
    )
    ranked = sa.select(Appointment.id, rank.label("rank")).where(Appointment.patient_id == patient_id).subquery()
    return (
        sa.select(Appointment, ahead.label("is_ahead"))
        .join(ranked, ranked.c.id == Appointment.id)
        .where(ranked.c.rank <= limit + 1)
    )


def patient_appointments(patient_id: int, *, now: datetime | None = None, limit: int = SHOWN) -> PatientAppointments:
    """One query: ranked_appointments() with their doctor, type and room."""
    query = ranked_appointments(patient_id, now or datetime.now(UTC), limit).options(
        # Joined, not selected in: one query instead of up to four (issue 22).
        joinedload(Appointment.doctor),
        joinedload(Appointment.type),
        joinedload(Appointment.room),
    )
    return _on_each_side(db.session.execute(query).all(), limit)


def _on_each_side(found: list[tuple[Appointment, bool]], limit: int) -> PatientAppointments:
    upcoming = sorted((a for a, ahead in found if ahead), key=lambda a: (a.starts_at, a.id))
    past = sorted((a for a, ahead in found if not ahead), key=lambda a: (a.starts_at, a.id), reverse=True)
    return PatientAppointments(upcoming[:limit], past[:limit], len(upcoming) > limit, len(past) > limit)


def patient_page_reads(patient_id, actor: Actor) -> Reads:
    """The patient page's appointments (read with the other sections), with
    their doctor, type and room, for who may read appointments."""
    if not may(actor, READ, APPOINTMENTS):
        return {}
    query = (
        ranked_appointments(patient_id, NOW, SHOWN)
        .add_columns(
            row_json(Staff.__table__).label("doctor"),
            row_json(AppointmentType.__table__).label("type"),
            row_json(Room.__table__).label("room"),
        )
        .join(Staff, Staff.id == Appointment.doctor_id)
        .join(AppointmentType, AppointmentType.id == Appointment.type_id)
        .outerjoin(Room, Room.id == Appointment.room_id)
    )
    return {"appointments": json_rows(query)}


def patient_page_section(patient_id: int, actor: Actor, read: dict) -> PatientAppointments | None:
    if "appointments" not in read:
        return None
    found = [(loaded_one(Appointment, row), row["is_ahead"]) for row in read["appointments"]]
    return _on_each_side(found, SHOWN)
