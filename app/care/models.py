"""Nursing care, the medication administration record (MAR) and vaccinations.

The rules live in the database (sql/versions/0095_care.py and
triggers/0095/): a dose is recorded once per planned slot and never given
twice within its window (unique key and exclusion constraint), refused and
held doses carry a reason, a check-off names an occurrence its task plans,
and neither is ever changed.  These models only map the tables.
"""

from datetime import date, datetime

from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
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
    SmallInteger,
    String,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSTZRANGE, Range
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates
from sqlalchemy.types import Text

from app.core.models import Timestamped, Versioned
from app.core.normalize import clean_text
from app.prescribing.models import PrescriptionItem
from app.records.models import Patient

# What a vaccine protects against (the migration's CHECK holds the same list).
DISEASES = {
    "diphtheria": _l("Diphtheria"),
    "tetanus": _l("Tetanus"),
    "pertussis": _l("Pertussis"),
    "polio": _l("Poliomyelitis"),
    "hib": _l("Haemophilus influenzae b"),
    "hepatitis_a": _l("Hepatitis A"),
    "hepatitis_b": _l("Hepatitis B"),
    "pneumococcus": _l("Pneumococcus"),
    "meningococcus_b": _l("Meningococcus B"),
    "meningococcus_c": _l("Meningococcus C"),
    "meningococcus_acwy": _l("Meningococcus ACWY"),
    "measles": _l("Measles"),
    "mumps": _l("Mumps"),
    "rubella": _l("Rubella"),
    "varicella": _l("Varicella"),
    "hpv": _l("Human papillomavirus"),
    "influenza": _l("Influenza"),
    "zoster": _l("Shingles (zoster)"),
    "covid19": _l("COVID-19"),
    "rotavirus": _l("Rotavirus"),
    "rsv": _l("Respiratory syncytial virus"),
    "tuberculosis": _l("Tuberculosis (BCG)"),
    "yellow_fever": _l("Yellow fever"),
    "typhoid": _l("Typhoid"),
    "rabies": _l("Rabies"),
}
SITES = {
    "left_deltoid": _l("Left deltoid"),
    "right_deltoid": _l("Right deltoid"),
    "left_thigh": _l("Left thigh"),
    "right_thigh": _l("Right thigh"),
    "oral": _l("Oral"),
    "intranasal": _l("Intranasal"),
    "other": _l("Other"),
}
ADMINISTRATION_STATUSES = {"given": _l("Given"), "refused": _l("Refused"), "held": _l("Held")}
CARE_TASK_STATUSES = {"active": _l("Active"), "stopped": _l("Stopped")}


class Vaccine(Versioned, Timestamped, Model):
    __tablename__ = "vaccines"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    diseases: Mapped[list[str]] = mapped_column(ARRAY(Text))
    manufacturer: Mapped[str | None] = mapped_column(String(100))
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=FetchedValue())

    @validates("code")
    def _upper_code(self, _key, value):
        value = clean_text(value)
        return value.upper() if value else value

    @validates("name", "manufacturer")
    def _clean_text(self, _key, value):
        return clean_text(value)

    @property
    def diseases_text(self) -> str:
        return ", ".join(str(DISEASES.get(d, d)) for d in self.diseases or ())

    def __repr__(self) -> str:
        return f"{self.name} [{self.code}]"


class VaccinationStep(Versioned, Timestamped, Model):
    """One step of the calendar: a dose against `disease` due at an age,
    recommended until an age, possibly repeated (a booster every N months)."""

    __tablename__ = "vaccination_schedule"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    disease: Mapped[str] = mapped_column(String(30))
    label: Mapped[str] = mapped_column(String(200))
    due_age_months: Mapped[int] = mapped_column(Integer)
    until_age_months: Mapped[int | None] = mapped_column(Integer)
    repeat_every_months: Mapped[int | None] = mapped_column(Integer)
    tolerance_months: Mapped[int] = mapped_column(Integer, server_default=FetchedValue())
    overdue_after_months: Mapped[int] = mapped_column(Integer, server_default=FetchedValue())
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=FetchedValue())

    @validates("label")
    def _clean_text(self, _key, value):
        return clean_text(value)

    def __repr__(self) -> str:
        return self.label


class Vaccination(Versioned, Timestamped, Model):
    __tablename__ = "vaccinations"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    patient_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("patients.id", ondelete="CASCADE"))
    patient: Mapped[Patient] = relationship(Patient)
    vaccine_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("vaccines.id"))
    vaccine: Mapped[Vaccine] = relationship(Vaccine)
    dose_number: Mapped[int] = mapped_column(SmallInteger, server_default=FetchedValue())
    given_on: Mapped[date] = mapped_column(Date)
    lot_number: Mapped[str] = mapped_column(String(40))
    site: Mapped[str] = mapped_column(String(20))
    given_by_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    given_by: Mapped[User | None] = relationship(User)
    notes: Mapped[str | None] = mapped_column(String(500))

    @validates("lot_number", "notes")
    def _clean_text(self, _key, value):
        return clean_text(value)

    def __repr__(self) -> str:
        return f"Vaccination {self.id}"


class VaccinationReminder(Model):
    __tablename__ = "vaccination_reminders"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    patient_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("patients.id", ondelete="CASCADE"))
    schedule_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("vaccination_schedule.id", ondelete="CASCADE"))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), server_default=FetchedValue())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=FetchedValue())
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CareTask(Versioned, Timestamped, Model):
    __tablename__ = "care_tasks"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    patient_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("patients.id", ondelete="CASCADE"))
    patient: Mapped[Patient] = relationship(Patient)
    prescription_item_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("prescription_items.id"))
    prescription_item: Mapped[PrescriptionItem | None] = relationship(PrescriptionItem)
    description: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    every_hours: Mapped[int | None] = mapped_column(SmallInteger)
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(10), server_default=FetchedValue())
    planned_by_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    planned_by: Mapped[User | None] = relationship(User)

    @validates("description")
    def _clean_text(self, _key, value):
        return clean_text(value)

    @property
    def how_often(self) -> str:
        return f"every {self.every_hours} h" if self.every_hours else "once"

    def __repr__(self) -> str:
        return self.description


class CareTaskCheck(Model):
    __tablename__ = "care_task_checks"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    care_task_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("care_tasks.id", ondelete="CASCADE"))
    care_task: Mapped[CareTask] = relationship(CareTask)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    done_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=FetchedValue())
    done_by_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    done_by: Mapped[User | None] = relationship(User)
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=FetchedValue())


class MedicationAdministration(Model):
    __tablename__ = "medication_administrations"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    patient_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("patients.id", ondelete="CASCADE"))
    patient: Mapped[Patient] = relationship(Patient)
    prescription_item_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("prescription_items.id"))
    prescription_item: Mapped[PrescriptionItem] = relationship(PrescriptionItem)
    planned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    dose_window: Mapped[Range[datetime]] = mapped_column(TSTZRANGE)
    status: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(String(500))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=FetchedValue())
    recorded_by_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    recorded_by: Mapped[User | None] = relationship(User)
    note: Mapped[str | None] = mapped_column(String(500))

    @validates("reason", "note")
    def _clean_text(self, _key, value):
        return clean_text(value)

    @property
    def status_label(self) -> str:
        return ADMINISTRATION_STATUSES.get(self.status, self.status)
