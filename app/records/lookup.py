"""Find a patient as you type: the agenda's patient pickers (calendar, find a
slot, appointment form) ask here.

Every word typed must appear in the patient's last, first or birth name,
hospital number (IPP) or NIR, whatever the accents and capitals: the same
condition as the patients list's quick search (app/core/search.py), on the same
indexed search text (patients.search_text).
"""

import sqlalchemy as sa
from flask_babel import gettext

from app.core.extensions import db
from app.core.formatting import format_date
from app.core.name_search import sort_keys
from app.core.search import person_name_matches, similar_names, similarity_order
from app.records.models import Patient

MAX_MATCHES = 20


def find_patients(text: str, *, limit: int = 10) -> list[Patient]:
    """Patients matching every word of `text`, by name; [] when nothing useful
    was typed.  The pickers book appointments: deceased patients are left out."""
    text = (text or "").strip()
    condition = person_name_matches(Patient, text, field="q", similar_if_none=False)
    if condition is None:
        return []
    found = _first_patients(condition, limit)
    if not found:  # a typo: similar names (app/core/name_search.py)
        words = text.split()
        found = _first_patients(similar_names(Patient, words), limit, similarity_order(Patient, words))
    return found


def _first_patients(condition, limit: int, *first_by) -> list[Patient]:
    query = (
        sa.select(Patient)
        .where(condition, Patient.status != "deceased")
        .order_by(*first_by, *sort_keys(Patient.last_name, Patient.first_name, Patient.id))
        .limit(max(1, min(limit, MAX_MATCHES)))
    )
    return list(db.session.scalars(query))


def born_on(birth_date) -> str:
    """'born 17/05/1980' in the user's language ('né(e) le 17/05/1980'); '?' for a date not known."""
    return gettext("born %(date)s", date=format_date(birth_date) if birth_date else "?")


def patient_choice(patient: Patient) -> dict:
    """A patient as a picker lists it: enough to tell two namesakes apart."""
    born = ", " + born_on(patient.birth_date) if patient.birth_date else ""
    return {
        "id": patient.id,
        "label": f"{patient.last_name.upper()} {patient.first_name} ({patient.mrn}{born})",
        "mrn": patient.mrn,
    }
