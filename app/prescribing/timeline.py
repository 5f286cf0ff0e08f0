"""Prescribing's part of the patient timeline: prescriptions (signed ones at
their signature, drafts when written), for whoever reads prescriptions."""

import sqlalchemy as sa

from app.core.actor import Actor
from app.core.links import page_url
from app.core.timeline import TimelineItem, timeline_source
from app.prescribing.models import Prescription
from app.security.policy import READ, may
from app.security.roles import PRESCRIPTIONS


@timeline_source("prescription")
def prescriptions(session, patient_id: int, actor: Actor):
    if not may(actor, READ, PRESCRIPTIONS):
        return
    for row in session.scalars(sa.select(Prescription).where(Prescription.patient_id == patient_id)):
        medications = ", ".join(item.medication.name for item in row.items)
        yield TimelineItem(
            at=row.signed_at or row.created_at,
            kind="prescription",
            title=f"Prescription {row.id} by {row.prescriber.display_name}",
            detail=f"{row.status}: {medications}" if medications else row.status,
            url=page_url("PrescriptionView.show", pk=row.id),
        )
