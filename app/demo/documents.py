"""Demo letterhead (name, address, FINESS, an SVG logo, footer) and one
hospitalisation report, so every kind of document can be tried at once.

Idempotent: the letterhead is set only while it is still the default one,
the report only when the patient has none.
"""

from datetime import date, timedelta

import sqlalchemy as sa

from app.documents.models import HospitalisationReport, HospitalSettings
from app.records.models import Patient, Staff

DEFAULT_NAME = "CareTrail Hospital"
DEMO_LOGO = b"""<svg xmlns="http://www.w3.org/2000/svg" width="120" height="120" viewBox="0 0 120 120">
<rect width="120" height="120" rx="18" fill="#1b6f8a"/>
<rect x="48" y="20" width="24" height="80" fill="#fff"/>
<rect x="20" y="48" width="80" height="24" fill="#fff"/>
</svg>"""


def seed_demo_documents(session) -> int:
    """Returns the number of hospitalisation reports added."""
    settings = HospitalSettings.current(session)
    if settings.name == DEFAULT_NAME and settings.logo_media_type is None:
        settings.name = "Centre Hospitalier CareTrail"
        settings.address = "1 avenue de la Santé\n69000 Lyon"
        settings.phone = "+33472000000"
        settings.finess = "690000017"
        settings.footer = "Urgences 24 h/24 : +33472000099 — document de démonstration"
        settings.logo = DEMO_LOGO
        settings.logo_media_type = "image/svg+xml"
    doctor = session.scalar(
        sa.select(Staff)
        .where(Staff.profession == "doctor", Staff.is_active, Staff.user_id.is_not(None))
        .order_by(Staff.id)
    )
    patient = session.scalar(sa.select(Patient).order_by(Patient.id))
    if doctor is None or patient is None:
        return 0
    if session.scalar(sa.select(HospitalisationReport.id).where(HospitalisationReport.patient_id == patient.id)):
        return 0
    discharged = date.today() - timedelta(days=3)
    session.add(
        HospitalisationReport(
            patient_id=patient.id,
            author_id=doctor.id,
            service=doctor.specialty or "Médecine interne",
            admitted_on=discharged - timedelta(days=4),
            discharged_on=discharged,
            reason="Douleur thoracique atypique.",
            summary="Bilan cardiologique sans anomalie (ECG, troponine x2, échographie).\nÉvolution favorable.",
            discharge_treatment="Paracétamol 1 g si douleur, 3 fois par jour au maximum.",
            follow_up="Consultation de contrôle dans un mois.",
        )
    )
    return 1
