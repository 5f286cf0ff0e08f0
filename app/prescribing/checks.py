"""The checks at prescribing time: allergies, interactions, duplicate therapy.

The database decides what is found: prescription_alerts() in SQL
(sql/versions/0009_prescriptions.py), the same function the signing trigger
runs, so what a prescriber is shown before signing is exactly what the
database enforces when they sign (a contraindication needs an override
reason, whoever signs, from the screen, the API or psql).  This module asks
it about a draft (saved or not) and puts each finding in a prescriber's words.

What is checked, and at which severity:

- allergy: a line whose substance, or ATC class at any level, is an active
  allergy of the patient (an allergy to the class J01C, penicillins, matches
  amoxicillin, J01CA04): contraindicated.
- allergy_text: allergies recorded as text only (imported from the old
  free-text field, or not a drug), which nothing can match: precaution.
- interaction: a pair of substances or ATC classes from the reference,
  between two lines, or a line and a line of the patient's other active
  prescriptions (signed, not past valid_until): the pair's own severity.
- duplicate: two lines (or a line and an active prescription) with the same
  substance (avoid) or the same ATC level-4 class, e.g. two SSRIs (N06AB) or
  two statins (C10AA) (precaution).  Level 4 is the chemical subgroup: what
  pharmacists call "the same kind of drug".  Level 3 would flag a PPI with an
  H2 blocker (A02B), level 5 only repeats the substance check.
- secure_form (consider) and inactive (avoid): a narcotic needs a secure
  form; a medication withdrawn from the reference.

The prescription it replaces, or the chain it renews, is not "another
prescription": correcting or renewing warfarin is not a duplicate of warfarin.
"""

from dataclasses import asdict, dataclass

import sqlalchemy as sa

from app.core.errors import ConstraintViolation
from app.core.extensions import db
from app.prescribing.models import SEVERITIES, Medication, Prescription
from app.records.models import Patient

BLOCKING_SEVERITY = "contraindicated"

ALERTS_QUERY = sa.text(
    "SELECT kind, severity, item_no, medication_id, other_item_no, other_prescription_id, other_medication_id,"
    " matched, detail, reference_id"
    " FROM prescription_alerts(:patient_id, CAST(:medication_ids AS bigint[]), :replaces_id, :renewal_of_id,"
    " :prescription_id)"
)


@dataclass(frozen=True)
class Alert:
    kind: str
    severity: str
    message: str
    line: int | None = None  # 1-based line of the draft
    medication_id: int | None = None
    other_line: int | None = None  # another line of the same draft
    other_prescription_id: int | None = None  # or a line of another active prescription
    other_medication_id: int | None = None
    reference_id: int | None = None  # drug_interactions.id or patient_allergies.id

    @property
    def severity_label(self) -> str:
        return SEVERITIES.get(self.severity, self.severity)

    @property
    def is_blocking(self) -> bool:
        return self.severity == BLOCKING_SEVERITY

    def as_dict(self) -> dict:
        return {**asdict(self), "blocks_signing": self.is_blocking}


def check_draft(
    patient_id: int,
    medication_ids: list[int],
    *,
    replaces_id: int | None = None,
    renewal_of_id: int | None = None,
    prescription_id: int | None = None,
) -> list[Alert]:
    """The alerts for these lines (medication ids in line order), most severe first."""
    rows = db.session.execute(
        ALERTS_QUERY,
        {
            "patient_id": patient_id,
            "medication_ids": list(medication_ids),
            "replaces_id": replaces_id,
            "renewal_of_id": renewal_of_id,
            "prescription_id": prescription_id,
        },
    ).all()
    names = _medication_names({row.medication_id for row in rows} | {row.other_medication_id for row in rows})
    return [_alert(row, names) for row in rows]


def check_typed_draft(
    session, patient_id: int, medication_ids: list[int], *, replaces_id=None, renewal_of_id=None, prescription_id=None
) -> list[Alert]:
    """The alerts for a draft as typed (nothing saved): the patient and each
    line's medication must exist first, else a ConstraintViolation naming them."""
    if session.get(Patient, patient_id) is None:
        raise ConstraintViolation("patient_id", f"No patient {patient_id}.")
    known = set(session.scalars(sa.select(Medication.id).where(Medication.id.in_(medication_ids))))
    unknown = [
        f"Line {n}: no medication {i} in the reference." for n, i in enumerate(medication_ids, 1) if i not in known
    ]
    if unknown:
        raise ConstraintViolation("items", " ".join(unknown))
    return check_draft(
        patient_id,
        medication_ids,
        replaces_id=replaces_id,
        renewal_of_id=renewal_of_id,
        prescription_id=prescription_id,
    )


def check_prescription(prescription: Prescription) -> list[Alert]:
    """The alerts of a saved prescription, as when it is signed."""
    return check_draft(
        prescription.patient_id,
        [item.medication_id for item in prescription.items],
        replaces_id=prescription.replaces_id,
        renewal_of_id=prescription.renewal_of_id,
        prescription_id=prescription.id,
    )


def needs_override(alerts: list[Alert]) -> bool:
    """Signing these needs an override reason."""
    return any(alert.is_blocking for alert in alerts)


def _medication_names(ids: set) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(Medication.id, Medication.name).where(Medication.id.in_(ids))).all())


def _alert(row, names: dict[int, str]) -> Alert:
    return Alert(
        kind=row.kind,
        severity=row.severity,
        message=_message(row, names),
        line=row.item_no,
        medication_id=row.medication_id,
        other_line=row.other_item_no,
        other_prescription_id=row.other_prescription_id,
        other_medication_id=row.other_medication_id,
        reference_id=row.reference_id,
    )


def _message(row, names: dict[int, str]) -> str:
    line = f"Line {row.item_no} ({names.get(row.medication_id, '?')})"
    if row.other_item_no is not None:
        other = f"line {row.other_item_no} ({names.get(row.other_medication_id, '?')})"
    elif row.other_prescription_id is not None:
        other = f"{names.get(row.other_medication_id, '?')} on active prescription {row.other_prescription_id}"
    else:
        other = None
    if row.kind == "allergy":
        agent = f"the class {row.matched}" if _is_class(row.matched) else row.matched
        detail = f" ({row.detail})" if row.detail else ""
        return f"{line}: the patient is allergic to {agent}{detail}."
    if row.kind == "allergy_text":
        return f"Allergies recorded as text only, not checked automatically: {row.detail}. Check them yourself."
    if row.kind == "interaction":
        return f"{line} with {other}: {row.detail} [{row.matched}]"
    if row.kind == "duplicate":
        if row.severity == "avoid":
            return f"Duplicate therapy: {line} and {other} both contain {row.matched}."
        return f"Possible duplicate therapy: {line} and {other} are in the same class (ATC {row.matched})."
    if row.kind == "secure_form":
        return f"{line} needs a secure prescription form (narcotic or assimilated)."
    if row.kind == "inactive":
        return f"{line} is no longer in use in the drug reference."
    return f"{line}: {row.detail or row.kind}"


def _is_class(value: str | None) -> bool:
    return bool(value) and value[0].isupper()
