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

from sqlalchemy import inspect

from app.core.actor import Actor
from app.core.errors import Forbidden
from app.core.rules import RecordRules
from app.records.models import Patient
from app.security.policy import readable_fields, require_readable, require_writable, writable_fields
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


class PatientRules(RecordRules):
    """The role matrix's permission, then the field groups the actor may write."""

    def check(self, session, actor: Actor, item, *, deleting: bool = False) -> None:
        if deleting:
            return
        state = inspect(item)
        if state.transient or state.pending:
            check_may_create_patient(actor)
        require_writable(actor, PATIENTS, changed_fields(item))


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


def visible_patient_data(actor: Actor, data: dict) -> dict:
    """`data` (a patient as a dict) without the keys the actor may not read."""
    allowed = patient_fields_for(actor)
    known = {field for fields in FIELD_GROUPS[PATIENTS].values() for field in fields}
    return {key: value for key, value in data.items() if key not in known or key in allowed}


STAFF_RULES = RecordRules(STAFF)
ROOM_RULES = RecordRules(ROOMS)


def delete_patient(session, actor: Actor, patient: Patient, *, reason: str | None) -> str:
    """Delete the patient (and what the database cascades), the reason
    stamped on every audit entry of the transaction; returns who it was."""
    who = f"{patient.full_name} ({patient.mrn})"
    PATIENT_RULES.delete(session, actor, patient, reason=reason)
    return who


# A patient list's export: the columns in this order, those the actor may read.
EXPORT_COLUMNS = (
    "mrn",
    "last_name",
    "first_name",
    "birth_name",
    "birth_date",
    "sex",
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
