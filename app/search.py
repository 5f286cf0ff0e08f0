"""Search filters: case- and accent-insensitive (é = e, Œ = oe) text matching.

The SQL function normalize_search_text() (lower + unaccent, IMMUTABLE so it
can be indexed) is applied to both sides; the patients' name index uses the
same expression, so these filters stay fast on a large table.
"""

from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import (
    FilterEndsWith,
    FilterEqual,
    FilterIn,
    FilterNotContains,
    FilterNotEqual,
    FilterNotIn,
    SQLAFilterConverter,
    get_field_setup_query,
)
from flask_babel import lazy_gettext
from sqlalchemy import and_, func, literal


def _like_pattern(value: str, *, prefix: bool = True) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{'%' if prefix else ''}{escaped}%"


def folded(expression):
    """lower(unaccent(x)) in SQL (normalize_search_text, indexed with pg_trgm)."""
    return func.normalize_search_text(expression)


class FilterContainsFolded(BaseFilter):
    name = lazy_gettext("Contains")
    arg_name = "ct"

    def apply(self, query, value):
        query, field = get_field_setup_query(query, self.model, self.column_name)
        return query.filter(folded(field).like(folded(literal(_like_pattern(value))), escape="\\"))


class FilterStartsWithFolded(BaseFilter):
    name = lazy_gettext("Starts with")
    arg_name = "sw"

    def apply(self, query, value):
        query, field = get_field_setup_query(query, self.model, self.column_name)
        return query.filter(folded(field).like(folded(literal(_like_pattern(value, prefix=False))), escape="\\"))


class FoldedFilterConverter(SQLAFilterConverter):
    """FAB's converter with the text filters swapped for accent-insensitive ones."""

    conversion_table = tuple(
        (
            kind,
            [
                FilterContainsFolded,
                FilterStartsWithFolded,
                FilterEqual,
                FilterEndsWith,
                FilterNotContains,
                FilterNotEqual,
                FilterIn,
                FilterNotIn,
            ],
        )
        if kind in ("is_text", "is_string")
        else (kind, filters)
        for kind, filters in SQLAFilterConverter.conversion_table
    )


def person_name_text(model):
    """last_name || ' ' || first_name [|| ' ' || birth_name]: the exact
    expression indexed by the migrations (concat_ws is not IMMUTABLE)."""
    text = model.last_name + " " + model.first_name
    if hasattr(model, "birth_name"):
        text = text + " " + func.coalesce(model.birth_name, "")
    return text


class FilterPersonName(BaseFilter):
    """Every word typed must appear in the last, first or birth name: "dubois
    marie", "Marie Dubois" and "helene" all find Mme Hélène-Marie DUBOIS."""

    name = lazy_gettext("Name (any order)")
    arg_name = "name"

    def apply(self, query, value):
        haystack = folded(person_name_text(self.model))
        words = [w for w in str(value).split() if w]
        if not words:
            return query
        return query.filter(and_(*(haystack.like(folded(literal(_like_pattern(w))), escape="\\") for w in words)))
