"""All mapped tables; importing this package registers them on FAB's metadata."""

from flask_appbuilder import Model

from app.models.appointment import (
    STATUSES,
    WEEKDAYS,
    Appointment,
    AppointmentType,
    CalendarFeed,
    DoctorAbsence,
    DoctorSchedule,
)
from app.models.document import (
    DOCUMENT_KINDS,
    CertificateTemplate,
    Document,
    DocumentAccess,
    HospitalisationReport,
)
from app.models.hospital import HospitalSettings
from app.models.medication import SEVERITIES, DrugInteraction, Medication
from app.models.patient import BLOOD_GROUPS, SEXES, Patient
from app.models.prescription import PRESCRIPTION_STATUSES, PatientAllergy, Prescription, PrescriptionItem
from app.models.room import ROOM_KINDS, Room
from app.models.staff import PROFESSIONS, Staff

metadata = Model.metadata

__all__ = [
    "BLOOD_GROUPS",
    "DOCUMENT_KINDS",
    "PRESCRIPTION_STATUSES",
    "PROFESSIONS",
    "ROOM_KINDS",
    "SEVERITIES",
    "SEXES",
    "STATUSES",
    "WEEKDAYS",
    "Appointment",
    "AppointmentType",
    "CalendarFeed",
    "CertificateTemplate",
    "DoctorAbsence",
    "DoctorSchedule",
    "Document",
    "DocumentAccess",
    "DrugInteraction",
    "HospitalSettings",
    "HospitalisationReport",
    "Medication",
    "Patient",
    "PatientAllergy",
    "Prescription",
    "PrescriptionItem",
    "Room",
    "Staff",
    "metadata",
]
