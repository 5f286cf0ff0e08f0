"""The records' rules: who may write patients, staff and rooms (the role
matrix), and deleting a patient with the reason kept in the audit.

Patients, staff and rooms are written by FAB's generated screens and API,
through these RecordRules (app/core/rules.py): the permission, the version
the user opened, one commit.  A patient's fields are written field group
by field group (app/security/roles.py, FIELD_MATRIX): PatientRules refuses
a change to a field the actor may not write, whichever door made it, and
the doors ask `check_patient_input()` first with the names they were sent
(a field posted unchanged is refused too), and `patient_for_reader()` for
what to show.
"""

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date

from sqlalchemy import inspect

from app.core.actor import Actor
from app.core.db_context import audit_reason, clean_reason
from app.core.errors import Conflict, ConstraintViolation, Forbidden, NotFound
from app.core.rules import RecordRules, run_and_commit
from app.records.deletion import move_references, why_not_deletable
from app.records.duplicates import candidate, likely_duplicates
from app.records.models import Patient
from app.records.nir import nir_birth_error, nir_sex_error
from app.security.policy import DELETE, readable_fields, require, require_readable, require_writable, writable_fields
from app.security.roles import FIELD_GROUPS, PATIENTS, ROOMS, STAFF

# Needed to create a patient: a role that may not write them may not create one.
PATIENT_CREATION_GROUP = "identity"


def changed_fields(item) -> set[str]:
    """The columns of `item` set or changed since it was loaded (all those
    holding a value, for a new record)."""
    state = inspect(item)
    if state.transient or state.pending:
        return {attr.key for attr in state.mapper.column_attrs if getattr(item, attr.key) is not None}
    return {attr.key for attr in state.attrs if attr.history.has_changes()}


class LikelyDuplicate(Conflict):
    """A new patient looks like one already recorded (409): `candidates` (also
    in the JSON answer) are those patients; saving again with the
    confirmation (`confirm_duplicate`) records the new one."""

    def __init__(self, found: list[Patient]):
        names = "; ".join(f"{p.full_name} ({p.mrn}, born {p.birth_date:%d/%m/%Y})" for p in found)
        super().__init__(
            f"Likely duplicate: {names} is already recorded with a similar name and the same date of birth. "
            "Open that record instead, or confirm that this is another person to save.",
            field="last_name",
            candidates=[candidate(p) for p in found],
        )


# Set by a door for one save: the user confirmed that the patient is not a duplicate.
_duplicate_confirmed: ContextVar[bool] = ContextVar("caretrail_duplicate_confirmed", default=False)


@contextmanager
def duplicate_confirmed(confirmed: bool):
    """Within: a new patient like an existing one is saved (the user confirmed it is another person)."""
    token = _duplicate_confirmed.set(bool(confirmed))
    try:
        yield
    finally:
        _duplicate_confirmed.reset(token)


class PatientRules(RecordRules):
    """The role matrix's permission, the field groups the actor may write,
    then the record's own rules."""

    def check(self, session, actor: Actor, item, *, deleting: bool = False) -> None:
        """The NIR agrees with the sex and the date of birth (the database's
        patients_nir_sex_check and patients_nir_birth_check, in words); the
        date of death goes with the deceased status; a patient whose records
        must be kept is not deleted (409, saying what to do instead)."""
        if deleting:
            if item.id is not None and (why := why_not_deletable(item.id, session)):
                raise Conflict(why, field="status")
            return
        state = inspect(item)
        if state.transient or state.pending:
            check_may_create_patient(actor)
        require_writable(actor, PATIENTS, changed_fields(item))
        message = nir_sex_error(item.nir, item.sex) or nir_birth_error(item.nir, item.birth_date)
        if message:
            raise ConstraintViolation("nir", message)
        if item.id is None and not _duplicate_confirmed.get():
            found = likely_duplicates(session, item)
            if found:
                raise LikelyDuplicate(found)
        if item.status == "deceased" and item.deceased_on is None:
            raise ConstraintViolation("deceased_on", "Give the date of death of a deceased patient.")
        if item.deceased_on is not None:
            if item.status != "deceased":
                raise ConstraintViolation("deceased_on", "A date of death is given only with the status Deceased.")
            if item.deceased_on > date.today() or (item.birth_date and item.deceased_on < item.birth_date):
                raise ConstraintViolation("deceased_on", "The date of death is between the date of birth and today.")


PATIENT_RULES = PatientRules(PATIENTS)


def check_may_create_patient(actor: Actor) -> None:
    if not set(FIELD_GROUPS[PATIENTS][PATIENT_CREATION_GROUP]) - {"mrn"} <= writable_fields(actor, PATIENTS):
        raise Forbidden("Your role may not register a patient.")


def check_patient_input(actor: Actor, names, labels: dict[str, str] | None = None) -> None:
    """Refuse input naming a field the actor may not write (the doors call
    it with the names they received, before applying any)."""
    require_writable(actor, PATIENTS, names, labels)


def check_patient_filters(actor: Actor, names) -> None:
    """Refuse a filter or an order on a field the actor may not read."""
    require_readable(actor, PATIENTS, names)


def patient_fields_for(actor: Actor) -> frozenset[str]:
    """The patient's fields this actor may see (every door shows only these)."""
    return readable_fields(actor, PATIENTS)


def hidden_patient_fields(actor: Actor) -> frozenset[str]:
    """The patient's fields (of the field matrix's groups) this actor may not see."""
    known = frozenset(field for fields in FIELD_GROUPS[PATIENTS].values() for field in fields)
    return known - patient_fields_for(actor)


def visible_patient_data(actor: Actor, data: dict) -> dict:
    """`data` (a patient as a dict) without the keys the actor may not read."""
    hidden = hidden_patient_fields(actor)
    return {key: value for key, value in data.items() if key not in hidden}


STAFF_RULES = RecordRules(STAFF)
ROOM_RULES = RecordRules(ROOMS)


def delete_patient(session, actor: Actor, patient: Patient, *, reason: str | None) -> str:
    """Delete the patient (and what the database cascades), the reason
    stamped on every audit entry of the transaction; returns who it was."""
    who = f"{patient.full_name} ({patient.mrn})"
    PATIENT_RULES.delete(session, actor, patient, reason=reason)
    return who


def merge_patients(session, actor: Actor, merged_id: int, keep_id: int, *, reason: str | None = None) -> dict:
    """Merge patient `merged_id` into `keep_id` (administrators: the delete
    permission), in one transaction: every row referring to the merged
    record that may still change moves to the kept one (appointments not yet
    closed, allergies, draft prescriptions, reports...); history that may
    not change (archived documents, signed prescriptions, closed
    appointments) stays with the merged record, which is kept, inactive,
    "merged into" the other.  Identity fields are left as they are (the
    administrator corrects the kept record).  Every change is audited with
    the merge as its reason, and can be put back from the audit.
    Returns {"moved": {table: rows}, "kept": {table: rows}}."""
    require(actor, DELETE, PATIENTS)
    reason = clean_reason(reason)
    if merged_id == keep_id:
        raise ConstraintViolation("into", "A record cannot be merged into itself.")
    merged, keep = session.get(Patient, merged_id), session.get(Patient, keep_id)
    if merged is None:
        raise NotFound(f"Patient #{merged_id} does not exist.")
    if keep is None:
        raise ConstraintViolation("into", f"Patient #{keep_id} does not exist.")
    if merged.merged_into_id is not None:
        raise Conflict(f"{merged.full_name} ({merged.mrn}) was already merged into another record.")
    if keep.merged_into_id is not None:
        raise ConstraintViolation(
            "into", f"{keep.full_name} ({keep.mrn}) was itself merged into another record: merge into that one."
        )
    if merged.status == "deceased" and keep.status != "deceased":
        raise ConstraintViolation(
            "into",
            f"{merged.full_name} is recorded as deceased: record the death on {keep.full_name} first, "
            "or correct the record merged away.",
        )
    why = f"merge of patient {merged.mrn} into {keep.mrn}" + (f": {reason}" if reason else "")
    result = {}

    def change():
        merged.status, merged.deceased_on, merged.merged_into_id = "inactive", None, keep.id
        session.flush()  # stamps the transaction with the reason before the moves
        result["moved"], result["kept"] = move_references(session, merged.id, keep.id)

    with audit_reason(why):
        run_and_commit(session, change)
    return result


# A patient list's export: the columns in this order, those the actor may read.
EXPORT_COLUMNS = (
    "mrn",
    "last_name",
    "first_name",
    "birth_name",
    "birth_date",
    "sex",
    "status",
    "deceased_on",
    "nir",
    "phone",
    "email",
    "address",
    "postal_code",
    "city",
    "emergency_contact_name",
    "emergency_contact_phone",
    "blood_group",
    "allergies",
    "notes",
)
EXPORT_MAX_ROWS = 10_000


def patient_export_columns(actor: Actor) -> list[str]:
    """The columns of a patient list export for this actor (never a field
    their role may not read)."""
    allowed = patient_fields_for(actor)
    return [name for name in EXPORT_COLUMNS if name in allowed]
