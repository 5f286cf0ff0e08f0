"""Patient allergies, prescriptions and their lines.

The rules live in the database (sql/versions/0009_prescriptions.py): a
signed prescription and its lines never change (only signed -> cancelled or
expired), a contraindication is signed only with an override reason,
renewals are counted on the original and cannot exceed what it allows.
These models map the tables; app/services/prescriptions.py writes them.
"""

from datetime import date, datetime
from decimal import Decimal

from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    FetchedValue,
    ForeignKey,
    Identity,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.models.medication import Medication, normalize_atc, normalize_substance
from app.models.mixins import Timestamped
from app.models.patient import Patient
from app.models.staff import Staff
from app.services.normalize import clean_text

PRESCRIPTION_STATUSES = {"draft": "Draft", "signed": "Signed", "cancelled": "Cancelled", "expired": "Expired"}
ALLERGY_SEVERITIES = {
    "unknown": "Unknown",
    "mild": "Mild",
    "moderate": "Moderate",
    "severe": "Severe",
    "anaphylaxis": "Anaphylaxis",
}
ALLERGY_STATUSES = {"active": "Active", "resolved": "Resolved"}
ALLERGY_SOURCES = {"recorded": "Recorded", "imported": "Imported free text"}


class PatientAllergy(Timestamped, Model):
    __tablename__ = "patient_allergies"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    patient_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("patients.id", ondelete="CASCADE"))
    patient: Mapped[Patient] = relationship(Patient)
    substance: Mapped[str | None] = mapped_column(String(100))
    atc_code: Mapped[str | None] = mapped_column(String(7))
    description: Mapped[str | None] = mapped_column(Text)
    reaction: Mapped[str | None] = mapped_column(String(200))
    severity: Mapped[str] = mapped_column(String(20), server_default=FetchedValue())
    status: Mapped[str] = mapped_column(String(10), server_default=FetchedValue())
    source: Mapped[str] = mapped_column(String(10), server_default=FetchedValue())
    recorded_by_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    recorded_by: Mapped[User | None] = relationship(User)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=FetchedValue())

    @validates("substance")
    def _normalize_substance(self, _key, value):
        return normalize_substance(value)

    @validates("atc_code")
    def _normalize_atc(self, _key, value):
        return normalize_atc(value)

    @validates("description", "reaction")
    def _clean_text(self, _key, value):
        return clean_text(value)

    @property
    def agent(self) -> str:
        """What the patient is allergic to, as the screens show it."""
        if self.substance:
            return self.substance
        if self.atc_code:
            return f"ATC class {self.atc_code}"
        return self.description or ""

    def __repr__(self) -> str:
        return self.agent


class Prescription(Timestamped, Model):
    __tablename__ = "prescriptions"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    patient_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("patients.id"))
    patient: Mapped[Patient] = relationship(Patient)
    prescriber_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("staff.id"))
    prescriber: Mapped[Staff] = relationship(Staff)
    # Set by the database when signing (prescribed_on becomes the signing day).
    status: Mapped[str] = mapped_column(String(10), server_default=FetchedValue(), server_onupdate=FetchedValue())
    prescribed_on: Mapped[date] = mapped_column(Date, server_default=FetchedValue(), server_onupdate=FetchedValue())
    valid_until: Mapped[date] = mapped_column(Date, server_default=FetchedValue())
    renewals_allowed: Mapped[int] = mapped_column(SmallInteger, server_default=FetchedValue())
    renewals_used: Mapped[int] = mapped_column(SmallInteger, server_default=FetchedValue())
    notes: Mapped[str | None] = mapped_column(Text)
    override_reason: Mapped[str | None] = mapped_column(String(500))
    replaces_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("prescriptions.id"))
    renewal_of_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("prescriptions.id"))
    signed_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), server_default=FetchedValue(), server_onupdate=FetchedValue()
    )
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancellation_reason: Mapped[str | None] = mapped_column(String(500))

    items: Mapped[list["PrescriptionItem"]] = relationship(
        back_populates="prescription",
        order_by="PrescriptionItem.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @validates("notes", "override_reason", "cancellation_reason")
    def _clean_text(self, _key, value):
        if isinstance(value, str):
            value = value.strip()
        return value or None

    @property
    def is_draft(self) -> bool:
        return self.status == "draft"

    @property
    def is_active(self) -> bool:
        """Signed and still valid: what the checks compare a new prescription with."""
        return self.status == "signed" and self.valid_until >= date.today()

    @property
    def renewals_left(self) -> int:
        return max(self.renewals_allowed - self.renewals_used, 0)

    def __repr__(self) -> str:
        return f"Prescription {self.id}"


class PrescriptionItem(Timestamped, Model):
    __tablename__ = "prescription_items"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    prescription_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("prescriptions.id", ondelete="CASCADE"))
    prescription: Mapped[Prescription] = relationship(back_populates="items")
    position: Mapped[int] = mapped_column(SmallInteger)
    medication_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("medications.id"))
    medication: Mapped[Medication] = relationship(Medication)
    dose: Mapped[Decimal] = mapped_column(Numeric(10, 3))
    dose_unit: Mapped[str] = mapped_column(String(20))
    frequency: Mapped[str] = mapped_column(String(100))
    duration_days: Mapped[int | None] = mapped_column(SmallInteger)
    route: Mapped[str | None] = mapped_column(String(30))
    instructions: Mapped[str | None] = mapped_column(Text)
    quantity: Mapped[int | None] = mapped_column(Integer)
    # For the patient's long-term condition (ALD): the two-zone layout.
    is_ald: Mapped[bool] = mapped_column(Boolean, server_default=FetchedValue())

    @validates("dose_unit", "frequency", "route")
    def _clean_text(self, _key, value):
        return clean_text(value)

    @validates("instructions")
    def _strip(self, _key, value):
        return (value or "").strip() or None

    @property
    def dose_text(self) -> str:
        """500 mg, 1 tablet, 0.5 ml (no trailing zeros)."""
        dose = self.dose.normalize() if isinstance(self.dose, Decimal) else self.dose
        return f"{dose:f} {self.dose_unit}" if isinstance(dose, Decimal) else f"{dose} {self.dose_unit}"

    def __repr__(self) -> str:
        return f"{self.medication.name if self.medication else self.medication_id} {self.dose_text}"
