"""The agenda's part of the patient timeline: appointments, for whoever reads the agenda."""

import sqlalchemy as sa

from app.agenda.models import Appointment
from app.core.actor import Actor
from app.core.links import page_url
from app.core.timeline import TimelineItem, timeline_source
from app.security.policy import READ, may
from app.security.roles import APPOINTMENTS


@timeline_source("appointment")
def appointments(session, patient_id: int, actor: Actor):
    if not may(actor, READ, APPOINTMENTS):
        return
    rows = session.scalars(sa.select(Appointment).where(Appointment.patient_id == patient_id))
    for row in rows:
        yield TimelineItem(
            at=row.starts_at,
            kind="appointment",
            title=f"{row.type.name} with {row.doctor.display_name}",
            detail=row.status,
            url=page_url("AppointmentView.show", pk=row.id),
        )
