"""Turn PostgreSQL constraint errors into messages a secretary understands.

Every CHECK/UNIQUE/FK constraint created by a migration should have an entry
here; tests/integration/test_constraint_messages.py fails when one is missing.
"""

from psycopg import errors as pg_errors
from sqlalchemy.exc import DBAPIError

from app.core.errors import ConstraintViolation

# constraint name -> (field, message)
CONSTRAINT_MESSAGES: dict[str, tuple[str | None, str]] = {
    # patients
    "patients_mrn_key": ("mrn", "This hospital number is already used."),
    "patients_nir_key": ("nir", "This NIR is already recorded for another patient."),
    "patients_nir_check": ("nir", "Invalid NIR: 13 characters and a matching 2-digit key expected."),
    "patients_nir_sex_check": ("nir", "The NIR's first digit does not match the sex (1, 3, 7 a man; 2, 4, 8 a woman)."),
    "patients_nir_birth_check": ("nir", "The NIR's year or month of birth does not match the date of birth."),
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
    "patients_status_check": ("status", "Status: active, inactive or deceased."),
    "patients_merged_into_id_fkey": (
        "merged_into_id",
        "No such patient (and a patient other records were merged into cannot be deleted).",
    ),
    "patients_merged_check": ("merged_into_id", "A record merged into another is inactive, and never into itself."),
    "patients_deceased_on_check": ("deceased_on", "A deceased patient has a date of death, and only they have one."),
    "patients_deceased_on_range_check": ("deceased_on", "The date of death is between the date of birth and today."),
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
    "doctor_absence_covers_appointments": (
        "decisions",
        "This absence covers booked appointments: keep each one as an exception (with a reason) "
        "or mark it to be rebooked.",
    ),
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
    "appointments_absence_exception_reason_check": (
        "absence_exception_reason",
        "Say why the appointment is kept during the absence (or leave it empty).",
    ),
    "appointments_absence_decision_check": (
        "needs_rebooking",
        "An appointment is either kept during the absence or to be rebooked, not both.",
    ),
    "appointments_arrival_day": (
        "status",
        "Arrived and Completed are for today's appointments or past ones, not for a day still to come.",
    ),
    "appointments_called_check": ("called_at", "Only a patient who has arrived can be called."),
    "appointments_called_when_arrived": (
        "status",
        "Only a patient who has arrived can be called: not before they come, nor once the appointment is completed.",
    ),
    "appointments_called_on_the_day": ("starts_at", "A patient is called on the day of their appointment."),
    "appointments_called_by_id_fkey": ("called_by_id", "No such user."),
    "appointments_postponed_check": ("postponed_to_id", "A postponed appointment names its new appointment."),
    "appointments_postponed_to_self_check": ("postponed_to_id", "An appointment cannot be postponed to itself."),
    "appointments_doctor_overlap": ("starts_at", "The doctor already has an appointment at that time."),
    "appointments_room_overlap": ("room", "The room is already taken at that time."),
    "appointments_patient_overlap": ("starts_at", "The patient already has an appointment at that time."),
    "appointments_working_hours": (
        "starts_at",
        "Outside the doctor's working hours (only an emergency, with a reason, can be booked then).",
    ),
    "appointments_patient_alive": ("patient", "This patient is recorded as deceased: they cannot be booked."),
    "appointments_doctor_absent": (
        "starts_at",
        "The doctor is absent then (only an emergency, with a reason, can be booked then).",
    ),
    # calendar feeds
    "calendar_feeds_doctor_id_fkey": ("doctor", "This doctor does not exist."),
    "calendar_feeds_token_hash_key": (None, "This feed address is already in use; generate another."),
    "calendar_feeds_token_hash_check": (None, "Invalid feed token."),
    "calendar_feeds_one_active_idx": ("doctor", "This doctor already has a feed address; revoke it first."),
    # drug reference (medications, interactions)
    "medications_code_key": ("code", "This medication code is already used."),
    "medications_code_check": ("code", "Code: letters, digits, dots, dashes, 20 characters at most (e.g. a CIS code)."),
    "medications_name_check": ("name", "Name is required (no leading or trailing spaces)."),
    "medications_substances_check": ("substances", "Give between 1 and 20 active substances."),
    "medications_atc_code_check": ("atc_code", "ATC code of a medication: level 5 (e.g. J01CA04) or level 4 (J01CA)."),
    "medications_text_check": (None, "Form, strength and route may not be blank (leave them empty instead)."),
    "medications_narcotic_check": ("needs_secure_prescription", "A narcotic always needs a secure prescription."),
    "drug_interactions_kind_check": ("a_kind", "Each side is a substance or an ATC class."),
    "drug_interactions_value_check": (
        "a_value",
        "A substance name, or a well-formed ATC code for a class (e.g. M01A).",
    ),
    "drug_interactions_canonical_order": ("b_value", "A substance or class does not interact with itself."),
    "drug_interactions_pair_key": ("a_value", "This pair is already in the interaction list (in either order)."),
    "drug_interactions_severity_check": ("severity", "Severity: contraindicated, avoid, precaution or consider."),
    "drug_interactions_message_check": ("message", "Say what the interaction does (the prescriber reads it)."),
    "drug_interactions_source_check": ("source", "Source may not be blank (leave it empty instead)."),
    # patient allergies
    "patient_allergies_patient_id_fkey": ("patient", "This patient does not exist."),
    "patient_allergies_recorded_by_id_fkey": (None, "The user recording the allergy does not exist."),
    "patient_allergies_agent_check": (
        "substance",
        "Give a substance OR an ATC class (or, for anything else, a description), not both.",
    ),
    "patient_allergies_substance_check": ("substance", "Substance names are stored in lower case, without accents."),
    "patient_allergies_atc_code_check": ("atc_code", "Not an ATC code (e.g. J01C for penicillins)."),
    "patient_allergies_description_check": ("description", "The description may not be blank."),
    "patient_allergies_reaction_check": ("reaction", "The reaction may not be blank (leave it empty instead)."),
    "patient_allergies_severity_check": ("severity", "Severity: unknown, mild, moderate, severe or anaphylaxis."),
    "patient_allergies_status_check": ("status", "Status: active or resolved."),
    "patient_allergies_source_check": ("source", "Source: recorded or imported."),
    "patient_allergies_active_agent_idx": ("substance", "This allergy is already recorded (active) for the patient."),
    # prescriptions
    "prescriptions_patient_id_fkey": (
        "patient_id",
        "No such patient (and a patient who has prescriptions cannot be deleted).",
    ),
    "prescriptions_prescriber_id_fkey": (
        "prescriber_id",
        "No such prescriber (staff with prescriptions are made inactive, not deleted).",
    ),
    "prescriptions_replaces_id_fkey": ("replaces_id", "The prescription replaced does not exist."),
    "prescriptions_renewal_of_id_fkey": ("renewal_of_id", "The prescription renewed does not exist."),
    "prescriptions_status_check": ("status", "Status: draft, signed, cancelled, expired or renewed."),
    "prescriptions_renewed_by_id_fkey": ("renewed_by_id", "The renewal named does not exist."),
    "prescriptions_renewed_check": ("status", "A renewed prescription names the renewal that replaced it."),
    "prescriptions_renewed_by_check": (
        "status",
        "A prescription is marked renewed only by signing a renewal of it (and in force again if that is cancelled).",
    ),
    "prescriptions_valid_until_check": (
        "valid_until",
        "Valid until: from the prescription date, one year at most.",
    ),
    "prescriptions_renewals_allowed_check": ("renewals_allowed", "Renewals allowed: 0 to 12."),
    "prescriptions_renewals_used_check": ("renewals_allowed", "No renewal left on this prescription."),
    "prescriptions_renewals_unsigned_check": ("renewals_used", "Only a signed prescription counts renewals."),
    "prescriptions_renewal_counts_check": (
        "renewals_allowed",
        "A renewal allows no further renewals: they are counted on the original prescription.",
    ),
    "prescriptions_one_link_check": (None, "A prescription either replaces or renews another, not both."),
    "prescriptions_self_link_check": (None, "A prescription cannot replace or renew itself."),
    "prescriptions_signed_at_check": ("status", "A signed prescription has a signing time; a draft has none."),
    "prescriptions_cancellation_check": ("cancellation_reason", "Give a reason for the cancellation."),
    "prescriptions_override_reason_check": ("override_reason", "The override reason may not be blank."),
    "prescriptions_notes_check": ("notes", "Notes may not be blank (leave them empty instead)."),
    "prescriptions_starts_as_draft": ("status", "A prescription starts as a draft, then is signed."),
    "prescriptions_link_patient_check": (None, "A renewal or a correction is for the same patient."),
    "prescriptions_signed_immutable": (
        None,
        "A signed prescription cannot be changed or deleted; write a new one that replaces it.",
    ),
    "prescriptions_status_transition": (
        "status",
        "This status change is not allowed (signed prescriptions may only be cancelled or expire).",
    ),
    "prescriptions_not_yet_expired": ("status", "This prescription is still valid; it cannot expire yet."),
    "prescriptions_links_fixed": (None, "What a prescription replaces or renews is set when it is created."),
    "prescriptions_prescriber_check": ("prescriber_id", "Only an active doctor prescribes."),
    "prescriptions_items_required": ("items", "A prescription needs at least one line to be signed."),
    "prescriptions_override_required": (
        "override_reason",
        "A contraindication was found: give the reason for prescribing anyway to sign.",
    ),
    "prescriptions_replaces_check": (
        "replaces_id",
        "Only a signed prescription can be replaced (this one no longer is).",
    ),
    "prescriptions_renewal_of_check": ("renewal_of_id", "Only a signed or expired prescription can be renewed."),
    "prescription_items_prescription_id_fkey": ("items", "The prescription does not exist."),
    "prescription_items_medication_id_fkey": (
        "medication_id",
        "No such medication (one that is on prescriptions is made inactive, not deleted).",
    ),
    "prescription_items_position_key": ("items", "Two lines have the same position."),
    "prescription_items_position_check": ("items", "A prescription has 50 lines at most."),
    "prescription_items_dose_check": ("dose", "The dose must be more than 0."),
    "prescription_items_dose_unit_check": ("dose_unit", "Give the unit of the dose (mg, tablet, ml...)."),
    "prescription_items_frequency_check": ("frequency", "Say how often (e.g. 3 times a day)."),
    "prescription_items_duration_check": ("duration_days", "Duration: 1 to 366 days."),
    "prescription_items_route_check": ("route", "The route may not be blank (leave it empty instead)."),
    "prescription_items_instructions_check": ("instructions", "Instructions may not be blank."),
    "prescription_items_quantity_check": ("quantity", "Quantity: 1 to 9999."),
    "prescription_items_frozen": (
        "items",
        "The lines of a signed prescription cannot be changed; write a new one that replaces it.",
    ),
    "prescription_items_medication_active": ("medication_id", "This medication is no longer in use (inactive)."),
    # hospital letterhead
    "hospital_settings_name_check": ("name", "The hospital's name is required (200 characters at most)."),
    "hospital_settings_address_check": ("address", "The address has 500 characters at most."),
    "hospital_settings_phone_check": ("phone", "Phone number must be in international form, e.g. +33123456789."),
    "hospital_settings_finess_check": ("finess", "A FINESS number has 9 characters: 9 digits, or 2A/2B then 7 digits."),
    "hospital_settings_logo_check": ("logo", "The logo must be a PNG, JPEG or SVG image of 512 KB at most."),
    "hospital_settings_footer_check": ("footer", "The footer has 500 characters at most."),
    # certificate templates
    "certificate_templates_title_key": ("title", "A certificate template with this title already exists."),
    "certificate_templates_title_check": ("title", "The title is required (200 characters at most)."),
    "certificate_templates_body_check": ("body", "The text is required (20,000 characters at most)."),
    "certificate_templates_fields_check": ("fields", "The fields must be a list."),
    "certificate_templates_version_check": ("version", "The version starts at 1."),
    # hospitalisation reports
    "hospitalisation_reports_patient_id_fkey": (
        "patient_id",
        "No such patient (and a patient with a hospitalisation report cannot be deleted).",
    ),
    "hospitalisation_reports_author_id_fkey": ("author_id", "No such doctor."),
    "hospitalisation_reports_author_check": ("author_id", "The author must be an active doctor."),
    "hospitalisation_reports_service_check": ("service", "The service is required (100 characters at most)."),
    "hospitalisation_reports_dates_check": ("discharged_on", "The discharge date cannot be before the admission."),
    "hospitalisation_reports_reason_check": ("reason", "The reason for admission is required."),
    "hospitalisation_reports_summary_check": ("summary", "The summary is required."),
    "hospitalisation_reports_discharge_treatment_check": (
        "discharge_treatment",
        "The treatment at discharge has 5,000 characters at most.",
    ),
    "hospitalisation_reports_follow_up_check": ("follow_up", "The follow-up has 5,000 characters at most."),
    # documents (immutable once issued)
    "documents_patient_id_fkey": (
        "patient_id",
        "No such patient (and a patient with issued documents cannot be deleted).",
    ),
    "documents_template_id_fkey": (
        "template_id",
        "No such certificate template (a template that was used is deactivated, not deleted).",
    ),
    "documents_prescription_id_fkey": (
        "prescription_id",
        "No such prescription (a printed prescription cannot be deleted).",
    ),
    "documents_hospitalisation_report_id_fkey": (
        "hospitalisation_report_id",
        "No such hospitalisation report (a printed report cannot be deleted).",
    ),
    "documents_issued_by_user_id_fkey": (None, "The issuing user does not exist."),
    "documents_kind_check": (
        "kind",
        "Kind: patient_record, certificate, prescription, hospitalisation_report or audit_history.",
    ),
    "documents_title_check": ("title", "A document needs a title (300 characters at most)."),
    "documents_source_check": (None, "The document does not name what it was made from."),
    "documents_engine_check": ("engine", "Engine: weasyprint or wkhtmltopdf."),
    "documents_page_count_check": (None, "A document has at least one page."),
    "documents_content_check": (None, "The document's bytes do not match their size and SHA-256 (or are no PDF)."),
    "document_accesses_document_id_fkey": ("document_id", "No such document."),
    "document_accesses_user_id_fkey": (None, "The user does not exist."),
    "document_accesses_action_check": ("action", "Action: download, print or verify."),
    "access_log_action_check": ("action", "A read is a view, an export, a print or a history."),
    "access_log_door_check": ("door", "A read comes from a screen, the API, a document or a command."),
    "access_log_reason_length": ("reason", "A reason is 500 characters at most."),
    # alerts (migration 0082)
    "alert_rules_code_key": ("code", "This alert rule already exists."),
    "alert_rules_code_check": ("code", "Unknown alert rule."),
    "alert_rules_severity_check": ("severity", "Severity must be info, warning or critical."),
    "alert_rules_settings_check": ("settings", "Settings must be a JSON object."),
    "alert_rules_recipient_emails_check": ("recipient_emails", "Each recipient must be a valid e-mail address."),
    "alerts_rule_code_fkey": ("rule_code", "Unknown alert rule."),
    "alerts_acknowledged_by_id_fkey": ("acknowledged_by", "This user does not exist."),
    "alerts_severity_check": ("severity", "Severity must be info, warning or critical."),
    "alerts_summary_check": ("summary", "An alert needs a summary (2,000 characters at most)."),
    "alerts_audit_entry_ids_check": (
        "audit_entry_ids",
        "An alert covers at least one audit entry or one read of the journal.",
    ),
    "alerts_status_check": ("status", "Status must be new or acknowledged."),
    "alerts_acknowledgement_check": ("status", "An acknowledged alert names who acknowledged it and when."),
    "alerts_ack_comment_check": ("ack_comment", "A comment is at most 500 characters."),
    "alert_cursor_single_row": (None, "The alert engine has one cursor."),
    # appointment reminders (migration 0083)
    "appointment_reminders_appointment_id_fkey": ("appointment_id", "No such appointment."),
    "appointment_reminders_once_key": (None, "This reminder is already planned."),
    "appointment_reminders_offset_check": ("offset_minutes", "A reminder is 1 minute to 30 days before."),
    "appointment_reminders_channel_check": ("channel", "Channel: email or sms."),
    "appointment_reminders_status_check": ("status", "Status: queued, sent, skipped or cancelled."),
    "appointment_reminders_sent_check": ("sent_at", "A sent reminder has its sending time, and only it."),
    "access_log_username_length": ("username", "A username is 150 characters at most."),
    "access_log_on_behalf_of_length": ("on_behalf_of", "A username is 150 characters at most."),
    # sign-in security (migrations 0051, 0072): written by the sign-in code, never typed as such
    "security_log_event_check": ("event", "Unknown security event."),
    "security_log_door_check": ("door", "A sign-in comes from the form, the API, a screen or a command."),
    "security_log_user_id_fkey": ("user_id", "This user does not exist."),
    "security_log_username_length": ("username", "A username is 150 characters at most."),
    "security_log_actor_length": ("actor", "A username is 150 characters at most."),
    "security_log_detail_length": ("detail", "A detail is 500 characters at most."),
    "user_mfa_user_id_fkey": ("user_id", "This user does not exist."),
    "user_recovery_codes_user_id_fkey": ("user_id", "This user does not exist."),
    "user_security_user_id_fkey": ("user_id", "This user does not exist."),
    "user_sessions_user_id_fkey": ("user_id", "This user does not exist."),
    "user_sessions_kind_check": ("kind", "A session is a browser's, an access token or a refresh token."),
    "user_sessions_ended_check": ("ended_at", "An ended session says when and why it ended."),
    "user_sessions_ended_reason_length": ("ended_reason", "A reason is 100 characters at most."),
    "user_sessions_token_hash_key": (None, "This session is already registered."),
    # delegations (migration 0086; triggers/0086 names its refusals like constraints)
    "hospital_settings_delegation_max_days_check": ("delegation_max_days", "Between 1 and 366 days."),
    "delegations_grantee_id_fkey": ("grantee", "This user does not exist (and a user with delegations stays)."),
    "delegations_role_id_fkey": ("role", "This role does not exist (and a delegated role stays)."),
    "delegations_acted_for_id_fkey": ("acts_for", "This user does not exist (and a user acted for stays)."),
    "delegations_granted_by_id_fkey": ("granted_by", "This user does not exist."),
    "delegations_revoked_by_id_fkey": ("revoked_by", "This user does not exist."),
    "delegations_window_check": ("ends_at", "The end is after the start, and in the future."),
    "delegations_what_check": ("role", "Grant either a role or acting for a user (one of role, acts_for)."),
    "delegations_not_for_self_check": ("acts_for", "A user does not act for themselves."),
    "delegations_not_to_self_check": ("grantee", "You may not grant a delegation to yourself."),
    "delegations_reason_check": ("reason", "Say why (500 characters at most, no padding spaces)."),
    "delegations_revocation_check": ("revoke_reason", "A revocation says when, by whom and why."),
    "delegations_revoke_reason_check": ("revoke_reason", "Say why (500 characters at most, no padding spaces)."),
    "delegations_max_length": ("ends_at", "A delegation is longer than the hospital allows (delegation_max_days)."),
    "delegations_role_not_admin": ("role", "The Admin role is never delegated."),
    "delegations_terms_fixed": (None, "A delegation's terms are never rewritten: revoke it and grant another."),
    "delegations_revoked_once": ("status", "A delegation is revoked once, for good."),
}


# Free-text columns' <table>_<column>_length (migration 0033): the field and its limit.
TEXT_LENGTHS = {
    "patients_allergies_length": ("allergies", 2000),
    "patients_notes_length": ("notes", 10000),
    "appointments_notes_length": ("notes", 2000),
    "drug_interactions_message_length": ("message", 2000),
    "patient_allergies_description_length": ("description", 500),
    "prescriptions_notes_length": ("notes", 5000),
    "prescription_items_instructions_length": ("instructions", 2000),
}
CONSTRAINT_MESSAGES.update(
    {name: (field, f"At most {most:,} characters.") for name, (field, most) in TEXT_LENGTHS.items()}
)

# Break-the-glass (migration 0087): grants, the reads journaled under them, and job errors.
CONSTRAINT_MESSAGES.update(
    {
        "break_glass_grants_user_id_fkey": ("user_id", "No such user."),
        "break_glass_grants_patient_id_fkey": ("patient_id", "No such patient."),
        "break_glass_grants_reviewed_by_id_fkey": ("reviewed_by_id", "No such user."),
        "break_glass_grants_username_length": ("username", "At most 150 characters."),
        "break_glass_grants_reason_check": ("reason", "A reason is required (at most 500 characters)."),
        "break_glass_grants_minutes_check": ("minutes", "Break-the-glass lasts 1 to 1,440 minutes."),
        "break_glass_grants_expiry_check": ("expires_at", "A grant ends after it was given."),
        "break_glass_grants_verdict_check": ("verdict", "The verdict is justified or unjustified."),
        "break_glass_grants_review_check": ("verdict", "A review has a verdict, a reviewer and a time, all or none."),
        "break_glass_grants_unjustified_comment_check": ("comment", "An unjustified verdict needs a comment."),
        "break_glass_grants_review_comment_check": ("comment", "At most 500 characters."),
        "break_glass_grants_reviewer_check": ("verdict", "No one reviews their own break-the-glass."),
        "access_log_break_glass_id_fkey": ("break_glass_id", "No such break-the-glass grant."),
        "access_log_break_glass_check": ("break_glass_id", "Breaking the glass is journaled with its grant."),
        "job_errors_job_id_fkey": ("job_id", "No such job."),
        "job_errors_error_check": ("error", "An error text is required (at most 4,000 characters)."),
        # A user's interface preferences (migration 0115).
        "user_preferences_user_id_fkey": ("user_id", "No such user."),
        "user_preferences_locale_check": ("locale", "The language is en or fr."),
        "user_preferences_theme_check": ("theme", "The theme is light or dark."),
    }
)

# Every versioned table's <table>_version_check (optimistic locking, migration 0020).
VERSION_CHECK = "_version_check"


def message_for(constraint: str | None) -> tuple[str | None, str] | None:
    """(field, message) for a named constraint, or None when it has none."""
    if constraint in CONSTRAINT_MESSAGES:
        return CONSTRAINT_MESSAGES[constraint]
    if constraint and constraint.endswith(VERSION_CHECK):
        return "version", "The version is kept by the database (it starts at 1)."
    return None


def violation_from_db_error(exc: BaseException | None) -> ConstraintViolation | None:
    """The ConstraintViolation behind a SQLAlchemy/psycopg error, or None when
    the error is not about the data (connection lost, bug in SQL...)."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    if not isinstance(orig, pg_errors.IntegrityError | pg_errors.DataError):
        return None
    diag = orig.diag
    constraint = diag.constraint_name
    explained = message_for(constraint)
    if explained is not None:
        return ConstraintViolation(*explained, constraint)
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
