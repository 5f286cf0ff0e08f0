"""The drug reference: medications and the interactions between substances
or ATC classes.

The database normalises and checks them (sql/versions/0009_prescriptions.py):
substance names in lower case without accents, ATC codes in capitals and
well-formed, each interacting pair stored once in a canonical order.  The
models apply the same soft rules so that a form shows what will be stored.
"""

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal

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
    Numeric,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.core.models import MAX_LENGTH, Timestamped, Versioned
from app.core.normalize import clean_text
from app.records.models import Patient, Staff

SEVERITIES = {
    "contraindicated": "Contraindicated",
    "avoid": "Avoid",
    "precaution": "Precaution",
    "consider": "Consider",
}
TERM_KINDS = {"substance": "Substance", "atc": "ATC class"}
# An ATC code at any of its five levels (N, N02, N02B, N02BA, N02BA01): is_atc_code() in SQL.
ATC_CODE = re.compile(r"^[A-Z]([0-9]{2}([A-Z]([A-Z]([0-9]{2})?)?)?)?$")
# What unaccent() does for the letters NFKD leaves whole.
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "ł": "l", "đ": "d"})
_SPACES = re.compile(r"\s+")


def normalize_substance(name: str | None) -> str | None:
    """A substance name as the database stores it (normalize_substance() in SQL)."""
    if name is None:
        return None
    text = unicodedata.normalize("NFKD", str(name).lower().translate(_LIGATURES))
    text = "".join(char for char in text if not unicodedata.combining(char))
    return _SPACES.sub(" ", text).strip() or None


def normalize_substances(names) -> list[str]:
    """Normalised, blanks and repeats dropped, order kept."""
    seen: list[str] = []
    for name in names or ():
        normalized = normalize_substance(name)
        if normalized and normalized not in seen:
            seen.append(normalized)
    return seen


def normalize_atc(code: str | None) -> str | None:
    code = (code or "").strip().upper()
    return code or None


def is_atc_code(code: str | None) -> bool:
    return bool(code) and ATC_CODE.match(code) is not None


class Medication(Versioned, Timestamped, Model):
    __tablename__ = "medications"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    substances: Mapped[list[str]] = mapped_column(ARRAY(Text))
    atc_code: Mapped[str | None] = mapped_column(String(7))
    form: Mapped[str | None] = mapped_column(String(100))
    strength: Mapped[str | None] = mapped_column(String(100))
    route: Mapped[str | None] = mapped_column(String(30))
    is_narcotic: Mapped[bool] = mapped_column(Boolean, server_default=FetchedValue())
    needs_secure_prescription: Mapped[bool] = mapped_column(Boolean, server_default=FetchedValue())
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=FetchedValue())

    @validates("code", "name", "form", "strength", "route")
    def _clean_text(self, _key, value):
        return clean_text(value)

    @validates("substances")
    def _normalize_substances(self, _key, value):
        if isinstance(value, str):  # typed in a form: "amoxicillin + clavulanic acid"
            value = re.split(r"[+|;]", value)
        return normalize_substances(value)

    @validates("atc_code")
    def _normalize_atc(self, _key, value):
        return normalize_atc(value)

    @property
    def substances_text(self) -> str:
        return " + ".join(self.substances or ())

    @property
    def label(self) -> str:
        """What a prescriber picks: name, code and substances."""
        return f"{self.name} [{self.code}]"

    def __repr__(self) -> str:
        return self.label


class DrugInteraction(Versioned, Timestamped, Model):
    __tablename__ = "drug_interactions"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    a_kind: Mapped[str] = mapped_column(String(10))
    a_value: Mapped[str] = mapped_column(String(100))
    b_kind: Mapped[str] = mapped_column(String(10))
    b_value: Mapped[str] = mapped_column(String(100))
    severity: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(Text, info={MAX_LENGTH: 2000})
    source: Mapped[str | None] = mapped_column(String(100))

    # The values are normalised (and the pair put in order) by the database's
    # trigger, which knows each value's kind whatever order a form sets them in.
    @validates("message", "source", "a_value", "b_value")
    def _clean_text(self, _key, value):
        return clean_text(value)

    @property
    def pair(self) -> str:
        return f"{term_label(self.a_kind, self.a_value)} + {term_label(self.b_kind, self.b_value)}"

    def __repr__(self) -> str:
        return self.pair


def term_label(kind: str, value: str) -> str:
    return f"class {value}" if kind == "atc" else value


PRESCRIPTION_STATUSES = {
    "draft": _l("Draft"),
    "signed": _l("Signed"),
    "cancelled": _l("Cancelled"),
    "expired": _l("Expired"),
    "renewed": _l("Renewed"),  # replaced by its signed renewal (renewed_by_id), set by the database
}
ALLERGY_SEVERITIES = {
    "unknown": _l("Unknown"),
    "mild": _l("Mild"),
    "moderate": _l("Moderate"),
    "severe": _l("Severe"),
    "anaphylaxis": _l("Anaphylaxis"),
}
ALLERGY_STATUSES = {"active": _l("Active"), "resolved": _l("Resolved")}
ALLERGY_SOURCES = {"recorded": _l("Recorded"), "imported": _l("Imported free text")}


class PatientAllergy(Versioned, Timestamped, Model):
    __tablename__ = "patient_allergies"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    patient_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("patients.id", ondelete="CASCADE"))
    patient: Mapped[Patient] = relationship(Patient)
    substance: Mapped[str | None] = mapped_column(String(100))
    atc_code: Mapped[str | None] = mapped_column(String(7))
    description: Mapped[str | None] = mapped_column(Text, info={MAX_LENGTH: 500})
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


class Prescription(Versioned, Timestamped, Model):
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
    notes: Mapped[str | None] = mapped_column(Text, info={MAX_LENGTH: 5000})
    override_reason: Mapped[str | None] = mapped_column(String(500))
    replaces_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("prescriptions.id"))
    renewal_of_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("prescriptions.id"))
    # The signed renewal that replaced this one (status 'renewed'): the database sets it.
    renewed_by_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("prescriptions.id"), server_default=FetchedValue(), server_onupdate=FetchedValue()
    )
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
    instructions: Mapped[str | None] = mapped_column(Text, info={MAX_LENGTH: 2000})
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
