"""Prescriptions as lists: renewals due, a patient's prescriptions and allergies."""

from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased, selectinload

from app.core.extensions import db
from app.prescribing.models import Medication, PatientAllergy, Prescription, PrescriptionItem
from app.records.models import Patient, Staff
from app.records.page import json_rows, loaded, row_json

DEFAULT_DUE_DAYS = 14
MAX_DUE_DAYS = 92


@dataclass(frozen=True)
class RenewalDue:
    prescription: Prescription
    renewals_left: int  # on the original prescription
    pending_draft_id: int | None  # a renewal already drafted, waiting for a signature

    @property
    def days_left(self) -> int:
        return (self.prescription.valid_until - date.today()).days


def prescriptions_ending(
    session, *, prescriber_id: int | None, days: int = DEFAULT_DUE_DAYS, today: date | None = None
) -> list:
    """Signed prescriptions ending within `days` (of one prescriber, or
    everyone's), soonest first.  One per chain: signing a renewal turns what
    it renews into 'renewed' in the database (migration 0062), so the
    original and its renewal are never both here.  The query only: whose
    list an actor sees is the rule's, app/prescribing/rules.renewals_due."""
    today = today or date.today()
    days = max(0, min(days, MAX_DUE_DAYS))
    original = aliased(Prescription)
    draft = aliased(Prescription)
    root_id = sa.func.coalesce(Prescription.renewal_of_id, Prescription.id)
    pending = (
        sa.select(sa.func.min(draft.id))
        .where(draft.status == "draft", draft.renewal_of_id == root_id)
        .scalar_subquery()
    )
    query = (
        sa.select(Prescription, original.renewals_allowed - original.renewals_used, pending)
        .join(original, original.id == root_id)
        .where(
            Prescription.status == "signed",
            Prescription.valid_until.between(today, today + timedelta(days=days)),
        )
        .options(selectinload(Prescription.items).selectinload(PrescriptionItem.medication))
        .order_by(Prescription.valid_until, Prescription.id)
    )
    if prescriber_id is not None:
        query = query.where(Prescription.prescriber_id == prescriber_id)
    return [RenewalDue(p, left, draft_id) for p, left, draft_id in session.execute(query).all()]


@dataclass
class PatientPrescribing:
    """What the patient's page shows: allergies, then prescriptions."""

    allergies: list = field(default_factory=list)
    resolved_allergies: list = field(default_factory=list)
    free_text_allergies: str | None = None  # the patient's note, until a person records it
    active: list = field(default_factory=list)  # signed, still valid
    drafts: list = field(default_factory=list)
    past: list = field(default_factory=list)  # ended, expired, cancelled
    may_write_allergies: bool = False
    may_prescribe: bool = False


# Allergies: the active first, the latest recorded first; prescriptions: the latest first.
ALLERGY_ORDER = (PatientAllergy.status, PatientAllergy.recorded_at.desc())
PRESCRIPTION_ORDER = (Prescription.prescribed_on.desc(), Prescription.id.desc())
PAST_SHOWN = 20


def patient_prescribing(patient_id: int, *, past_limit: int = PAST_SHOWN) -> PatientPrescribing:
    allergies = db.session.scalars(
        sa.select(PatientAllergy).where(PatientAllergy.patient_id == patient_id).order_by(*ALLERGY_ORDER)
    )
    prescriptions = db.session.scalars(
        sa.select(Prescription)
        .where(Prescription.patient_id == patient_id)
        .options(selectinload(Prescription.items).selectinload(PrescriptionItem.medication))
        .order_by(*PRESCRIPTION_ORDER)
    )
    return sorted_prescribing(db.session.get(Patient, patient_id), list(allergies), list(prescriptions), past_limit)


def patient_prescribing_reads(patient_id: int) -> dict:
    """What patient_prescribing() reads, as JSON rows to read with other
    sections: allergies; prescriptions with their prescriber, and their
    lines (in order) with their medication."""
    lines = (
        sa.select(PrescriptionItem, row_json(Medication.__table__).label("medication"))
        .join(Medication, Medication.id == PrescriptionItem.medication_id)
        .where(PrescriptionItem.prescription_id == Prescription.id)
        .correlate(Prescription)
    )
    prescriptions = (
        sa.select(
            Prescription,
            row_json(Staff.__table__).label("prescriber"),
            json_rows(lines, PrescriptionItem.position).label("items"),
        )
        .join(Staff, Staff.id == Prescription.prescriber_id)
        .where(Prescription.patient_id == patient_id)
    )
    return {
        "allergies": json_rows(
            sa.select(PatientAllergy).where(PatientAllergy.patient_id == patient_id), *ALLERGY_ORDER
        ),
        "prescriptions": json_rows(prescriptions, *PRESCRIPTION_ORDER),
    }


def read_prescribing(patient: Patient | None, read: dict) -> PatientPrescribing:
    """patient_prescribing() from what patient_prescribing_reads() read."""
    allergies, prescriptions = loaded(PatientAllergy, read["allergies"]), loaded(Prescription, read["prescriptions"])
    return sorted_prescribing(patient, allergies, prescriptions, PAST_SHOWN)


def sorted_prescribing(
    patient: Patient | None, allergies: list[PatientAllergy], prescriptions: list[Prescription], past_limit: int
) -> PatientPrescribing:
    """The allergies and prescriptions as the page lists them."""
    summary = PatientPrescribing()
    for allergy in allergies:
        (summary.allergies if allergy.status == "active" else summary.resolved_allergies).append(allergy)
    summary.free_text_allergies = _note_not_recorded(patient, [*summary.allergies, *summary.resolved_allergies])
    for prescription in prescriptions:
        if prescription.is_draft:
            summary.drafts.append(prescription)
        elif prescription.is_active:
            summary.active.append(prescription)
        elif len(summary.past) < past_limit:
            summary.past.append(prescription)
    return summary


def _note_not_recorded(patient: Patient | None, allergies: list) -> str | None:
    """The patient's free-text allergy note (patients.allergies) while none of
    their allergy rows holds it: the rule prescription_alerts() applies
    (allergy_texts, sql/versions/0009_prescriptions.py; its btrim() trims
    spaces only, as here), so the page shows what every prescription check
    warns about.  From what the page has read already: no query."""
    note = ((patient.allergies if patient else None) or "").strip(" ")
    if not note or any(allergy.description == note for allergy in allergies):
        return None
    return note
