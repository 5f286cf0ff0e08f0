"""Writing prescriptions: drafts, signing, cancelling, renewing, correcting.

The database decides (sql/versions/0009_prescriptions.py): a signed
prescription and its lines never change, a contraindication is not signed
without an override reason, renewals cannot exceed what the original
allows (also when two are signed at once), signing a correction cancels the
prescription it replaces.  This module checks first (who may write or sign:
app/prescribing/access.py), for plain-words refusals and the alerts to
show, then writes, commits, and turns what the database still refuses into
a ConstraintViolation on the field to blame.  Screens, the REST API and
the CLI all write through here; each rule takes the session and the actor.

Renewals are counted when the renewal is SIGNED (a draft is not yet a
prescription: abandoning it gives nothing back because it took nothing).
Signing a renewal replaces what it renews: the database turns the rest of
the chain into 'renewed' (renewed_by_id), so only one of them is in force.
"""

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from app.core.actor import Actor
from app.core.db_context import clean_reason
from app.core.errors import ConstraintViolation, Forbidden, NotFound
from app.core.rules import RecordRules, refusal_of, run_and_commit
from app.prescribing import access
from app.prescribing.checks import check_prescription, needs_override
from app.prescribing.lists import DEFAULT_DUE_DAYS, prescriptions_ending
from app.prescribing.models import Medication, Prescription, PrescriptionItem
from app.records.models import Patient
from app.security.policy import READ, WRITE, require
from app.security.roles import PRESCRIPTIONS

NOT_YOURS = "You may only change your own prescriptions."
ONLY_YOUR_RENEWALS = "A doctor sees the renewals due of their own prescriptions."
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


class OverrideRequired(ConstraintViolation):
    """Signing a prescription with a contraindication needs an override
    reason (422); `alerts` are the checks' findings, shown again (also in
    the JSON answer)."""

    def __init__(self, alerts: list):
        super().__init__(
            "override_reason",
            "A contraindication was found: give the reason for prescribing anyway to sign.",
            "prescriptions_override_required",
            alerts=[alert.as_dict() for alert in alerts],
        )
        self.alerts = alerts


def create_draft(
    session,
    actor: Actor,
    *,
    patient_id: int,
    items: list[dict],
    prescriber_id: int | None = None,
    valid_until: date | None = None,
    renewals_allowed: int = 0,
    notes: str | None = None,
) -> Prescription:
    """A new draft with its lines, committed.  Nothing is checked against
    allergies or interactions here: that is shown before signing."""
    require(actor, WRITE, PRESCRIPTIONS)
    prescriber = _prescriber(session, actor, prescriber_id)
    if session.get(Patient, patient_id) is None:
        raise ConstraintViolation("patient_id", f"No patient {patient_id}.")

    def change() -> Prescription:
        prescription = Prescription(
            patient_id=patient_id,
            prescriber_id=prescriber,
            valid_until=valid_until or date.today() + timedelta(days=DEFAULT_VALIDITY_DAYS),
            renewals_allowed=renewals_allowed or 0,
            notes=notes,
        )
        prescription.items = _lines(session, items)
        session.add(prescription)
        return prescription

    return _write(session, change)


def update_draft(session, actor: Actor, prescription_id: int, *, changes: dict) -> Prescription:
    """Change a draft; `items`, when given, replaces all its lines."""
    unknown = set(changes) - set(DRAFT_FIELDS)
    if unknown:
        raise ConstraintViolation(sorted(unknown)[0], "This field cannot be changed here.")
    prescription = _writable_draft(session, prescription_id, actor)
    if "prescriber_id" in changes:
        changes = {**changes, "prescriber_id": _prescriber(session, actor, changes["prescriber_id"])}

    def change() -> Prescription:
        for name, value in changes.items():
            if name == "items":
                # Old lines out first (flushed), so the new ones may reuse their positions.
                prescription.items = []
                session.flush()
                prescription.items = _lines(session, value)
            else:
                setattr(prescription, name, value)
        return prescription

    return _write(session, change)


def sign_prescription(
    session, actor: Actor, prescription_id: int, *, override_reason: str | None = None
) -> Prescription:
    """Sign a draft: OverrideRequired (with the alerts) when a
    contraindication is found and no reason is given."""
    prescription = get_prescription(session, prescription_id)
    reason = clean_reason(override_reason)
    return _write(session, lambda: _sign(session, prescription, actor, reason), prescription_id=prescription_id)


def cancel_prescription(session, actor: Actor, prescription_id: int, *, reason: str | None) -> Prescription:
    """A draft or a signed prescription, cancelled with a reason (kept with it)."""
    prescription = get_prescription(session, prescription_id)
    check_editable(session, actor, prescription)
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

    return _write(session, change)


def renew_prescription(
    session,
    actor: Actor,
    prescription_id: int,
    *,
    valid_until: date | None = None,
    sign: bool = False,
    override_reason: str | None = None,
) -> Prescription:
    """A new prescription with the same lines, linked to the original (a
    renewal of a renewal renews the original); a draft, or signed at once
    when `sign` (then it counts against the renewals allowed)."""
    require(actor, WRITE, PRESCRIPTIONS)
    previous = get_prescription(session, prescription_id)
    original = get_prescription(session, previous.renewal_of_id) if previous.renewal_of_id else previous
    if previous.status not in ("signed", "expired", "renewed") or original.status not in (
        "signed",
        "expired",
        "renewed",
    ):
        raise ConstraintViolation("status", "Only a signed (or expired) prescription is renewed.")
    if original.renewals_left <= 0:
        raise ConstraintViolation(
            "renewals_allowed",
            f"No renewal left ({original.renewals_used} of {original.renewals_allowed} used): "
            "write a new prescription.",
        )
    if previous.status == "renewed":
        raise ConstraintViolation(
            "status", f"This prescription was renewed by prescription {previous.renewed_by_id}: renew that one."
        )
    prescriber = access.prescriber_for(session, actor, None, default=previous.prescriber_id)
    if prescriber is None:
        raise Forbidden("Your login is not linked to an active doctor.")
    reason = clean_reason(override_reason)
    period = max((previous.valid_until - previous.prescribed_on).days, 1)

    def change() -> Prescription:
        renewal = _copy(previous, prescriber, renewal_of_id=original.id)
        renewal.valid_until = valid_until or date.today() + timedelta(days=period)
        session.add(renewal)
        if sign:
            session.flush()
            _sign(session, renewal, actor, reason)
        return renewal

    return _write(session, change)


def replace_prescription(session, actor: Actor, prescription_id: int) -> Prescription:
    """A draft copy that, once signed, replaces (cancels) this signed prescription."""
    previous = get_prescription(session, prescription_id)
    check_editable(session, actor, previous)
    if previous.status != "signed":
        raise ConstraintViolation("status", "Only a signed prescription is corrected by a replacement.")
    prescriber = access.prescriber_for(session, actor, None, default=previous.prescriber_id)

    def change() -> Prescription:
        correction = _copy(previous, prescriber, replaces_id=previous.id)
        correction.valid_until = previous.valid_until
        correction.renewals_allowed = previous.renewals_allowed
        session.add(correction)
        return correction

    return _write(session, change)


def delete_draft(session, actor: Actor, prescription_id: int) -> None:
    prescription = _writable_draft(session, prescription_id, actor)
    _write(session, lambda: session.delete(prescription))


def check_editable(session, actor: Actor, prescription: Prescription) -> None:
    """Forbidden unless `actor` may change this prescription (an admin, or
    its prescriber: access.may_write).  What every change asks first (edit,
    delete, cancel, correct) and what the editor asks before it opens."""
    if not access.may_write(session, actor, prescription):
        raise Forbidden(NOT_YOURS)


def renewals_due(
    session,
    actor: Actor,
    *,
    prescriber_id: int | None = None,
    days: int = DEFAULT_DUE_DAYS,
    today: date | None = None,
) -> list:
    """Signed prescriptions ending within `days` that `actor` sees, soonest
    first (lists.RenewalDue), the one rule behind the screen, the API and
    the doctor's home.  Whose:
    - who may not read prescriptions (the role matrix): Forbidden;
    - a doctor (a login linked to an active doctor, or acting for one under
      a delegation), unless an admin: their own only; naming another
      prescriber is Forbidden;
    - every other reader (admins, nurses, radiologists...): everyone's, or
      the one prescriber named."""
    require(actor, READ, PRESCRIPTIONS, "Your role may not read prescriptions.")
    own = access.own_doctor_id(session, actor)
    if own is not None and not access.is_admin(actor):
        if prescriber_id not in (None, own):
            raise Forbidden(ONLY_YOUR_RENEWALS)
        prescriber_id = own
    return prescriptions_ending(session, prescriber_id=prescriber_id, days=days, today=today)


def get_prescription(session, prescription_id: int) -> Prescription:
    prescription = session.get(Prescription, prescription_id)
    if prescription is None:
        raise NotFound(f"No prescription {prescription_id}.")
    return prescription


def _sign(session, prescription: Prescription, actor: Actor, reason: str | None) -> Prescription:
    if prescription.status != "draft":
        raise ConstraintViolation("status", f"This prescription is {prescription.status}: only a draft is signed.")
    if not access.may_sign(session, actor, prescription):
        raise Forbidden("Only the prescriber signs a prescription, with their own login.")
    if not prescription.items:
        raise ConstraintViolation("items", "A prescription needs at least one line to be signed.")
    alerts = check_prescription(prescription)
    if needs_override(alerts) and not reason:
        raise OverrideRequired(alerts)
    prescription.override_reason = reason
    prescription.status = "signed"
    return prescription


def _writable_draft(session, prescription_id: int, actor: Actor) -> Prescription:
    prescription = get_prescription(session, prescription_id)
    check_editable(session, actor, prescription)
    if prescription.status != "draft":
        raise ConstraintViolation(
            "status",
            f"This prescription is {prescription.status}: only a draft changes (correct it with a new one).",
        )
    return prescription


def _prescriber(session, actor: Actor, requested: int | None) -> int:
    own = access.own_doctor_id(session, actor)
    if not access.may_choose_prescriber(actor) and requested not in (None, own):
        raise Forbidden("A doctor prescribes in their own name.")
    prescriber = access.prescriber_for(session, actor, requested)
    if prescriber is None:
        if access.may_choose_prescriber(actor):
            raise ConstraintViolation("prescriber_id", "Choose the prescribing doctor.")
        raise Forbidden("Your login is not linked to an active doctor.")
    return prescriber


def _copy(previous: Prescription, prescriber_id: int, **links) -> Prescription:
    copy = Prescription(patient_id=previous.patient_id, prescriber_id=prescriber_id, notes=previous.notes, **links)
    copy.items = [
        PrescriptionItem(position=item.position, **{name: getattr(item, name) for name in ITEM_FIELDS})
        for item in previous.items
    ]
    return copy


def _lines(session, items: list[dict]) -> list[PrescriptionItem]:
    """The lines as typed, checked for what the database would refuse less clearly."""
    if not items:
        raise ConstraintViolation("items", "Add at least one line (a medication, its dose and how often).")
    if len(items) > MAX_LINES:
        raise ConstraintViolation("items", f"A prescription has {MAX_LINES} lines at most.")
    ids = {item.get("medication_id") for item in items}
    medications = {m.id: m for m in session.scalars(sa.select(Medication).where(Medication.id.in_(ids - {None})))}
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


def _write(session, change, *, prescription_id: int | None = None):
    """Run change() and commit; a refusal comes back as a ConstraintViolation
    (an OverrideRequired, with the alerts, when the signing trigger found a
    contraindication the rules had not: another prescription signed meanwhile)."""
    try:
        result = change()
        session.commit()
        return result
    except SQLAlchemyError as exc:
        session.rollback()
        refusal = refusal_of(exc)
        if getattr(refusal, "constraint", None) == "prescriptions_override_required" and prescription_id is not None:
            raise OverrideRequired(check_prescription(get_prescription(session, prescription_id))) from exc
        raise refusal from exc
    except Exception:
        session.rollback()
        raise


class PrescriptionRules(RecordRules):
    """FAB's own delete on the prescriptions screen: a draft, by its writer."""

    def delete(self, session, actor: Actor, item, *, reason=None, expected_version=None) -> None:
        delete_draft(session, actor, item.id)


PRESCRIPTION_RULES = PrescriptionRules(PRESCRIPTIONS)


def expire_overdue(session, actor: Actor) -> int:
    """Mark signed prescriptions past valid_until as expired (daily, e.g. from
    cron, until background jobs exist; the checks already ignore them)."""
    require(actor, WRITE, PRESCRIPTIONS)

    def change() -> int:
        return session.execute(
            sa.update(Prescription)
            .where(Prescription.status == "signed", Prescription.valid_until < sa.func.current_date())
            .values(status="expired")
        ).rowcount

    return run_and_commit(session, change)
