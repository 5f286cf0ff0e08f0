"""Rooms: consultation rooms, imaging suites, operating theatres, wards."""

from flask_appbuilder import Model
from sqlalchemy import BigInteger, Boolean, FetchedValue, Identity, String
from sqlalchemy.orm import Mapped, mapped_column, validates

from app.models.mixins import Timestamped
from app.services.normalize import clean_text

ROOM_KINDS = {
    "consultation": "Consultation",
    "imaging": "Imaging",
    "operating": "Operating theatre",
    "ward": "Ward",
    "other": "Other",
}


class Room(Timestamped, Model):
    __tablename__ = "rooms"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=FetchedValue())

    @validates("code")
    def _normalize_code(self, _key, value):
        value = clean_text(value)
        return value.upper() if value else value

    @validates("name")
    def _clean_name(self, _key, value):
        return clean_text(value)

    def __repr__(self) -> str:
        return f"{self.code} - {self.name}"
