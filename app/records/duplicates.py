"""Likely duplicates of a patient: the same date of birth and a similar name
(pg_trgm's similarity on the accent- and case-folded names, in either order,
the birth name standing for the last name too).  Asked before a new patient
is saved (app/records/rules.py) and by the merge screen."""

import sqlalchemy as sa

from app.core.search import folded
from app.records.models import Patient

# pg_trgm similarity from which two names count as "similar": Dubois Marie /
# DUBOIS Marie-Hélène / Marie Dubois / Dubois Maria are; Dubois / Durand are not.
SIMILAR_NAMES = 0.45
MAX_CANDIDATES = 5


def likely_duplicates(session, patient: Patient, *, limit: int = MAX_CANDIDATES) -> list[Patient]:
    """Other patients born the same day whose name is similar to `patient`'s."""
    if patient.birth_date is None or not patient.last_name or not patient.first_name:
        return []
    typed = {f"{patient.last_name} {patient.first_name}", f"{patient.first_name} {patient.last_name}"}
    if patient.birth_name:
        typed.add(f"{patient.birth_name} {patient.first_name}")
    names = [
        folded(Patient.last_name + " " + Patient.first_name),
        folded(sa.func.coalesce(Patient.birth_name, Patient.last_name) + " " + Patient.first_name),
    ]
    score = sa.func.greatest(
        *(sa.func.similarity(name, folded(sa.literal(text))) for name in names for text in sorted(typed))
    )
    query = (
        sa.select(Patient)
        .where(Patient.birth_date == patient.birth_date, score >= SIMILAR_NAMES)
        .order_by(score.desc(), Patient.id)
        .limit(limit)
    )
    if patient.id is not None:
        query = query.where(Patient.id != patient.id)
    return list(session.scalars(query))


def candidate(patient: Patient) -> dict:
    """A likely duplicate as the API and the screen show it."""
    return {
        "id": patient.id,
        "mrn": patient.mrn,
        "last_name": patient.last_name,
        "first_name": patient.first_name,
        "birth_name": patient.birth_name,
        "birth_date": patient.birth_date.isoformat(),
        "status": patient.status,
    }
