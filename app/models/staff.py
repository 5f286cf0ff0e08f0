"""Staff: one row per person working at the hospital, optionally a FAB user."""

from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import BigInteger, Boolean, FetchedValue, ForeignKey, Identity, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.models.mixins import Timestamped
from app.services.normalize import clean_text, normalize_email, normalize_phone

PROFESSIONS = {
    "doctor": "Doctor",
    "nurse": "Nurse",
    "secretary": "Secretary",
    "radiologist": "Radiologist",
    "admin": "Administration",
}


class Staff(Timestamped, Model):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"), unique=True)
    user: Mapped[User | None] = relationship(User)
    last_name: Mapped[str] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(100))
    profession: Mapped[str] = mapped_column(String(20))
    specialty: Mapped[str | None] = mapped_column(String(100))
    rpps: Mapped[str | None] = mapped_column(String(11), unique=True)
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(16))
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=FetchedValue())

    @validates("last_name", "first_name", "specialty")
    def _clean_text(self, _key, value):
        return clean_text(value)

    @validates("rpps")
    def _clean_rpps(self, _key, value):
        return (value or "").replace(" ", "") or None

    @validates("phone")
    def _normalize_phone(self, _key, value):
        return normalize_phone(value)

    @validates("email")
    def _normalize_email(self, _key, value):
        return normalize_email(value)

    @property
    def display_name(self) -> str:
        prefix = "Dr " if self.profession in ("doctor", "radiologist") else ""
        return f"{prefix}{self.first_name} {self.last_name.upper()}"

    def __repr__(self) -> str:
        return self.display_name
