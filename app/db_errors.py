"""Turn PostgreSQL constraint errors into messages a secretary understands.

Every CHECK/UNIQUE/FK constraint created by a migration should have an entry
here; tests/integration/test_constraint_messages.py fails when one is missing.
"""

from psycopg import errors as pg_errors
from sqlalchemy.exc import DBAPIError

from app.exceptions import ConstraintViolation

# constraint name -> (field, message)
CONSTRAINT_MESSAGES: dict[str, tuple[str | None, str]] = {
    # patients
    "patients_mrn_key": ("mrn", "This hospital number is already used."),
    "patients_nir_key": ("nir", "This NIR is already recorded for another patient."),
    "patients_nir_check": ("nir", "Invalid NIR: 13 characters and a matching 2-digit key expected."),
    "patients_last_name_check": ("last_name", "Last name is required (no leading or trailing spaces)."),
    "patients_first_name_check": ("first_name", "First name is required (no leading or trailing spaces)."),
    "patients_birth_name_check": ("birth_name", "Birth name may not be blank or padded with spaces."),
    "patients_birth_date_check": ("birth_date", "Birth date cannot be in the future or before 1880."),
    "patients_sex_check": ("sex", "Sex must be F, M or X."),
    "patients_blood_group_check": ("blood_group", "Blood group must be one of A+, A-, B+, B-, AB+, AB-, O+, O-."),
    "patients_phone_check": ("phone", "Phone number must be in international form, e.g. +33123456789."),
    "patients_emergency_contact_phone_check": (
        "emergency_contact_phone",
        "Phone number must be in international form, e.g. +33123456789.",
    ),
    "patients_email_check": ("email", "Not a valid e-mail address."),
    "patients_postal_code_check": ("postal_code", "Not a valid postal code."),
    # staff
    "staff_user_id_key": ("user", "This login is already linked to another staff member."),
    "staff_user_id_fkey": ("user", "This login does not exist."),
    "staff_rpps_key": ("rpps", "This RPPS number is already recorded for another staff member."),
    "staff_rpps_check": ("rpps", "An RPPS number has exactly 11 digits."),
    "staff_last_name_check": ("last_name", "Last name is required (no leading or trailing spaces)."),
    "staff_first_name_check": ("first_name", "First name is required (no leading or trailing spaces)."),
    "staff_profession_check": ("profession", "Profession must be doctor, nurse, secretary, radiologist or admin."),
    "staff_phone_check": ("phone", "Phone number must be in international form, e.g. +33123456789."),
    "staff_email_check": ("email", "Not a valid e-mail address."),
    # rooms
    "rooms_code_key": ("code", "This room code is already used."),
    "rooms_code_check": ("code", "Room code: capital letters, digits and dashes, 20 characters at most."),
    "rooms_name_check": ("name", "Room name is required (no leading or trailing spaces)."),
    "rooms_kind_check": ("kind", "Kind must be consultation, imaging, operating, ward or other."),
}


def violation_from_db_error(exc: BaseException | None) -> ConstraintViolation | None:
    """The ConstraintViolation behind a SQLAlchemy/psycopg error, or None when
    the error is not about the data (connection lost, bug in SQL...)."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    if not isinstance(orig, pg_errors.IntegrityError | pg_errors.DataError):
        return None
    diag = orig.diag
    constraint = diag.constraint_name
    if constraint in CONSTRAINT_MESSAGES:
        field, message = CONSTRAINT_MESSAGES[constraint]
        return ConstraintViolation(field, message, constraint)
    if isinstance(orig, pg_errors.NotNullViolation):
        return ConstraintViolation(diag.column_name, "This field is required.", constraint)
    if isinstance(orig, pg_errors.ForeignKeyViolation):
        return ConstraintViolation(
            None, "This record is still referenced by other records and cannot be changed or removed.", constraint
        )
    if isinstance(orig, pg_errors.StringDataRightTruncation):
        return ConstraintViolation(None, "A value is longer than allowed.", constraint)
    if isinstance(orig, pg_errors.DataError):
        return ConstraintViolation(None, "A value has the wrong format.", constraint)
    return ConstraintViolation(
        None, f"The database refused this change ({constraint or 'integrity rule'}).", constraint
    )
