"""The role matrix as people read it: the admin's grid (/security/matrix/)
and README's tables are both generated here from app/security/roles.py, so
neither can drift from what the code enforces (a test compares README)."""

from app.security.permissions import DELETE, HISTORY, READ, RESTORE, WRITE
from app.security.roles import (
    ABSENCES,
    ACCESS_LOG,
    ADMIN_ROLE,
    ADMINISTRATIONS,
    ALLERGIES,
    APPOINTMENT_TYPES,
    APPOINTMENTS,
    AUDIT,
    CARE_CHECKS,
    CARE_TASKS,
    CERTIFICATE_TEMPLATES,
    CONSULTATIONS,
    DELEGATIONS,
    DOCUMENTS,
    DRUG_INTERACTIONS,
    FIELD_GROUPS,
    FIELD_MATRIX,
    HOSPITAL_SETTINGS,
    HOSPITALISATION_REPORTS,
    MEDICATIONS,
    OBSERVATIONS,
    PATIENTS,
    PRESCRIPTIONS,
    PROBLEMS,
    ROLE_MATRIX,
    ROOMS,
    SCHEDULES,
    STAFF,
    VACCINATION_SCHEDULE,
    VACCINATIONS,
    VACCINES,
)

ROLES = (ADMIN_ROLE, "Doctor", "Nurse", "Secretary", "Radiologist", "Auditor")
RESOURCES = {
    PATIENTS: "Patients",
    STAFF: "Staff",
    ROOMS: "Rooms",
    APPOINTMENTS: "Appointments",
    SCHEDULES: "Working hours",
    ABSENCES: "Absences",
    APPOINTMENT_TYPES: "Appointment types",
    PRESCRIPTIONS: "Prescriptions",
    ALLERGIES: "Allergies",
    MEDICATIONS: "Medications",
    DRUG_INTERACTIONS: "Drug interactions",
    DOCUMENTS: "Documents",
    CERTIFICATE_TEMPLATES: "Certificate templates",
    HOSPITALISATION_REPORTS: "Hospitalisation reports",
    CONSULTATIONS: "Consultations",
    PROBLEMS: "Problems and history",
    OBSERVATIONS: "Vital signs",
    HOSPITAL_SETTINGS: "Hospital settings",
    AUDIT: "Audit",
    ACCESS_LOG: "Journal of reads",
    DELEGATIONS: "Delegations",
    CARE_TASKS: "Care tasks",
    CARE_CHECKS: "Care checks",
    ADMINISTRATIONS: "Administrations",
    VACCINATIONS: "Vaccinations",
    VACCINES: "Vaccines",
    VACCINATION_SCHEDULE: "Vaccination calendar",
}
ACTION_WORDS = {READ: "read", WRITE: "write", DELETE: "delete", HISTORY: "history", RESTORE: "restore"}
NONE = "-"


def action_cell(role: str, resource: str) -> str:
    if role == ADMIN_ROLE:
        return "everything"
    actions = ROLE_MATRIX.get(role, {}).get(resource, ())
    return ", ".join(ACTION_WORDS[action] for action in actions) or NONE


def field_cell(role: str, resource: str, group: str) -> str:
    if role == ADMIN_ROLE:
        return "read, write"
    actions = FIELD_MATRIX[resource].get(role, {}).get(group, ())
    return ", ".join(ACTION_WORDS[action] for action in actions) or NONE


def action_grid() -> tuple[list[str], list[list[str]]]:
    """(header, rows): one row per role, one column per resource."""
    header = ["role", *RESOURCES.values()]
    return header, [[role, *(action_cell(role, resource) for resource in RESOURCES)] for role in ROLES]


def field_grid(resource: str = PATIENTS) -> tuple[list[str], list[list[str]]]:
    """(header, rows): one row per role, one column per group of `resource`'s fields."""
    groups = FIELD_GROUPS[resource]
    header = ["role", *(f"{group} ({', '.join(fields)})" for group, fields in groups.items())]
    return header, [[role, *(field_cell(role, resource, group) for group in groups)] for role in ROLES]


def _markdown(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def matrix_markdown() -> str:
    """README's generated tables (between the `role-matrix` markers)."""
    return (
        _markdown(*action_grid())
        + "\n\nPatients, field by field (a group a role may not read is absent from every door):\n\n"
        + _markdown(*field_grid(PATIENTS))
        + "\n"
    )
