"""Documents issued as PDF, what they are made from, and who read them.

The rules live in the database (sql/versions/0010_documents.py): a document
and its access journal are never changed nor deleted, by anyone; the bytes
are checked against their size and SHA-256 by a CHECK constraint.
app/documents/ builds, renders and archives them.
"""

from datetime import date, datetime

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
    LargeBinary,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import INET, JSONB
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from app.core.models import Timestamped, Versioned
from app.prescribing.models import Prescription
from app.records.models import Patient, Staff

DOCUMENT_KINDS = {
    "patient_record": "Patient record",
    "certificate": "Medical certificate",
    "prescription": "Prescription",
    "hospitalisation_report": "Hospitalisation report",
    "audit_history": "Audit history",
}
ACCESS_ACTIONS = ("download", "print", "verify")


class CertificateTemplate(Timestamped, Model):
    __tablename__ = "certificate_templates"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    # [{"name": ..., "label": ..., "type": "text|multiline|date|number", "required": bool}]
    fields: Mapped[list] = mapped_column(JSONB, server_default=FetchedValue())
    # Bumped by the database whenever title, body or fields change.
    version: Mapped[int] = mapped_column(Integer, server_default=FetchedValue(), server_onupdate=FetchedValue())
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=FetchedValue())

    def __repr__(self) -> str:
        return self.title


class HospitalisationReport(Versioned, Timestamped, Model):
    __tablename__ = "hospitalisation_reports"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    patient_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("patients.id"))
    patient: Mapped[Patient] = relationship(Patient)
    author_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("staff.id"))
    author: Mapped[Staff] = relationship(Staff)
    service: Mapped[str] = mapped_column(Text)
    admitted_on: Mapped[date] = mapped_column(Date)
    discharged_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    discharge_treatment: Mapped[str | None] = mapped_column(Text)
    follow_up: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"{self.service}, {self.admitted_on:%d/%m/%Y} - {self.discharged_on:%d/%m/%Y}"


class Document(Model):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    patient_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("patients.id"))
    patient: Mapped[Patient] = relationship(Patient)
    kind: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    template_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("certificate_templates.id"))
    template: Mapped[CertificateTemplate | None] = relationship(CertificateTemplate)
    template_version: Mapped[int | None] = mapped_column(Integer)
    prescription_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("prescriptions.id"))
    prescription: Mapped[Prescription | None] = relationship(Prescription)
    hospitalisation_report_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("hospitalisation_reports.id"))
    hospitalisation_report: Mapped[HospitalisationReport | None] = relationship(HospitalisationReport)
    fields: Mapped[dict] = mapped_column(JSONB, server_default=FetchedValue())
    issued_by_user_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("ab_user.id"))
    issued_by_user: Mapped[User | None] = relationship(User)
    issued_by: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=FetchedValue())
    engine: Mapped[str] = mapped_column(Text)
    page_count: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[bytes] = mapped_column(LargeBinary)
    signed_by: Mapped[str | None] = mapped_column(Text)
    # The PDF itself: loaded only for a download.
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary))

    __mapper_args__ = {"eager_defaults": True}

    @property
    def sha256_hex(self) -> str:
        return self.sha256.hex()

    @property
    def kind_label(self) -> str:
        return DOCUMENT_KINDS.get(self.kind, self.kind)

    def __repr__(self) -> str:
        return self.title


class DocumentAccess(Model):
    __tablename__ = "document_accesses"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    document_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("documents.id"))
    document: Mapped[Document] = relationship(Document)
    action: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("ab_user.id"))
    username: Mapped[str | None] = mapped_column(Text)
    client_addr: Mapped[str | None] = mapped_column(INET)
    accessed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=FetchedValue())


class HospitalSettings(Versioned, Model):
    __tablename__ = "hospital_settings"
    __mapper_args__ = {"eager_defaults": True}  # the version the database bumps, read back

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, server_default=FetchedValue())
    # Where working hours are read, whoever writes (sessions' own TimeZone
    # does not matter); `flask setup` keeps it equal to the TIMEZONE setting.
    timezone: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text, server_default=FetchedValue())
    address: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(16))
    finess: Mapped[str | None] = mapped_column(String(9))
    # Loaded only when a document or the settings screen needs it.
    logo: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    logo_media_type: Mapped[str | None] = mapped_column(Text)
    footer: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=FetchedValue(), server_onupdate=FetchedValue()
    )

    @classmethod
    def current(cls, session) -> "HospitalSettings":
        return session.get(cls, 1)
