"""The hospital's own settings: one row (hospital_settings.id = 1)."""

from datetime import datetime

from flask_appbuilder import Model
from sqlalchemy import DateTime, FetchedValue, SmallInteger, Text
from sqlalchemy.orm import Mapped, mapped_column


class HospitalSettings(Model):
    __tablename__ = "hospital_settings"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, server_default=FetchedValue())
    # Where working hours are read, whoever writes (sessions' own TimeZone
    # does not matter); `flask setup` keeps it equal to the TIMEZONE setting.
    timezone: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=FetchedValue(), server_onupdate=FetchedValue()
    )
