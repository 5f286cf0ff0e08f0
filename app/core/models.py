"""Columns shared by the domain tables."""

from datetime import datetime

from sqlalchemy import DateTime, FetchedValue, Integer
from sqlalchemy.orm import Mapped, mapped_column


class Timestamped:
    """created_at / updated_at, both filled by PostgreSQL (default now() and the
    touch_updated_at trigger), so rows written in psql carry them too."""

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=FetchedValue(), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True),
        server_default=FetchedValue(),
        server_onupdate=FetchedValue(),
        nullable=False,
    )
    # Read the database-generated values back in the same round trip.
    __mapper_args__ = {"eager_defaults": True}


class Versioned:
    """version, bumped by PostgreSQL at each real change of the row (trigger
    bump_row_version, migration 0020), whoever writes: the optimistic locking
    of screens and API compares it (app/core/versions.py).  Read back after
    each write, with updated_at."""

    version: Mapped[int] = mapped_column(
        Integer, server_default=FetchedValue(), server_onupdate=FetchedValue(), nullable=False
    )
