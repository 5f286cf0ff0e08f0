"""A patient's appointments, as the patient's page lists them (the agenda's
section of the page, for those who may read appointments)."""

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from app.agenda.models import Appointment
from app.core.actor import Actor
from app.core.extensions import db
from app.security.policy import READ, may
from app.security.roles import APPOINTMENTS

SHOWN = 20  # of each: the full list is the appointments screen, filtered on the patient


@dataclass
class PatientAppointments:
    upcoming: list[Appointment]  # soonest first, the one under way included
    past: list[Appointment]  # latest first
    more_upcoming: bool
    more_past: bool


def patient_appointments(patient_id: int, *, now: datetime | None = None, limit: int = SHOWN) -> PatientAppointments:
    """One query: the patient's appointments ranked on each side of now
    (soonest first ahead, latest first behind), limit + 1 of each."""
    now = now or datetime.now(UTC)
    ahead = Appointment.ends_at > now
    rank = sa.func.row_number().over(
        partition_by=ahead, order_by=(sa.case((ahead, Appointment.starts_at)), Appointment.starts_at.desc())
    )
    ranked = sa.select(Appointment.id, rank.label("rank")).where(Appointment.patient_id == patient_id).subquery()
    query = (
        sa.select(Appointment)
        .join(ranked, ranked.c.id == Appointment.id)
        .where(ranked.c.rank <= limit + 1)
        # Joined, not selected in: one query instead of up to four (issue 22).
        .options(joinedload(Appointment.doctor), joinedload(Appointment.type), joinedload(Appointment.room))
    )
    found = list(db.session.scalars(query))
    upcoming = sorted((a for a in found if a.ends_at > now), key=lambda a: (a.starts_at, a.id))
    past = sorted((a for a in found if a.ends_at <= now), key=lambda a: (a.starts_at, a.id), reverse=True)
    return PatientAppointments(upcoming[:limit], past[:limit], len(upcoming) > limit, len(past) > limit)


def patient_page_section(patient_id: int, actor: Actor) -> PatientAppointments | None:
    if not may(actor, READ, APPOINTMENTS):
        return None
    return patient_appointments(patient_id)
