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
from app.models.hospital import HospitalSettings
from app.models.patient import BLOOD_GROUPS, SEXES, Patient
from app.models.room import ROOM_KINDS, Room
from app.models.staff import PROFESSIONS, Staff

metadata = Model.metadata

__all__ = [
    "BLOOD_GROUPS",
    "PROFESSIONS",
    "ROOM_KINDS",
    "SEXES",
    "STATUSES",
    "WEEKDAYS",
    "Appointment",
    "AppointmentType",
    "CalendarFeed",
    "DoctorAbsence",
    "DoctorSchedule",
    "HospitalSettings",
    "Patient",
    "Room",
    "Staff",
    "metadata",
]
