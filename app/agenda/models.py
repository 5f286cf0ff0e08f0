"""Appointments, doctors' weekly schedules, absences and appointment types.

The rules live in the database (sql/versions/0007_appointments.py): no
overlapping active bookings per doctor, room or patient (exclusion
constraints), working hours and absences (constraint trigger), status
transitions and the end time (trigger).  These models only map the tables.
"""

from datetime import date, datetime, time

from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    FetchedValue,
    ForeignKey,
    Identity,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    Time,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.core.formatting import day_name
from app.core.models import MAX_LENGTH, Timestamped, Versioned
from app.core.normalize import clean_text
from app.records.models import Patient, Room, Staff

# ISO days of the week, as stored in doctor_schedule.day_of_week.
# Their names come from Babel's locale data, in the user's language (Lundi, Monday).
WEEKDAYS = {day: LazyString(day_name, day) for day in range(1, 8)}

STATUSES = {
    "scheduled": _l("Scheduled"),
    "confirmed": _l("Confirmed"),
    "arrived": _l("Arrived"),
    "completed": _l("Completed"),
    "cancelled": _l("Cancelled"),
    "no_show": _l("No-show"),
    "postponed": _l("Postponed"),
}


def status_label(status: str):
    """A status's name in the user's language (the status itself if unknown)."""
    return STATUSES.get(status, status)


# Statuses that no longer hold the slot (the exclusion constraints skip them).
INACTIVE_STATUSES = ("cancelled", "postponed", "no_show")
# What each status may become (the database trigger appointments_check_row holds the same table).
TRANSITIONS = {
    "scheduled": ("confirmed", "arrived", "cancelled", "no_show", "postponed"),
    "confirmed": ("scheduled", "arrived", "cancelled", "no_show", "postponed"),
    "arrived": ("completed",),
    "no_show": ("scheduled", "confirmed", "arrived"),
    "completed": (),
    "cancelled": (),
    "postponed": (),
}


class DoctorSchedule(Versioned, Timestamped, Model):
    __tablename__ = "doctor_schedule"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    doctor_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("staff.id", ondelete="CASCADE"))
    doctor: Mapped[Staff] = relationship(Staff)
    day_of_week: Mapped[int] = mapped_column(SmallInteger)
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)

    @property
    def day_name(self) -> str:
        return WEEKDAYS.get(self.day_of_week, "?")

    def __repr__(self) -> str:
        return f"{self.day_name} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class DoctorAbsence(Versioned, Timestamped, Model):
    __tablename__ = "doctor_absence"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    doctor_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("staff.id", ondelete="CASCADE"))
    doctor: Mapped[Staff] = relationship(Staff)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(String(200))
    # Not a column: what the user decided for the appointments this absence
    # covers ({appointment id: ("keep", reason) or ("rebook", None)}), read by
    # the absence's rules (app/agenda/absences.py) when it is saved.
    decisions = None

    @validates("reason")
    def _clean_reason(self, _key, value):
        return clean_text(value)


class AppointmentType(Versioned, Timestamped, Model):
    __tablename__ = "appointment_types"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    default_duration_minutes: Mapped[int] = mapped_column(Integer)
    is_emergency: Mapped[bool] = mapped_column(Boolean, server_default=FetchedValue())
    requires_room: Mapped[bool] = mapped_column(Boolean, server_default=FetchedValue())
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=FetchedValue())

    @validates("name")
    def _clean_name(self, _key, value):
        return clean_text(value)

    def __repr__(self) -> str:
        return self.name


class Appointment(Versioned, Timestamped, Model):
    __tablename__ = "appointments"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    patient_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("patients.id", ondelete="CASCADE"))
    patient: Mapped[Patient] = relationship(Patient)
    doctor_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("staff.id"))
    doctor: Mapped[Staff] = relationship(Staff)
    room_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("rooms.id"))
    room: Mapped[Room | None] = relationship(Room)
    type_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("appointment_types.id"))
    type: Mapped[AppointmentType] = relationship(AppointmentType)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    # Kept by the database (starts_at + duration), read back after each write.
    ends_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=FetchedValue(), server_onupdate=FetchedValue()
    )
    status: Mapped[str] = mapped_column(String(20), server_default=FetchedValue())
    notes: Mapped[str | None] = mapped_column(Text, info={MAX_LENGTH: 2000})
    cancellation_reason: Mapped[str | None] = mapped_column(String(500))
    override_reason: Mapped[str | None] = mapped_column(String(500))
    postponed_to_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("appointments.id"))
    # An absence covers it: to be rebooked, or kept anyway and why (migration 0042).
    needs_rebooking: Mapped[bool] = mapped_column(Boolean, server_default=FetchedValue())
    absence_exception_reason: Mapped[str | None] = mapped_column(String(500))
    booked_by_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    booked_by: Mapped[User | None] = relationship(User, foreign_keys=[booked_by_id])
    # The waiting patient called in: when and by whom (migration 0116; the
    # database allows it only while arrived, on the appointment's day).
    called_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    called_by_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    called_by: Mapped[User | None] = relationship(User, foreign_keys=[called_by_id])

    @validates("cancellation_reason", "override_reason", "absence_exception_reason")
    def _clean_reason(self, _key, value):
        return clean_text(value)

    @property
    def is_active(self) -> bool:
        return self.status not in INACTIVE_STATUSES

    @property
    def status_label(self) -> str:
        return status_label(self.status)

    def __repr__(self) -> str:
        return f"Appointment {self.id}"


class CalendarFeed(Model):
    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    doctor_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("staff.id", ondelete="CASCADE"))
    doctor: Mapped[Staff] = relationship(Staff)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=FetchedValue())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
