"""The clinical record's tables (sql/versions/0091_clinical_record.py):
consultations with their addenda and ICD-10 diagnoses, the problem list and
history, and observations (vital signs).

The database holds the rules (a signed consultation never changes, the
bounds and unit of each observation, the abnormal flag); OBSERVATION_KINDS
repeats the units and ranges for forms, charts and messages, and a test
checks that it agrees with SQL.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, Boolean, Date, DateTime, FetchedValue, ForeignKey, Identity, Integer, Numeric, String
from sqlalchemy import Text as SqlText
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.core.models import MAX_LENGTH, Versioned
from app.core.msgids import N_
from app.core.normalize import clean_text
from app.records.models import Patient, Staff

CONSULTATION_STATUSES = {"draft": _l("Draft"), "signed": _l("Signed")}
CONSULTATION_TEXTS = ("reason", "history", "examination", "conclusion", "plan")
DIAGNOSIS_RANKS = {"principal": _l("Principal"), "secondary": _l("Secondary")}
PROBLEM_CATEGORIES = {
    "problem": _l("Problem"),
    "medical_history": _l("Past medical history"),
    "surgical_history": _l("Past surgical history"),
    "family_history": _l("Family history"),
}
PROBLEM_STATUSES = {"active": _l("Active"), "resolved": _l("Resolved")}


@dataclass(frozen=True)
class ObservationKind:
    label: str
    unit: str
    lowest: Decimal  # physiological bounds: the database refuses beyond them
    highest: Decimal
    normal_low: Decimal | None = None  # the abnormal flag's range (None: no flag)
    normal_high: Decimal | None = None


def _d(value) -> Decimal:
    return Decimal(str(value))


# Same as observation_unit(), observation_is_abnormal() and the
# observations_<kind>_bounds CHECKs of migration 0091.
OBSERVATION_KINDS: dict[str, ObservationKind] = {
    "temperature": ObservationKind(N_("Temperature"), "°C", _d(25), _d(45), _d(36), _d(38)),
    "pulse": ObservationKind(N_("Pulse"), "/min", _d(20), _d(250), _d(50), _d(100)),
    "blood_pressure": ObservationKind(N_("Blood pressure"), "mmHg", _d(40), _d(300), _d(90), _d(140)),
    "respiratory_rate": ObservationKind(N_("Respiratory rate"), "/min", _d(4), _d(80), _d(12), _d(20)),
    "spo2": ObservationKind(N_("SpO2"), "%", _d(50), _d(100), _d(94), None),
    "weight": ObservationKind(N_("Weight"), "kg", _d("0.3"), _d(400)),
    "height": ObservationKind(N_("Height"), "cm", _d(20), _d(250)),
    "pain_score": ObservationKind(N_("Pain score"), "/10", _d(0), _d(10), None, _d(3)),
    "glycaemia": ObservationKind(N_("Glycaemia"), "g/L", _d("0.1"), _d(10), _d("0.7"), _d("1.8")),
}
DIASTOLIC_BOUNDS = (_d(20), _d(200))
DIASTOLIC_NORMAL = (_d(60), _d(90))


def trimmed(value: str | None) -> str | None:
    """Free clinical text keeps its lines; only the ends are trimmed, empty is None."""
    if value is None:
        return None
    return str(value).strip() or None


class Consultation(Versioned, Model):
    __tablename__ = "consultations"
    __mapper_args__ = {"eager_defaults": True}

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    patient_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("patients.id"))
    patient: Mapped[Patient] = relationship(Patient)
    clinician_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("staff.id"))
    clinician: Mapped[Staff] = relationship(Staff)
    appointment_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("appointments.id"), unique=True)
    status: Mapped[str] = mapped_column(String(10), server_default=FetchedValue())
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=FetchedValue())
    reason: Mapped[str | None] = mapped_column(SqlText, info={MAX_LENGTH: 2000})
    history: Mapped[str | None] = mapped_column(SqlText, info={MAX_LENGTH: 20000})
    examination: Mapped[str | None] = mapped_column(SqlText, info={MAX_LENGTH: 20000})
    conclusion: Mapped[str | None] = mapped_column(SqlText, info={MAX_LENGTH: 20000})
    plan: Mapped[str | None] = mapped_column(SqlText, info={MAX_LENGTH: 20000})
    signed_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), server_default=FetchedValue(), server_onupdate=FetchedValue()
    )
    signed_by_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("ab_user.id"))
    signed_by: Mapped[User | None] = relationship(User)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=FetchedValue())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=FetchedValue(), server_onupdate=FetchedValue()
    )

    diagnoses: Mapped[list["ConsultationDiagnosis"]] = relationship(
        back_populates="consultation", cascade="all, delete-orphan", order_by="ConsultationDiagnosis.id"
    )
    addenda: Mapped[list["ConsultationAddendum"]] = relationship(
        back_populates="consultation", order_by="ConsultationAddendum.id"
    )

    @validates(*CONSULTATION_TEXTS)
    def _clean_text(self, _key, value):
        return trimmed(value)

    @property
    def is_signed(self) -> bool:
        return self.status == "signed"

    @property
    def principal_diagnosis(self) -> "ConsultationDiagnosis | None":
        return next((d for d in self.diagnoses if d.rank == "principal"), None)

    def __repr__(self) -> str:
        return f"Consultation {self.id}"


class ConsultationAddendum(Model):
    __tablename__ = "consultation_addenda"
    __mapper_args__ = {"eager_defaults": True}

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    consultation_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("consultations.id"))
    consultation: Mapped[Consultation] = relationship(back_populates="addenda")
    author_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("staff.id"))
    author: Mapped[Staff] = relationship(Staff)
    body: Mapped[str] = mapped_column(SqlText, info={MAX_LENGTH: 10000})
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=FetchedValue())

    @validates("body")
    def _clean_text(self, _key, value):
        return trimmed(value)


class ConsultationDiagnosis(Model):
    __tablename__ = "consultation_diagnoses"
    __mapper_args__ = {"eager_defaults": True}

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    consultation_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("consultations.id", ondelete="CASCADE"))
    consultation: Mapped[Consultation] = relationship(back_populates="diagnoses")
    icd10_code: Mapped[str] = mapped_column(String(8))
    label: Mapped[str] = mapped_column(String(255))
    rank: Mapped[str] = mapped_column(String(10), server_default=FetchedValue())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=FetchedValue())


class PatientProblem(Versioned, Model):
    __tablename__ = "patient_problems"
    __mapper_args__ = {"eager_defaults": True}

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    patient_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("patients.id", ondelete="CASCADE"))
    patient: Mapped[Patient] = relationship(Patient)
    category: Mapped[str] = mapped_column(String(20), server_default=FetchedValue())
    icd10_code: Mapped[str | None] = mapped_column(String(8))
    label: Mapped[str] = mapped_column(String(255))
    is_coded: Mapped[bool] = mapped_column(Boolean, server_default=FetchedValue(), server_onupdate=FetchedValue())
    status: Mapped[str] = mapped_column(String(10), server_default=FetchedValue())
    onset_on: Mapped[date | None] = mapped_column(Date)
    resolved_on: Mapped[date | None] = mapped_column(Date)
    relative: Mapped[str | None] = mapped_column(String(60))
    notes: Mapped[str | None] = mapped_column(SqlText, info={MAX_LENGTH: 2000})
    source_diagnosis_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("consultation_diagnoses.id", ondelete="SET NULL")
    )
    recorded_by_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    recorded_by: Mapped[User | None] = relationship(User)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=FetchedValue())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=FetchedValue())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=FetchedValue(), server_onupdate=FetchedValue()
    )

    @validates("label", "relative", "notes")
    def _clean_text(self, _key, value):
        return clean_text(value)

    def __repr__(self) -> str:
        return f"{self.icd10_code} {self.label}" if self.icd10_code else self.label


class Observation(Model):
    __tablename__ = "observations"
    __mapper_args__ = {"eager_defaults": True}

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    patient_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("patients.id", ondelete="CASCADE"))
    patient: Mapped[Patient] = relationship(Patient)
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    diastolic: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    unit: Mapped[str] = mapped_column(String(10), server_default=FetchedValue())
    is_abnormal: Mapped[bool] = mapped_column(Boolean, server_default=FetchedValue(), server_onupdate=FetchedValue())
    measured_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=FetchedValue())
    note: Mapped[str | None] = mapped_column(String(500))
    recorded_by_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    recorded_by: Mapped[User | None] = relationship(User)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=FetchedValue())

    @validates("note")
    def _clean_text(self, _key, value):
        return clean_text(value)

    @property
    def label(self) -> str:
        return gettext(OBSERVATION_KINDS[self.kind].label)

    @property
    def shown_value(self) -> str:
        """120/80 mmHg, 37.5 °C: the value as read."""
        value = _plain(self.value)
        if self.diastolic is not None:
            value = f"{value}/{_plain(self.diastolic)}"
        return f"{value} {self.unit or OBSERVATION_KINDS[self.kind].unit}"


def _plain(number: Decimal | None) -> str:
    if number is None:
        return ""
    return format(number.normalize(), "f") if number == number.to_integral() else format(number, "f").rstrip("0")
