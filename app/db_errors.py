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
    # hospital settings
    "hospital_settings_single_row": (None, "There is one set of hospital settings."),
    "hospital_settings_timezone_check": ("timezone", "Unknown time zone (expected e.g. Europe/Paris)."),
    # working hours and absences
    "doctor_schedule_doctor_id_fkey": ("doctor", "This doctor does not exist."),
    "doctor_schedule_doctor_check": ("doctor", "Only an active doctor or radiologist has working hours."),
    "doctor_schedule_day_of_week_check": ("day_of_week", "Day of week: 1 (Monday) to 7 (Sunday)."),
    "doctor_schedule_times_check": ("end_time", "The end time must be after the start time."),
    "doctor_schedule_validity_check": ("valid_until", "The last valid day cannot be before the first."),
    "doctor_schedule_no_overlap": ("start_time", "These hours overlap other working hours of the same doctor."),
    "doctor_absence_doctor_id_fkey": ("doctor", "This doctor does not exist."),
    "doctor_absence_doctor_check": ("doctor", "Only an active doctor or radiologist has absences."),
    "doctor_absence_period_check": ("ends_at", "An absence must end after it starts."),
    "doctor_absence_reason_check": ("reason", "Say why the doctor is away (time off, training...)."),
    # appointment types
    "appointment_types_code_key": ("code", "This code is already used by another type."),
    "appointment_types_name_key": ("name", "This name is already used by another type."),
    "appointment_types_code_check": ("code", "Code: lower-case letters, digits and _, starting with a letter."),
    "appointment_types_name_check": ("name", "Name is required (no leading or trailing spaces)."),
    "appointment_types_duration_check": ("default_duration_minutes", "A duration is between 5 and 720 minutes."),
    # appointments
    "appointments_patient_id_fkey": ("patient", "This patient does not exist."),
    "appointments_doctor_id_fkey": ("doctor", "This doctor does not exist."),
    "appointments_room_id_fkey": ("room", "This room does not exist."),
    "appointments_type_id_fkey": ("type", "This appointment type does not exist."),
    "appointments_postponed_to_id_fkey": ("postponed_to_id", "The new appointment does not exist."),
    "appointments_booked_by_id_fkey": (None, "The user booking does not exist."),
    "appointments_doctor_check": ("doctor", "Only an active doctor or radiologist takes appointments."),
    "appointments_room_required": ("room", "This type of appointment needs a room."),
    "appointments_duration_check": ("duration_minutes", "A duration is between 5 and 720 minutes."),
    "appointments_ends_at_check": ("duration_minutes", "The end must be the start plus the duration."),
    "appointments_status_check": (
        "status",
        "Status: scheduled, confirmed, arrived, completed, cancelled, no_show or postponed.",
    ),
    "appointments_status_transition": (
        "status",
        "This status change is not allowed (completed, cancelled and postponed appointments are closed).",
    ),
    "appointments_closed_unchanged": ("starts_at", "A completed, cancelled or postponed appointment cannot be moved."),
    "appointments_cancellation_reason_check": ("cancellation_reason", "Give a reason for the cancellation."),
    "appointments_postponed_check": ("postponed_to_id", "A postponed appointment names its new appointment."),
    "appointments_postponed_to_self_check": ("postponed_to_id", "An appointment cannot be postponed to itself."),
    "appointments_doctor_overlap": ("starts_at", "The doctor already has an appointment at that time."),
    "appointments_room_overlap": ("room", "The room is already taken at that time."),
    "appointments_patient_overlap": ("starts_at", "The patient already has an appointment at that time."),
    "appointments_working_hours": (
        "starts_at",
        "Outside the doctor's working hours (only an emergency, with a reason, can be booked then).",
    ),
    "appointments_doctor_absent": (
        "starts_at",
        "The doctor is absent then (only an emergency, with a reason, can be booked then).",
    ),
    # calendar feeds
    "calendar_feeds_doctor_id_fkey": ("doctor", "This doctor does not exist."),
    "calendar_feeds_token_hash_key": (None, "This feed address is already in use; generate another."),
    "calendar_feeds_token_hash_check": (None, "Invalid feed token."),
    "calendar_feeds_one_active_idx": ("doctor", "This doctor already has a feed address; revoke it first."),
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
