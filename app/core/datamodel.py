"""CareTrail's FAB data interface: constraint errors become ConstraintViolation,
and text search is case- and accent-insensitive (é = e) everywhere."""

import logging

from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy.exc import SQLAlchemyError

from app.core.db_errors import violation_from_db_error
from app.core.errors import DatabaseWriteFailed
from app.core.search import ColumnFilters, FoldedFilterConverter

log = logging.getLogger(__name__)


class CareTrailInterface(SQLAInterface):
    filter_converter_class = FoldedFilterConverter

    def get_filters(self, search_columns=None, search_filters=None):
        return ColumnFilters(
            self.filter_converter_class, self, search_columns=search_columns or [], search_filters=search_filters
        )

    # FAB's own add/edit/delete log the full exception, and PostgreSQL's
    # message for a refused row quotes the row ("Failing row contains ..."):
    # patient data in the logs.  These write without logging it.
    def add(self, item, commit: bool = True) -> None:
        self._write(lambda: self.session.add(item), commit)

    def edit(self, item, commit: bool = True) -> None:
        self._write(lambda: self.session.merge(item), commit)

    def delete(self, item, commit: bool = True) -> None:
        def remove():
            self._delete_files(item)
            self.session.delete(item)

        self._write(remove, commit)

    def _write(self, change, commit: bool) -> None:
        try:
            change()
            if commit:
                self.session.commit()
            else:
                self.session.flush()
        except SQLAlchemyError as exc:
            self.session.rollback()
            violation = violation_from_db_error(exc)
            if violation is None:
                log.error("database write failed: %s", type(getattr(exc, "orig", exc)).__name__)
                raise DatabaseWriteFailed() from exc
            raise violation from exc
