"""CareTrail's FAB data interface: constraint errors become ConstraintViolation,
and text search is case- and accent-insensitive (é = e) everywhere."""

from flask_appbuilder.exceptions import DatabaseException
from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy.exc import SQLAlchemyError

from app.db_errors import violation_from_db_error
from app.search import ColumnFilters, FoldedFilterConverter


class CareTrailInterface(SQLAInterface):
    filter_converter_class = FoldedFilterConverter

    def get_filters(self, search_columns=None, search_filters=None):
        return ColumnFilters(
            self.filter_converter_class, self, search_columns=search_columns or [], search_filters=search_filters
        )

    def add(self, item, commit: bool = True) -> None:
        self._guard(super().add, item, commit)

    def edit(self, item, commit: bool = True) -> None:
        self._guard(super().edit, item, commit)

    def delete(self, item, commit: bool = True) -> None:
        self._guard(super().delete, item, commit)

    @staticmethod
    def _guard(write, item, commit: bool) -> None:
        # FAB has already rolled the session back when it re-raises: nothing
        # of the refused write is left behind.
        try:
            write(item, commit)
        except (SQLAlchemyError, DatabaseException) as exc:
            cause = exc if isinstance(exc, SQLAlchemyError) else exc.__cause__
            violation = violation_from_db_error(cause)
            if violation is None:
                raise
            raise violation from exc
