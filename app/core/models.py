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


# A free-text column's most characters, declared on the column
# (`mapped_column(Text, info={MAX_LENGTH: 2000})`): the database has the same
# CHECK (<table>_<column>_length), and generated forms and APIs refuse longer
# text first, naming the field (app/core/views.py, app/core/api.py).
MAX_LENGTH = "max_length"


def text_limits(model) -> dict[str, int]:
    """{column name: most characters} of the model's bounded free-text columns."""
    return {column.name: column.info[MAX_LENGTH] for column in model.__table__.columns if MAX_LENGTH in column.info}
