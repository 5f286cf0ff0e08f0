"""What the global search finds, for whom (one door: the top bar's box and
GET /api/v1/search both call `global_search`).

What was typed decides how patients are looked for:
- a birth date, 12/03/1985 or 1985-03-12;
- a NIR, with or without spaces (only for roles that read the NIR);
- a hospital number (IPP00000042, or its digits);
- a phone number, French or international (roles that read contacts);
- otherwise names, through the patients list's own name search
  (app/core/search.py: every word in the names, accents and capitals
  ignored, similar names when nothing matches: "dubuis" finds Dubois).
Appointments are found by their patient or their doctor, documents and
prescriptions by their patient.  Each group is there only when the role may
read that kind (role matrix), documents only of the kinds it may read, and
a secretary never sees a prescription.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask import url_for

from app.agenda.models import Appointment
from app.core.actor import Actor
from app.core.errors import BadInput
from app.core.formatting import format_date, format_datetime
from app.core.name_search import any_match, sort_keys
from app.core.normalize import normalize_nir, normalize_phone
from app.core.search import person_name_matches, similar_names, similarity_order
from app.core.timezone import now
from app.documents.access import readable_kinds
from app.documents.models import Document
from app.prescribing.models import Prescription
from app.records.models import SEXES, Patient, Staff
from app.security.policy import READ, may, readable_fields
from app.security.roles import APPOINTMENTS, DOCUMENTS, PATIENTS, PRESCRIPTIONS

MAX_LENGTH = 100
PER_GROUP = 8
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d")
NIR_TYPED = re.compile(r"^[12]\d{4}(\d{2}|2A|2B)\d{6}(\d{2})?$")
MRN_TYPED = re.compile(r"^(IPP)?\d{1,8}$", re.IGNORECASE)
PHONE_TYPED = re.compile(r"^\+?[\d\s.\-]{9,20}$")


@dataclass
class SearchResults:
    query: str
    kind: str  # how the text was read: name, birth_date, nir, mrn, phone
    groups: dict[str, list[dict]] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"q": self.query, "matched_by": self.kind, "groups": self.groups}


def read_query(raw: str | None) -> str:
    text = " ".join(str(raw or "").split())
    if not text:
        raise BadInput("Type something to search for.", field="q")
    if len(text) > MAX_LENGTH:
        raise BadInput(f"At most {MAX_LENGTH} characters.", field="q")
    return text


def typed_date(text: str) -> date | None:
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def global_search(session, actor: Actor, raw: str | None) -> SearchResults:
    text = read_query(raw)
    patients_readable = may(actor, READ, PATIENTS)
    fields = readable_fields(actor, PATIENTS) if patients_readable else frozenset()
    kind, condition = _patient_condition(text, fields)
    results = SearchResults(text, kind)
    patients: list[Patient] = []
    if patients_readable and condition is not None:
        first_by = ()
        if kind == "name" and not any_match(Patient, condition):
            # A typo: similar names, most similar first (as the agenda's picker does).
            condition, first_by = similar_names(Patient, text.split()), (similarity_order(Patient, text.split()),)
        patients = list(
            session.scalars(
                sa.select(Patient)
                .where(condition, Patient.merged_into_id.is_(None))
                .order_by(*first_by, *sort_keys(Patient.last_name, Patient.first_name, Patient.id))
                .limit(PER_GROUP)
            )
        )
        results.groups["patients"] = [_patient_row(p) for p in patients]
    patient_ids = [p.id for p in patients]
    if may(actor, READ, APPOINTMENTS):
        results.groups["appointments"] = _appointments(session, text, kind, patient_ids)
    if patient_ids and may(actor, READ, DOCUMENTS):
        results.groups["documents"] = _documents(session, actor, patient_ids)
    if patient_ids and may(actor, READ, PRESCRIPTIONS):
        results.groups["prescriptions"] = _prescriptions(session, patient_ids)
    return results


def _patient_condition(text: str, fields: frozenset[str]):
    """(how the text was read, the condition on patients), or (kind, None)
    when the role may not search by what was typed."""
    day = typed_date(text)
    if day is not None:
        return "birth_date", (Patient.birth_date == day) if "birth_date" in fields else None
    nir = normalize_nir(text)
    if NIR_TYPED.match(nir or ""):
        return "nir", (Patient.nir == nir) if "nir" in fields else None
    if MRN_TYPED.match(text.replace(" ", "")):
        digits = re.sub(r"\D", "", text)
        if len(digits) <= 8:
            return "mrn", Patient.mrn == f"IPP{int(digits):08d}"
    if PHONE_TYPED.match(text) and sum(c.isdigit() for c in text) >= 9:
        return "phone", (Patient.phone == normalize_phone(text)) if "phone" in fields else None
    return "name", person_name_matches(Patient, text, field="q", similar_if_none=False)


def _patient_row(patient: Patient) -> dict:
    # The records' own sex labels, in the user's language (lazy strings).
    sex = str(SEXES.get(patient.sex, SEXES["X"]))
    return {
        "id": patient.id,
        "label": f"{patient.last_name.upper()} {patient.first_name}",
        "detail": f"{patient.mrn} · {format_date(patient.birth_date)} · {sex}",
        "url": url_for("PatientView.show", pk=patient.id),
    }


def _appointments(session, text: str, kind: str, patient_ids: list[int]) -> list[dict]:
    """The patients' appointments (coming ones first, soonest first, then the
    latest past ones), then the coming appointments of the doctors named.
    Two small queries, each on its index (patient_id, starts_at) and
    (starts_at): an OR of both made PostgreSQL read every appointment."""
    moment = now()
    rows = []
    if patient_ids:
        coming_first = sa.case((Appointment.starts_at >= moment, 0), else_=1)
        distance = sa.func.abs(sa.extract("epoch", Appointment.starts_at) - moment.timestamp())
        rows += session.execute(
            _appointment_rows().where(Appointment.patient_id.in_(patient_ids)).order_by(coming_first, distance)
        ).all()[:PER_GROUP]
    if kind == "name" and len(rows) < PER_GROUP:
        doctor = person_name_matches(Staff, text, field="q", similar_if_none=False)
        doctor_ids = list(session.scalars(sa.select(Staff.id).where(doctor, Staff.profession == "doctor").limit(20)))
        if doctor_ids:
            seen = {appointment.id for appointment, _, _ in rows}
            rows += [
                row
                for row in session.execute(
                    _appointment_rows()
                    .where(Appointment.doctor_id.in_(doctor_ids), Appointment.starts_at >= moment)
                    .order_by(Appointment.starts_at)
                    .limit(PER_GROUP)
                ).all()
                if row[0].id not in seen
            ]
    return [
        {
            "id": appointment.id,
            "label": f"{format_datetime(appointment.starts_at)} · {patient.last_name.upper()} {patient.first_name}",
            "detail": f"Dr {doctor.last_name} · {appointment.status_label}",
            "url": url_for("AppointmentView.show", pk=appointment.id),
        }
        for appointment, patient, doctor in rows[:PER_GROUP]
    ]


def _appointment_rows():
    return (
        sa.select(Appointment, Patient, Staff)
        .join(Patient, Patient.id == Appointment.patient_id)
        .join(Staff, Staff.id == Appointment.doctor_id)
    )


def _documents(session, actor: Actor, patient_ids: list[int]) -> list[dict]:
    kinds = readable_kinds(actor)
    rows = session.scalars(
        sa.select(Document)
        .options(sa.orm.load_only(Document.id, Document.title, Document.kind, Document.issued_at, Document.patient_id))
        .where(Document.patient_id.in_(patient_ids), Document.kind.in_(kinds))
        .order_by(Document.issued_at.desc())
        .limit(PER_GROUP)
    ).all()
    return [
        {
            "id": document.id,
            "label": document.title,
            "detail": f"{document.kind_label} · {format_datetime(document.issued_at)}",
            "url": url_for("DocumentView.show", pk=document.id),
        }
        for document in rows
    ]


def _prescriptions(session, patient_ids: list[int]) -> list[dict]:
    rows = session.execute(
        sa.select(Prescription, Patient)
        .join(Patient, Patient.id == Prescription.patient_id)
        .where(Prescription.patient_id.in_(patient_ids))
        .order_by(Prescription.prescribed_on.desc(), Prescription.id.desc())
        .limit(PER_GROUP)
    ).all()
    return [
        {
            "id": prescription.id,
            "label": f"{patient.last_name.upper()} {patient.first_name} · {format_date(prescription.prescribed_on)}",
            "detail": prescription.status,
            "url": url_for("PrescriptionView.show", pk=prescription.id),
        }
        for prescription, patient in rows
    ]
