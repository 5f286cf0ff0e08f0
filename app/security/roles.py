"""The role matrix: which role may do what on which resource.

This table is the single source of truth; `flask roles sync` (also run at
start-up by run.py) makes the database match it, adding and REMOVING
permissions, so a role edited by hand in the UI drifts back on next sync.
README.md shows the same matrix as a table.
"""

from app.security.permissions import DELETE, HISTORY, READ, WRITE

R = (READ,)
RW = (READ, WRITE)
RWD = (READ, WRITE, DELETE)

# Resources: a screen and its REST API share one permission name.  Menu
# entries have names of their own (FAB keeps menu_access on the menu name and
# would fight over a view-menu shared with a resource).
PATIENTS = "Patient"
STAFF = "StaffMember"
ROOMS = "Room"
AUDIT = "Audit"
APPOINTMENTS = "Appointment"
SCHEDULES = "DoctorSchedule"
ABSENCES = "DoctorAbsence"
APPOINTMENT_TYPES = "AppointmentType"
PRESCRIPTIONS = "Prescription"
ALLERGIES = "PatientAllergy"
MEDICATIONS = "Medication"
DRUG_INTERACTIONS = "DrugInteraction"
DOCUMENTS = "Document"
CERTIFICATE_TEMPLATES = "CertificateTemplate"
HOSPITALISATION_REPORTS = "HospitalisationReport"
HOSPITAL_SETTINGS = "HospitalSettings"
ACCESS_LOG = "AccessLog"
ROLE_MATRIX_SCREEN = "RoleMatrix"
JOBS = "BackgroundJob"  # the job queue's screen: administrators only
ALERTS = "Alert"  # alerts from the audit stream: administrators only
ALERT_RULES = "AlertRule"
DELEGATIONS = "Delegation"  # granting and revoking: administrators; the list: auditors too
CONSULTATIONS = "Consultation"  # with their diagnoses and addenda
PROBLEMS = "PatientProblem"  # problem list and past history
OBSERVATIONS = "Observation"  # vital signs
# Nursing care, the medication administration record, vaccinations (app/care).
CARE_TASKS = "CareTask"  # planning care tasks
CARE_CHECKS = "CareTaskCheck"  # checking them off
ADMINISTRATIONS = "MedicationAdministration"
VACCINATIONS = "Vaccination"
VACCINES = "Vaccine"  # the vaccine reference
VACCINATION_SCHEDULE = "VaccinationSchedule"  # the calendar

# Menu entries of each resource; a role that may read the resource sees them.
AUDIT_LOG_MENU = "Audit log"
AUDIT_STATS_MENU = "Audit statistics"
DELETED_PATIENTS_MENU = "Deleted patients"
SECURITY_LOG_MENU = "Security log"
CALENDAR_MENU = "Calendar"
DAY_MENU = "Day by doctor"
FIND_SLOT_MENU = "Find a slot"
APPOINTMENTS_MENU = "Appointments"
TO_REBOOK_MENU = "To be rebooked"
PRESCRIPTIONS_MENU = "Prescriptions"
RENEWALS_DUE_MENU = "Renewals due"
DOCUMENTS_MENU = "Documents"
ACCESS_LOG_MENU = "Journal of reads"
BREAK_GLASS_REVIEWS_MENU = "Break-the-glass reviews"
JOBS_MENU = "Background jobs"
ALERTS_MENU = "Alert history"
ALERT_RULES_MENU = "Alert settings"
DELEGATIONS_MENU = "Delegations"
CONSULTATIONS_MENU = "Consultations"
CARE_WORKLIST_MENU = "Care worklist"
MAR_MENU = "Medication rounds"
VACCINATIONS_MENU = "Vaccinations"
VACCINES_MENU = "Vaccines"
VACCINATION_SCHEDULE_MENU = "Vaccination calendar"
MENU_ITEMS: dict[str, tuple[str, ...]] = {
    PATIENTS: ("Patients",),
    STAFF: ("Staff",),
    ROOMS: ("Rooms",),
    AUDIT: (AUDIT_LOG_MENU, AUDIT_STATS_MENU, DELETED_PATIENTS_MENU, SECURITY_LOG_MENU),
    APPOINTMENTS: (CALENDAR_MENU, DAY_MENU, FIND_SLOT_MENU, APPOINTMENTS_MENU, TO_REBOOK_MENU),
    SCHEDULES: ("Working hours",),
    ABSENCES: ("Absences",),
    APPOINTMENT_TYPES: ("Appointment types",),
    PRESCRIPTIONS: (PRESCRIPTIONS_MENU, RENEWALS_DUE_MENU),
    ALLERGIES: (),  # reached from the patient's page
    MEDICATIONS: ("Medications",),
    DRUG_INTERACTIONS: ("Drug interactions",),
    DOCUMENTS: (DOCUMENTS_MENU,),
    CERTIFICATE_TEMPLATES: ("Certificate templates",),
    HOSPITALISATION_REPORTS: ("Hospitalisation reports",),
    HOSPITAL_SETTINGS: ("Hospital settings",),
    ACCESS_LOG: (ACCESS_LOG_MENU, BREAK_GLASS_REVIEWS_MENU),
    ROLE_MATRIX_SCREEN: ("Permissions matrix",),
    JOBS: (JOBS_MENU,),
    ALERTS: (ALERTS_MENU,),
    ALERT_RULES: (ALERT_RULES_MENU,),
    DELEGATIONS: (DELEGATIONS_MENU,),
    CONSULTATIONS: (CONSULTATIONS_MENU,),
    PROBLEMS: (),  # reached from the patient's page
    OBSERVATIONS: (),  # reached from the patient's page
    CARE_TASKS: (CARE_WORKLIST_MENU,),
    CARE_CHECKS: (),  # on the worklist
    ADMINISTRATIONS: (MAR_MENU,),
    VACCINATIONS: (VACCINATIONS_MENU,),
    VACCINES: (VACCINES_MENU,),
    VACCINATION_SCHEDULE: (VACCINATION_SCHEDULE_MENU,),
}

ADMIN_ROLE = "Admin"

# Admin is not listed: it holds every permission that exists.
ROLE_MATRIX: dict[str, dict[str, tuple[str, ...]]] = {
    # Doctors write their OWN agenda only (appointments, hours, absences):
    # app/agenda/access.py narrows the write permission to rows
    # whose doctor is the signed-in doctor.
    # Doctors also read a patient's history of changes (HISTORY on the
    # audit: that patient's page only, not the whole log).
    "Doctor": {
        PATIENTS: RW,
        STAFF: R,
        ROOMS: R,
        APPOINTMENTS: RW,
        SCHEDULES: RW,
        ABSENCES: RW,
        APPOINTMENT_TYPES: R,
        AUDIT: (HISTORY,),
    },
    # Nurses write the patient's care fields only (FIELD_MATRIX below).
    "Nurse": {PATIENTS: RW, APPOINTMENTS: R, SCHEDULES: R, ABSENCES: R, APPOINTMENT_TYPES: R},
    # Full appointment management (cancelling, not deleting: deletion is
    # an administrator's), and doctors' hours and absences.
    "Secretary": {
        PATIENTS: RW,
        STAFF: R,
        ROOMS: R,
        APPOINTMENTS: RW,
        SCHEDULES: RW,
        ABSENCES: RW,
        APPOINTMENT_TYPES: R,
    },
    "Radiologist": {PATIENTS: R, APPOINTMENTS: RW, SCHEDULES: RW, ABSENCES: RW, APPOINTMENT_TYPES: R},
    # Compliance: reads the whole audit (screens, statistics, exports, API)
    # and the journal of reads, changes nothing and restores nothing.
    # They also list the delegations (who could act as what, and for whom).
    "Auditor": {AUDIT: (READ, HISTORY), ACCESS_LOG: R, DELEGATIONS: R},
}

# Prescribing, merged into the rows above.  Doctors write prescriptions
# (only their own: app/prescribing/access.py), nurses and
# radiologists read them, secretaries and auditors see none of it.  Whoever
# sees the patient records allergies (radiologists: contrast reactions).  The
# drug reference is written by administrators (the pharmacy's files), read
# by those who prescribe or give medicines.
PRESCRIBING_GRANTS: dict[str, dict[str, tuple[str, ...]]] = {
    "Doctor": {PRESCRIPTIONS: RW, ALLERGIES: RW, MEDICATIONS: R, DRUG_INTERACTIONS: R},
    "Nurse": {PRESCRIPTIONS: R, ALLERGIES: RW, MEDICATIONS: R, DRUG_INTERACTIONS: R},
    "Radiologist": {PRESCRIPTIONS: R, ALLERGIES: RW, MEDICATIONS: R, DRUG_INTERACTIONS: R},
}

# Documents, merged likewise.  WRITE on Document is issuing one; which kinds
# each role issues and reads is narrowed by app/documents/access.py.
# Certificate texts and the letterhead are administrators' (Admin holds
# every permission); doctors read the templates they issue from.
# Hospitalisation reports are written by doctors, read by nurses who act
# on the discharge letter.
DOCUMENT_GRANTS: dict[str, dict[str, tuple[str, ...]]] = {
    "Doctor": {DOCUMENTS: RW, CERTIFICATE_TEMPLATES: R, HOSPITALISATION_REPORTS: RW},
    "Nurse": {DOCUMENTS: RW, HOSPITALISATION_REPORTS: R},
    # Secretaries: administrative documents only, never clinical ones (issue 18).
    "Secretary": {DOCUMENTS: RW},
    "Radiologist": {DOCUMENTS: RW},
    "Auditor": {DOCUMENTS: RW},
}
# The clinical record (app/clinical), merged likewise.  Doctors write
# consultations (their own: app/clinical/access.py), diagnoses, problems and
# observations; nurses record observations and read the rest; radiologists
# read the problem list and the observations (renal failure, diabetes,
# weight before contrast or a dose of radiation), not the consultations'
# free text.  Secretaries and auditors see none of it.
CLINICAL_GRANTS: dict[str, dict[str, tuple[str, ...]]] = {
    "Doctor": {CONSULTATIONS: RW, PROBLEMS: RW, OBSERVATIONS: RW},
    "Nurse": {CONSULTATIONS: R, PROBLEMS: R, OBSERVATIONS: RW},
    "Radiologist": {PROBLEMS: R, OBSERVATIONS: R},
}
# Care (app/care), merged likewise.  Nurses plan and check off care tasks,
# record the doses they give (or why not) and vaccinations; doctors plan
# care tasks, see what was given of their prescriptions and record
# vaccinations.  Secretaries, radiologists and auditors see none of it: a
# due vaccination is clinical data too (its reminder goes to the patient by
# the job queue; administrators see the queue).  The vaccine reference and
# the calendar are the administrators' to write.
CARE_GRANTS: dict[str, dict[str, tuple[str, ...]]] = {
    "Doctor": {
        CARE_TASKS: RW,
        CARE_CHECKS: R,
        ADMINISTRATIONS: R,
        VACCINATIONS: RW,
        VACCINES: R,
        VACCINATION_SCHEDULE: R,
    },
    "Nurse": {
        CARE_TASKS: RW,
        CARE_CHECKS: RW,
        ADMINISTRATIONS: RW,
        VACCINATIONS: RW,
        VACCINES: R,
        VACCINATION_SCHEDULE: R,
    },
}
for _grants_by_role in (PRESCRIBING_GRANTS, DOCUMENT_GRANTS, CLINICAL_GRANTS, CARE_GRANTS):
    for _role, _grants in _grants_by_role.items():
        ROLE_MATRIX[_role] = {**ROLE_MATRIX[_role], **_grants}

# What every signed-in user may do with their own account.
SELF_SERVICE = (
    ("can_userinfo", "UserDBModelView"),
    ("resetmypassword", "UserDBModelView"),
    ("can_this_form_get", "ResetMyPasswordView"),
    ("can_this_form_post", "ResetMyPasswordView"),
    ("can_this_form_get", "UserInfoEditView"),
    ("can_this_form_post", "UserInfoEditView"),
)

# Menu entries follow from the matrix: a resource readable by a role shows in
# its menu, under its category.
RECORDS_MENU = "Records"
AUDIT_MENU = "Audit"
AGENDA_MENU = "Agenda"
PRESCRIBING_MENU = "Prescribing"
DOCUMENTS_CATEGORY = "Documents"
SETTINGS_MENU = "Settings"
ALERTS_CATEGORY = "Alerts"
CLINICAL_MENU = "Clinical"
CARE_MENU = CLINICAL_MENU  # one menu for the record and the care: the top bar stays one row at 1366 px
MENU_CATEGORIES = {
    PATIENTS: RECORDS_MENU,
    STAFF: RECORDS_MENU,
    ROOMS: RECORDS_MENU,
    AUDIT: AUDIT_MENU,
    APPOINTMENTS: AGENDA_MENU,
    SCHEDULES: AGENDA_MENU,
    ABSENCES: AGENDA_MENU,
    APPOINTMENT_TYPES: AGENDA_MENU,
    PRESCRIPTIONS: PRESCRIBING_MENU,
    MEDICATIONS: PRESCRIBING_MENU,
    DRUG_INTERACTIONS: PRESCRIBING_MENU,
    DOCUMENTS: DOCUMENTS_CATEGORY,
    CERTIFICATE_TEMPLATES: DOCUMENTS_CATEGORY,
    HOSPITALISATION_REPORTS: DOCUMENTS_CATEGORY,
    HOSPITAL_SETTINGS: SETTINGS_MENU,
    ACCESS_LOG: AUDIT_MENU,
    ROLE_MATRIX_SCREEN: SETTINGS_MENU,
    JOBS: SETTINGS_MENU,
    ALERTS: ALERTS_CATEGORY,
    ALERT_RULES: ALERTS_CATEGORY,
    DELEGATIONS: SETTINGS_MENU,
    CONSULTATIONS: CLINICAL_MENU,
    CARE_TASKS: CARE_MENU,
    ADMINISTRATIONS: CARE_MENU,
    VACCINATIONS: CARE_MENU,
    VACCINES: CARE_MENU,
    VACCINATION_SCHEDULE: CARE_MENU,
}

# Field by field: each domain's fields in groups, and what each role may do
# with each group (Admin: everything).  The domain's rules apply it at every
# door (app/security/policy.py: readable_fields, writable_fields): a field a
# role may not read is absent from lists, pages, forms, API answers,
# filters, exports and documents; one it may not write cannot be posted.
# The record's own bookkeeping (id, version, created_at, updated_at) goes
# with the right to read the record.
FIELD_GROUPS: dict[str, dict[str, tuple[str, ...]]] = {
    PATIENTS: {
        # The status (active, inactive, deceased and the date of death) is part of
        # who the patient is: every role that reads the record must see it.
        "identity": ("mrn", "last_name", "first_name", "birth_name", "birth_date", "sex", "status", "deceased_on"),
        "contact": (
            "phone",
            "email",
            "address",
            "postal_code",
            "city",
            "emergency_contact_name",
            "emergency_contact_phone",
        ),
        "administrative": ("nir",),  # administrative and insurance: the social security number
        "medical": ("blood_group", "allergies", "notes"),
    },
}
RECORD_KEEPING_FIELDS = ("id", "version", "created_at", "updated_at")

FIELD_MATRIX: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    PATIENTS: {
        "Doctor": {"identity": RW, "contact": RW, "administrative": RW, "medical": RW},
        # Care: reads the record, writes the care fields (allergies, notes).
        "Nurse": {"identity": R, "contact": R, "administrative": R, "medical": RW},
        # Reception: identity, contact and administrative data, never medical.
        "Secretary": {"identity": RW, "contact": RW, "administrative": RW},
        # Imaging: who the patient is and what matters before contrast.
        "Radiologist": {"identity": R, "medical": R},
        # Compliance: whose record it is, in the audit and the journal of reads.
        "Auditor": {"identity": R, "administrative": R},
    },
}

# Break-the-glass (issue 18, app/security/glass.py): while a grant is
# active, its holder reads ONE patient's whole record the way a doctor
# does, and writes nothing more than before.  Not a role anyone holds: the
# policy adds it to the actor for the requests about that patient only, and
# `Actor.of` drops a role of this name should one be made by hand.
BREAK_GLASS_ROLE = "Break-the-glass (reading)"
BREAK_GLASS_GRANTS: dict[str, tuple[str, ...]] = {
    resource: R
    for resource in (
        PATIENTS,
        PRESCRIPTIONS,
        ALLERGIES,
        DOCUMENTS,
        HOSPITALISATION_REPORTS,
        CONSULTATIONS,
        PROBLEMS,
        OBSERVATIONS,
        CARE_TASKS,
        ADMINISTRATIONS,
        VACCINATIONS,
    )
    if READ in ROLE_MATRIX["Doctor"].get(resource, ())
}
BREAK_GLASS_FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    resource: {group: R for group in groups} for resource, groups in FIELD_GROUPS.items()
}
# Who may break the glass: those whose work brings them to patients (they
# read patient records) but whose role hides part of a record.  Not the
# auditors, who review the grants (no one reviews their own), nor a role
# without any access to patients.
BREAK_GLASS_ROLES = ("Doctor", "Nurse", "Secretary", "Radiologist")
