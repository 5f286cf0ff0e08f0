"""Prescriptions as lists: renewals due, a patient's prescriptions and allergies."""

from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased, selectinload

from app.core.extensions import db
from app.prescribing.models import PatientAllergy, Prescription, PrescriptionItem
from app.records.models import Patient

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


def patient_prescribing(patient_id: int, *, past_limit: int = 20) -> PatientPrescribing:
    summary = PatientPrescribing()
    allergies = db.session.scalars(
        sa.select(PatientAllergy)
        .where(PatientAllergy.patient_id == patient_id)
        .order_by(PatientAllergy.status, PatientAllergy.recorded_at.desc())
    )
    for allergy in allergies:
        (summary.allergies if allergy.status == "active" else summary.resolved_allergies).append(allergy)
    summary.free_text_allergies = _note_not_recorded(
        db.session.get(Patient, patient_id), [*summary.allergies, *summary.resolved_allergies]
    )
    prescriptions = db.session.scalars(
        sa.select(Prescription)
        .where(Prescription.patient_id == patient_id)
        .options(selectinload(Prescription.items).selectinload(PrescriptionItem.medication))
        .order_by(Prescription.prescribed_on.desc(), Prescription.id.desc())
    )
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
