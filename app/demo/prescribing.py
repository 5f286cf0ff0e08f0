"""Demo prescribing data: the DEMO drug set and interaction pairs
(app/demo/data/, loaded through the same import as a pharmacy's files), demo
patients' free-text allergies recorded as structured rows, and one patient
on warfarin, so that prescribing aspirin to them shows the alert.

Idempotent like the rest of the demo: the imports upsert, allergies are
added once per patient, the warfarin prescription only when no prescription
exists yet.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

from app.core.actor import SYSTEM
from app.prescribing.drug_import import import_interactions, import_medications
from app.prescribing.models import Medication, PatientAllergy, Prescription, PrescriptionItem
from app.records.models import Patient, Staff

DATA_DIR = Path(__file__).resolve().parent / "data"
DEMO_MEDICATIONS = DATA_DIR / "demo_medications.csv"
DEMO_INTERACTIONS = DATA_DIR / "demo_interactions.csv"

# Words of the demo patients' free-text allergies (demo_data.ALLERGIES) -> a
# structured allergy: (substance, ATC class) or, for what is not a drug, text.
STRUCTURED = {
    "Penicillin": (None, "J01C"),
    "Aspirin": ("acetylsalicylic acid", None),
    "Ibuprofen": ("ibuprofen", None),
}


@dataclass
class PrescribingSummary:
    medications: int = 0
    interactions: int = 0
    allergies: int = 0
    prescriptions: int = 0

    def __str__(self) -> str:
        return (
            f"{self.medications} demo medication(s), {self.interactions} interaction(s), "
            f"{self.allergies} allergy record(s), {self.prescriptions} prescription(s) added"
        )


def seed_demo_prescribing(session) -> PrescribingSummary:
    """Flushes; the caller commits (with the rest of the demo)."""
    summary = PrescribingSummary()
    summary.medications = import_medications(session, SYSTEM, DEMO_MEDICATIONS, commit=False).added
    summary.interactions = import_interactions(session, SYSTEM, DEMO_INTERACTIONS, commit=False).added
    summary.allergies = _structure_allergies(session)
    summary.prescriptions = _patient_on_warfarin(session)
    session.flush()
    return summary


def _structure_allergies(session) -> int:
    """What a clinician does after migration 0009: each free-text note kept
    (resolved, as imported), its parts recorded as substance / class / text."""
    recorded = set(session.scalars(sa.select(PatientAllergy.patient_id).distinct()))
    added = 0
    patients = session.scalars(sa.select(Patient).where(Patient.allergies.is_not(None)).order_by(Patient.id))
    for patient in patients:
        if patient.id in recorded:
            continue
        rows = [PatientAllergy(patient=patient, description=patient.allergies, source="imported", status="resolved")]
        for word in (part.strip() for part in patient.allergies.split(",")):
            substance, atc_code = STRUCTURED.get(word, (None, None))
            rows.append(
                PatientAllergy(
                    patient=patient,
                    substance=substance,
                    atc_code=atc_code,
                    description=None if substance or atc_code else word,
                    severity="moderate",
                )
            )
        session.add_all(rows)
        added += len(rows)
    return added


def _patient_on_warfarin(session) -> int:
    if session.scalar(sa.select(Prescription.id).limit(1)) is not None:
        return 0
    doctor = session.scalar(sa.select(Staff).where(Staff.profession == "doctor", Staff.user_id.is_not(None)))
    patient = session.scalar(sa.select(Patient).where(Patient.allergies.is_(None)).order_by(Patient.mrn))
    warfarin = session.scalar(sa.select(Medication).where(Medication.code == "DEMO-0001"))
    if doctor is None or patient is None or warfarin is None:
        return 0
    prescription = Prescription(
        patient=patient,
        prescriber=doctor,
        valid_until=date.today() + timedelta(days=10),
        renewals_allowed=2,
        notes="DEMO: long-term anticoagulation; INR target 2-3.",
    )
    prescription.items = [
        PrescriptionItem(
            position=1,
            medication=warfarin,
            dose=1,
            dose_unit="tablet",
            frequency="once a day, in the evening",
            duration_days=30,
            route="oral",
            quantity=1,
        )
    ]
    session.add(prescription)
    session.flush()
    prescription.status = "signed"  # the database dates and checks the signature
    session.flush()
    return 1
