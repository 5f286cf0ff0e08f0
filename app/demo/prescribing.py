"""Demo prescribing data: the DEMO drug set and interaction pairs
(app/demo/data/, loaded through the same import as a pharmacy's files), the
allergies of the patients the demo creates, and one of them on warfarin, so
that prescribing aspirin to them shows the alert.

Like the rest of the demo, it touches only what it creates: allergies are
recorded with their demo patient, when it is created (demo_data), and the
warfarin prescription goes to a patient created in the same run, only while
no prescription exists at all.  Idempotent: the imports upsert.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

from app.core.actor import DEMO_LOADER
from app.prescribing.drug_import import import_interactions, import_medications
from app.prescribing.models import Medication, PatientAllergy, Prescription, PrescriptionItem
from app.records.models import Patient, Staff

DATA_DIR = Path(__file__).resolve().parent / "data"
DEMO_MEDICATIONS = DATA_DIR / "demo_medications.csv"
DEMO_INTERACTIONS = DATA_DIR / "demo_interactions.csv"

# The demo patients' allergies (demo_data.ALLERGIES) as a clinician records
# them: a drug as its substance or ATC class (checked at prescribing),
# anything else as text.  The demo states no severity, so none is recorded
# ("unknown"): no code invents clinical data.
DEMO_ALLERGY_AGENTS = {
    "Penicillin": {"atc_code": "J01C"},
    "Aspirin": {"substance": "acetylsalicylic acid"},
    "Ibuprofen": {"substance": "ibuprofen"},
}


def demo_allergy(patient: Patient, word: str) -> PatientAllergy:
    """One allergy of a patient the demo is creating."""
    return PatientAllergy(patient=patient, **DEMO_ALLERGY_AGENTS.get(word, {"description": word}))


@dataclass
class PrescribingSummary:
    medications: int = 0
    interactions: int = 0
    prescriptions: int = 0

    def __str__(self) -> str:
        return (
            f"{self.medications} demo medication(s), {self.interactions} interaction(s), "
            f"{self.prescriptions} prescription(s) added"
        )


def seed_demo_prescribing(session, on_warfarin: Patient | None, prescriber: Staff | None) -> PrescribingSummary:
    """`on_warfarin`: a patient the demo has just created, or None;
    `prescriber`: one of the demo's doctors.  Flushes; the caller commits
    (with the rest of the demo)."""
    summary = PrescribingSummary()
    # Missing rows only: a medication or interaction someone changed stays so.
    only_new = {"commit": False, "keep_existing": True}
    summary.medications = import_medications(session, DEMO_LOADER, DEMO_MEDICATIONS, **only_new).added
    summary.interactions = import_interactions(session, DEMO_LOADER, DEMO_INTERACTIONS, **only_new).added
    summary.prescriptions = _patient_on_warfarin(session, on_warfarin, prescriber)
    session.flush()
    return summary


def _patient_on_warfarin(session, patient: Patient | None, doctor: Staff | None) -> int:
    if patient is None or session.scalar(sa.select(Prescription.id).limit(1)) is not None:
        return 0
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
