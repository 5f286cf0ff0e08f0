"""The hospital's own settings: one row (hospital_settings.id = 1).

Besides the time zone, the letterhead every document prints: name, address,
phone, FINESS number, logo and footer (sql/versions/0010_documents.py).
"""

from datetime import datetime

from flask_appbuilder import Model
from sqlalchemy import DateTime, FetchedValue, LargeBinary, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column


class HospitalSettings(Model):
    __tablename__ = "hospital_settings"

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
