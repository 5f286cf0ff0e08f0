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
    now = now or datetime.now(UTC)
    query = (
        sa.select(Appointment)
        .where(Appointment.patient_id == patient_id)
        # Joined, not selected in: one query per list instead of up to four (issue 22).
        .options(joinedload(Appointment.doctor), joinedload(Appointment.type), joinedload(Appointment.room))
        .limit(limit + 1)
    )
    upcoming = list(db.session.scalars(query.where(Appointment.ends_at > now).order_by(Appointment.starts_at)))
    past = list(db.session.scalars(query.where(Appointment.ends_at <= now).order_by(Appointment.starts_at.desc())))
    return PatientAppointments(upcoming[:limit], past[:limit], len(upcoming) > limit, len(past) > limit)


def patient_page_section(patient_id: int, actor: Actor) -> PatientAppointments | None:
    if not may(actor, READ, APPOINTMENTS):
        return None
    return patient_appointments(patient_id)
