"""FAB's search widget, its blank parts built once per form, columns and language.

At every list page FAB's SearchWidget renders each searchable column's
blank form field and the names of its filters ("Contains", "Starts
with"...) for the page's "Add filter" menu: nine columns and some seventy
translated names on the patients list, a quarter of that page's rendering
under the load test (issue 22).  They depend only on the view's search
form, the columns the user may search (app/core/views.py narrows them per
role) and the language; what the user filtered is read at every request.
A form with a field whose choices come from the database (a related
record's QuerySelectField) is rendered afresh each time.
"""

from flask_appbuilder.widgets import SearchWidget
from flask_babel import get_locale

# (form class, columns, language) -> the blank parts; a few per view.
_BLANK_PARTS: dict[tuple, dict] = {}
MAX_KEPT = 512


class CachedSearchWidget(SearchWidget):
    def __call__(self, **kwargs):
        form = self.template_args["form"]
        columns = tuple(self.template_args["include_cols"])
        key = (type(form), columns, str(get_locale()))
        parts = _BLANK_PARTS.get(key)
        if parts is None:
            parts = self._blank_parts(form, columns)
            if not any(hasattr(form[column], "query_func") for column in columns) and len(_BLANK_PARTS) < MAX_KEPT:
                _BLANK_PARTS[key] = parts
        kwargs.update(parts)
        kwargs["active_filters"] = self.filters.get_filters_values_tojson()
        return super(SearchWidget, self).__call__(**kwargs)  # FAB's template, without SearchWidget's own work

    def _blank_parts(self, form, columns: tuple[str, ...]) -> dict:
        """What SearchWidget.__call__ builds before its active filters."""
        filters_of = self.filters.get_search_filters()
        return {
            "label_columns": {column: str(form[column].label.text) for column in columns},
            "form_fields": {column: form[column]() for column in columns},
            "search_filters": {column: [str(f.name) for f in filters_of[column]] for column in columns},
        }
