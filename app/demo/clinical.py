"""Demo clinical record: for two patients the demo has just created, a
signed consultation with a coded diagnosis (which joins their problem list,
as signing does) and a few days of vital signs.  Everything says DEMO.

Like the rest of the demo, it writes only for patients created in the same
run (a later start adds nothing: they are not new any more), and never for a
record it did not create.  Flushes; the caller commits.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from app.clinical import icd10
from app.clinical.models import Consultation, ConsultationDiagnosis, Observation, PatientProblem
from app.records.models import Patient, Staff

# (reason, examination, conclusion, ICD-10 code) per demo patient, in order.
DEMO_CONSULTATIONS = (
    ("DEMO: cough for ten days", "DEMO: wheezing, no fever.", "DEMO: asthma flare.", "J45.0"),
    ("DEMO: blood pressure follow-up", "DEMO: BP 150/95 twice.", "DEMO: essential hypertension.", "I10"),
)
# (kind, value, diastolic) per day, oldest first.
DEMO_VITALS = (
    (("temperature", "37.2", None), ("pulse", "78", None), ("blood_pressure", "150", "95"), ("spo2", "97", None)),
    (("temperature", "38.4", None), ("pulse", "92", None), ("blood_pressure", "142", "88"), ("spo2", "95", None)),
    (("temperature", "36.9", None), ("pulse", "72", None), ("blood_pressure", "128", "82"), ("spo2", "98", None)),
)
DEMO_BODY = (("weight", "71.5", None), ("height", "168", None))


def seed_demo_clinical(session, patients: list[Patient], doctor: Staff | None) -> int:
    """Consultations added (one per patient, the first two of `patients`)."""
    if doctor is None:
        return 0
    now = datetime.now(UTC)
    added = 0
    for patient, (reason, examination, conclusion, code) in zip(patients, DEMO_CONSULTATIONS, strict=False):
        entry = icd10.lookup(code)
        started = now - timedelta(days=3)
        consultation = Consultation(
            patient=patient,
            clinician=doctor,
            started_at=started,
            reason=reason,
            examination=examination,
            conclusion=conclusion,
        )
        consultation.diagnoses = [ConsultationDiagnosis(icd10_code=entry.code, label=entry.label, rank="principal")]
        session.add(consultation)
        session.flush()
        consultation.status = "signed"  # the database dates the signature
        session.flush()
        diagnosis = consultation.diagnoses[0]
        session.add(
            PatientProblem(
                patient=patient,
                icd10_code=entry.code,
                label=entry.label,
                onset_on=started.date(),
                source_diagnosis_id=diagnosis.id,
            )
        )
        for day, readings in enumerate(DEMO_VITALS):
            at = started + timedelta(days=day, hours=2)
            session.add_all(_readings(patient, readings, at))
        session.add_all(_readings(patient, DEMO_BODY, started))
        added += 1
    session.flush()
    return added


def _readings(patient: Patient, readings, at: datetime) -> list[Observation]:
    return [
        Observation(
            patient=patient,
            kind=kind,
            value=Decimal(value),
            diastolic=Decimal(diastolic) if diastolic else None,
            measured_at=at,
            note="DEMO",
        )
        for kind, value, diastolic in readings
    ]
