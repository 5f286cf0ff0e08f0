"""CareTrail's FAB data interface: FAB's generated screens and APIs write
through the domain's rules, and search is case- and accent-insensitive
(é = e) everywhere.

FAB calls add(), edit() and delete() here for its list/add/edit/delete
screens and its REST endpoints; each goes to the record's RecordRules
(app/core/rules.py, or a domain's subclass), which checks the acting user,
the version the user opened, and commits.  FAB's own add/edit/delete would
also log the full exception, and PostgreSQL's message for a refused row
quotes the row ("Failing row contains ..."): patient data in the logs.
"""

from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.core.actor import current_actor
from app.core.rules import RecordRules
from app.core.search import ColumnFilters, FoldedFilterConverter


class CareTrailInterface(SQLAInterface):
    filter_converter_class = FoldedFilterConverter

    def __init__(self, obj, session=None, *, rules: RecordRules | None = None):
        super().__init__(obj, session)
        self.rules = rules

    def get_filters(self, search_columns=None, search_filters=None):
        return ColumnFilters(
            self.filter_converter_class, self, search_columns=search_columns or [], search_filters=search_filters
        )

    def add(self, item, commit: bool = True) -> None:
        self._rules().save(self.session, current_actor(), item)

    def edit(self, item, commit: bool = True) -> None:
        self._rules().save(self.session, current_actor(), item)

    def delete(self, item, commit: bool = True) -> None:
        self._rules().delete(self.session, current_actor(), item)

    def _rules(self) -> RecordRules:
        if self.rules is None:
            raise TypeError(f"{self.obj.__name__}: this interface writes through a domain's RecordRules")
        return self.rules
