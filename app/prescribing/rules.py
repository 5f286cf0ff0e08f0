"""Writing prescriptions: drafts, signing, cancelling, renewing, correcting.

The database decides (sql/versions/0009_prescriptions.py): a signed
prescription and its lines never change, a contraindication is not signed
without an override reason, renewals cannot exceed what the original
allows (also when two are signed at once), signing a correction cancels the
prescription it replaces.  This module checks first, for plain-words
refusals and the alerts to show, then writes and turns what the database
still refuses into a ConstraintViolation on the field to blame.  Screens
and the REST API both write through here.

Renewals are counted when the renewal is SIGNED (a draft is not yet a
prescription: abandoning it gives nothing back because it took nothing).
"""

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from app.core.db_context import clean_reason
from app.core.db_errors import violation_from_db_error
from app.core.errors import ConstraintViolation, DatabaseWriteFailed, NotFound, OverrideRequired, PrescriptionForbidden
from app.core.extensions import db
from app.prescribing import access as access
from app.prescribing.checks import check_prescription, needs_override
from app.prescribing.models import Medication, Prescription, PrescriptionItem
from app.records.models import Patient

DEFAULT_VALIDITY_DAYS = 90
MAX_LINES = 50
ITEM_FIELDS = (
    "medication_id",
    "dose",
    "dose_unit",
    "frequency",
    "duration_days",
    "route",
    "instructions",
    "quantity",
    "is_ald",
)
DRAFT_FIELDS = ("prescriber_id", "valid_until", "renewals_allowed", "notes", "items")


def create_draft(
    *,
    user,
    patient_id: int,
    items: list[dict],
    prescriber_id: int | None = None,
    valid_until: date | None = None,
    renewals_allowed: int = 0,
    notes: str | None = None,
) -> Prescription:
    """A new draft with its lines, committed.  Nothing is checked against
    allergies or interactions here: that is shown before signing."""
    prescriber = _prescriber(user, prescriber_id)
    if db.session.get(Patient, patient_id) is None:
        raise ConstraintViolation("patient_id", f"No patient {patient_id}.")

    def change() -> Prescription:
        prescription = Prescription(
            patient_id=patient_id,
            prescriber_id=prescriber,
            valid_until=valid_until or date.today() + timedelta(days=DEFAULT_VALIDITY_DAYS),
            renewals_allowed=renewals_allowed or 0,
            notes=notes,
        )
        prescription.items = _lines(items)
        db.session.add(prescription)
        return prescription

    return _write(change)


def update_draft(prescription_id: int, *, user, changes: dict) -> Prescription:
    """Change a draft; `items`, when given, replaces all its lines."""
    unknown = set(changes) - set(DRAFT_FIELDS)
    if unknown:
        raise ConstraintViolation(sorted(unknown)[0], "This field cannot be changed here.")
    prescription = _writable_draft(prescription_id, user)
    if "prescriber_id" in changes:
        changes = {**changes, "prescriber_id": _prescriber(user, changes["prescriber_id"])}

    def change() -> Prescription:
        for name, value in changes.items():
            if name == "items":
                # Old lines out first (flushed), so the new ones may reuse their positions.
                prescription.items = []
                db.session.flush()
                prescription.items = _lines(value)
            else:
                setattr(prescription, name, value)
        return prescription

    return _write(change)


def sign_prescription(prescription_id: int, *, user, override_reason: str | None = None) -> Prescription:
    """Sign a draft: OverrideRequired (with the alerts) when a
    contraindication is found and no reason is given."""
    prescription = get_prescription(prescription_id)
    reason = clean_reason(override_reason)
    return _write(lambda: _sign(prescription, user, reason), prescription_id=prescription_id)


def cancel_prescription(prescription_id: int, *, user, reason: str | None) -> Prescription:
    """A draft or a signed prescription, cancelled with a reason (kept with it)."""
    prescription = get_prescription(prescription_id)
    if not access.may_write(user, prescription):
        raise PrescriptionForbidden()
    if prescription.status not in ("draft", "signed"):
        raise ConstraintViolation("status", f"This prescription is already {prescription.status}.")
    reason = clean_reason(reason)
    if not reason:
        raise ConstraintViolation("cancellation_reason", "Give a reason for the cancellation.")

    def change() -> Prescription:
        prescription.status = "cancelled"
        prescription.cancelled_at = sa.func.now()
        prescription.cancellation_reason = reason
        return prescription

    return _write(change)


def renew_prescription(
    prescription_id: int,
    *,
    user,
    valid_until: date | None = None,
    sign: bool = False,
    override_reason: str | None = None,
) -> Prescription:
    """A new prescription with the same lines, linked to the original (a
    renewal of a renewal renews the original); a draft, or signed at once
    when `sign` (then it counts against the renewals allowed)."""
    previous = get_prescription(prescription_id)
    original = get_prescription(previous.renewal_of_id) if previous.renewal_of_id else previous
    if previous.status not in ("signed", "expired") or original.status not in ("signed", "expired"):
        raise ConstraintViolation("status", "Only a signed (or expired) prescription is renewed.")
    if original.renewals_left <= 0:
        raise ConstraintViolation(
            "renewals_allowed",
            f"No renewal left ({original.renewals_used} of {original.renewals_allowed} used): "
            "write a new prescription.",
        )
    prescriber = access.prescriber_for(user, None, default=previous.prescriber_id)
    if prescriber is None:
        raise PrescriptionForbidden("Your login is not linked to an active doctor.")
    reason = clean_reason(override_reason)
    period = max((previous.valid_until - previous.prescribed_on).days, 1)

    def change() -> Prescription:
        renewal = _copy(previous, prescriber, renewal_of_id=original.id)
        renewal.valid_until = valid_until or date.today() + timedelta(days=period)
        db.session.add(renewal)
        if sign:
            db.session.flush()
            _sign(renewal, user, reason)
        return renewal

    return _write(change)


def replace_prescription(prescription_id: int, *, user) -> Prescription:
    """A draft copy that, once signed, replaces (cancels) this signed prescription."""
    previous = get_prescription(prescription_id)
    if not access.may_write(user, previous):
        raise PrescriptionForbidden()
    if previous.status != "signed":
        raise ConstraintViolation("status", "Only a signed prescription is corrected by a replacement.")
    prescriber = access.prescriber_for(user, None, default=previous.prescriber_id)

    def change() -> Prescription:
        correction = _copy(previous, prescriber, replaces_id=previous.id)
        correction.valid_until = previous.valid_until
        correction.renewals_allowed = previous.renewals_allowed
        db.session.add(correction)
        return correction

    return _write(change)


def delete_draft(prescription_id: int, *, user) -> None:
    prescription = _writable_draft(prescription_id, user)
    _write(lambda: db.session.delete(prescription))


def get_prescription(prescription_id: int) -> Prescription:
    prescription = db.session.get(Prescription, prescription_id)
    if prescription is None:
        raise NotFound(f"No prescription {prescription_id}.")
    return prescription


def _sign(prescription: Prescription, user, reason: str | None) -> Prescription:
    if prescription.status != "draft":
        raise ConstraintViolation("status", f"This prescription is {prescription.status}: only a draft is signed.")
    if not access.may_sign(user, prescription):
        raise PrescriptionForbidden("Only the prescriber signs a prescription, with their own login.")
    if not prescription.items:
        raise ConstraintViolation("items", "A prescription needs at least one line to be signed.")
    alerts = check_prescription(prescription)
    if needs_override(alerts) and not reason:
        raise OverrideRequired(alerts)
    prescription.override_reason = reason
    prescription.status = "signed"
    return prescription


def _writable_draft(prescription_id: int, user) -> Prescription:
    prescription = get_prescription(prescription_id)
    if not access.may_write(user, prescription):
        raise PrescriptionForbidden()
    if prescription.status != "draft":
        raise ConstraintViolation(
            "status",
            f"This prescription is {prescription.status}: only a draft changes (correct it with a new one).",
        )
    return prescription


def _prescriber(user, requested: int | None) -> int:
    own = access.own_doctor_id(user)
    if not access.is_admin(user) and requested not in (None, own):
        raise PrescriptionForbidden("A doctor prescribes in their own name.")
    prescriber = access.prescriber_for(user, requested)
    if prescriber is None:
        if access.is_admin(user):
            raise ConstraintViolation("prescriber_id", "Choose the prescribing doctor.")
        raise PrescriptionForbidden("Your login is not linked to an active doctor.")
    return prescriber


def _copy(previous: Prescription, prescriber_id: int, **links) -> Prescription:
    copy = Prescription(patient_id=previous.patient_id, prescriber_id=prescriber_id, notes=previous.notes, **links)
    copy.items = [
        PrescriptionItem(position=item.position, **{name: getattr(item, name) for name in ITEM_FIELDS})
        for item in previous.items
    ]
    return copy


def _lines(items: list[dict]) -> list[PrescriptionItem]:
    """The lines as typed, checked for what the database would refuse less clearly."""
    if not items:
        raise ConstraintViolation("items", "Add at least one line (a medication, its dose and how often).")
    if len(items) > MAX_LINES:
        raise ConstraintViolation("items", f"A prescription has {MAX_LINES} lines at most.")
    ids = {item.get("medication_id") for item in items}
    medications = {m.id: m for m in db.session.scalars(sa.select(Medication).where(Medication.id.in_(ids - {None})))}
    lines = []
    for number, item in enumerate(items, start=1):
        unknown = set(item) - set(ITEM_FIELDS)
        if unknown:
            raise ConstraintViolation("items", f"Line {number}: unknown field {sorted(unknown)[0]!r}.")
        medication = medications.get(item.get("medication_id"))
        if medication is None:
            raise ConstraintViolation("items", f"Line {number}: choose a medication from the reference.")
        if not medication.is_active:
            raise ConstraintViolation("items", f"Line {number}: {medication.name} is no longer in use.")
        values = {name: item.get(name) for name in ITEM_FIELDS}
        values["dose"] = _dose(values["dose"], number)
        values["route"] = values["route"] or medication.route
        values["is_ald"] = bool(values["is_ald"])  # for the long-term condition: the two-zone print
        lines.append(PrescriptionItem(position=number, **values))
    return lines


def _dose(value, number: int) -> Decimal:
    try:
        dose = Decimal(str(value).replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ConstraintViolation("items", f"Line {number}: the dose is a number (e.g. 500 or 0.5).") from None
    if not dose.is_finite() or dose <= 0 or dose >= 10_000_000:
        raise ConstraintViolation("items", f"Line {number}: the dose must be more than 0.")
    return dose


def _write(change, *, prescription_id: int | None = None):
    """Run change() and commit; a refusal comes back as a ConstraintViolation
    (an OverrideRequired, with the alerts, when the signing trigger found a
    contraindication the service had not: another prescription signed meanwhile)."""
    try:
        result = change()
        db.session.commit()
        return result
    except SQLAlchemyError as exc:
        db.session.rollback()
        violation = violation_from_db_error(exc)
        if violation is None:
            raise DatabaseWriteFailed() from exc
        if violation.constraint == "prescriptions_override_required" and prescription_id is not None:
            raise OverrideRequired(check_prescription(get_prescription(prescription_id))) from exc
        raise violation from exc
    except Exception:
        db.session.rollback()
        raise
