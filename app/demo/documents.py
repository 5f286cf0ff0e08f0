"""Demo letterhead (name, address, FINESS, an SVG logo, footer) and one
hospitalisation report, so every kind of document can be tried at once.

It touches only what it creates: the letterhead is filled only while every
field of it is still as installed, the report is written for a patient the
demo has just created, by one of its doctors.
"""

from datetime import date, timedelta

from app.documents.models import HospitalisationReport, HospitalSettings
from app.records.models import Patient, Staff

DEFAULT_NAME = "CareTrail Hospital"
DEMO_LOGO = b"""<svg xmlns="http://www.w3.org/2000/svg" width="120" height="120" viewBox="0 0 120 120">
<rect width="120" height="120" rx="18" fill="#1b6f8a"/>
<rect x="48" y="20" width="24" height="80" fill="#fff"/>
<rect x="20" y="48" width="80" height="24" fill="#fff"/>
</svg>"""


def seed_demo_documents(session, patient: Patient | None, doctor: Staff | None) -> int:
    """`patient`: one the demo has just created, or None; `doctor`: one of
    the demo's.  Returns the number of hospitalisation reports added."""
    settings = HospitalSettings.current(session)
    letterhead = (settings.address, settings.phone, settings.finess, settings.footer, settings.logo_media_type)
    if settings.name == DEFAULT_NAME and letterhead == (None,) * len(letterhead):
        settings.name = "Centre Hospitalier CareTrail"
        settings.address = "1 avenue de la Santé\n69000 Lyon"
        settings.phone = "+33472000000"
        settings.finess = "690000017"
        settings.footer = "Urgences 24 h/24 : +33472000099 — document de démonstration"
        settings.logo = DEMO_LOGO
        settings.logo_media_type = "image/svg+xml"
    if doctor is None or patient is None:
        return 0
    session.flush()  # the patient's id
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
