"""Search filters: case- and accent-insensitive (é = e, Œ = oe) text matching.

The SQL function normalize_search_text() (lower + unaccent, IMMUTABLE so it
can be indexed) is applied to both sides; the patients' name index uses the
same expression, so these filters stay fast on a large table.
"""

from datetime import datetime, timedelta
from inspect import isclass

import sqlalchemy as sa
from flask import g, has_request_context
from flask_appbuilder.exceptions import InvalidColumnFilterFABException, InvalidOperationFilterFABException
from flask_appbuilder.models.filters import BaseFilter, Filters
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
from sqlalchemy import and_, func, literal, or_

from app.core.actor import current_actor
from app.core.name_search import SIMILAR_SHOWN, any_match, long_enough, matches_sorted, note, similar_to, too_short
from app.core.timezone import hospital_zone
from app.security.policy import readable_fields
from app.security.roles import PATIENTS


def _like_pattern(value: str, *, prefix: bool = True) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{'%' if prefix else ''}{escaped}%"


def folded(expression):
    """lower(unaccent(x)) in SQL (normalize_search_text, indexed with pg_trgm)."""
    return func.normalize_search_text(expression)


# Columns with a trigram index on normalize_search_text(column) (the
# migrations' patients_last_name_search_idx): their text filters search
# through it (app/core/name_search.py) and ask for 3 letters at least.
TRIGRAM_INDEXED = {("patients", "last_name")}


def indexed_text_filter(model, column_name: str, field, condition, value):
    """On a trigram-indexed column: matches sorted rather than walked, one
    more letter asked for below three, similar values when nothing matches."""
    if (getattr(model, "__tablename__", None), column_name) not in TRIGRAM_INDEXED:
        return condition
    text = str(value).strip()
    if not long_enough(text):
        return too_short(column_name)
    if any_match(model, condition):
        return matches_sorted(model, condition)
    note(SIMILAR_SHOWN)
    return matches_sorted(model, similar_to(folded(field), text))


class FilterContainsFolded(BaseFilter):
    name = lazy_gettext("Contains")
    arg_name = "ct"

    def apply(self, query, value):
        query, field = get_field_setup_query(query, self.model, self.column_name)
        condition = folded(field).like(folded(literal(_like_pattern(value))), escape="\\")
        return query.filter(indexed_text_filter(self.model, self.column_name, field, condition, value))


class FilterStartsWithFolded(BaseFilter):
    name = lazy_gettext("Starts with")
    arg_name = "sw"

    def apply(self, query, value):
        query, field = get_field_setup_query(query, self.model, self.column_name)
        condition = folded(field).like(folded(literal(_like_pattern(value, prefix=False))), escape="\\")
        return query.filter(indexed_text_filter(self.model, self.column_name, field, condition, value))


class FoldedFilterConverter(SQLAFilterConverter):
    """FAB's converter with the text filters swapped for accent-insensitive
    ones; on a person's last_name, the quick search comes first (it is the
    screens' `_flt_0_last_name` and the API's `opr: name`)."""

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

    def convert(self, col_name):
        filters = super().convert(col_name)
        model = self.datamodel.obj
        if col_name == "last_name" and hasattr(model, "first_name"):
            return [FilterPersonName(col_name, self.datamodel), *(filters or [])]
        return filters


def person_search_text(model):
    """The folded text a name search looks into: for patients their stored
    search_text (names, birth name, hospital number and NIR; migration 0120),
    for staff their last and first name as the migrations index them
    (concat_ws is not IMMUTABLE, hence ||)."""
    if hasattr(model, "search_text"):
        return model.search_text
    return folded(model.last_name + " " + model.first_name)


class FilterPersonName(BaseFilter):
    """Every word typed must appear in the person's names (or, for patients,
    hospital number or NIR): "dubois marie", "Marie Dubois", "helene" and
    "IPP00000042" all find Mme Hélène-Marie DUBOIS, IPP00000042."""

    name = lazy_gettext("Name, IPP or NIR")
    arg_name = "name"

    def apply(self, query, value):
        condition = person_name_matches(self.model, value)
        return query if condition is None else query.filter(condition)


# This request's name conditions (g.<this>), by model, words and what they may search.
NAME_CONDITIONS = "ct_name_conditions"


def person_name_matches(model, value, *, field: str = "last_name", similar_if_none: bool = True):
    """The condition "every word of `value` is in the person's names" (see
    FilterPersonName); None when nothing was typed.  The patient pickers of
    the agenda screens search with it too.  A user whose role may not read
    the NIR (field matrix) does not find a patient by it: each word must
    then also be in the text without the NIR (the indexed expression still
    narrows the search first).

    Fast at scale (app/core/name_search.py): the words of 3 letters or more
    find the matches through the trigram index before they are sorted; with
    none, the user is asked for one more letter; when nothing matches,
    similar names are offered ("dubuis" finds Dubois)."""
    words = [w for w in str(value).split() if w]
    if not words:
        return None
    if not any(long_enough(w) for w in words):
        return too_short(field)
    hide_nir = hasattr(model, "nir") and "nir" not in readable_fields(current_actor(), PATIENTS)
    # FAB applies a list's filters twice (for the count, for the page): the
    # condition (and whether anything matches exactly: a query) is worked
    # out once a request.
    made = g.setdefault(NAME_CONDITIONS, {}) if has_request_context() else {}
    key = (model, tuple(words), hide_nir, similar_if_none)
    if key not in made:
        made[key] = _name_condition(model, words, hide_nir=hide_nir, similar_if_none=similar_if_none)
    return made[key]


def _name_condition(model, words: list[str], *, hide_nir: bool, similar_if_none: bool):
    haystack = person_search_text(model)
    conditions = [haystack.like(folded(literal(_like_pattern(w))), escape="\\") for w in words]
    if hide_nir:
        conditions += [folded(_names_text(model)).like(folded(literal(_like_pattern(w))), escape="\\") for w in words]
    exact = matches_sorted(model, and_(*conditions))
    if not similar_if_none or any_match(model, exact):
        return exact
    note(SIMILAR_SHOWN)
    return similar_names(model, words)


def _names_text(model):
    """The names (and hospital number) without the NIR."""
    text = model.last_name + " " + model.first_name
    if hasattr(model, "birth_name"):
        text = text + " " + func.coalesce(model.birth_name, "") + " " + model.mrn
    return text


def similar_names(model, words: list[str]):
    """The typo fallback: a last name similar to one of the longer words
    (trigram index), and every word similar to the last or first name or
    found in the names.  Never searches the NIR."""
    last, first = folded(model.last_name), folded(model.first_name)
    names = folded(_names_text(model))
    indexed = or_(*(similar_to(last, w) for w in words if long_enough(w)))
    each_word = [
        or_(similar_to(last, w), similar_to(first, w), names.like(folded(literal(_like_pattern(w))), escape="\\"))
        for w in words
    ]
    return matches_sorted(model, and_(indexed, *each_word))


def similarity_order(model, words: list[str]):
    """Most similar last names first (the pickers' order for similar names)."""
    scores = [func.similarity(folded(model.last_name), folded(literal(w))) for w in words if long_enough(w)]
    return func.greatest(*scores).desc() if scores else model.id


class ColumnFilters(Filters):
    """FAB's Filters, but an API filter `opr` is resolved among the column's
    own filters.  FAB looks it up in a process-wide map where the last filter
    class instantiated with that name wins (its own "ct" or ours, by import
    order), which would make accent-insensitivity depend on luck.

    A column's filters are converted once per data interface: FAB converted
    every column of the model again for each Filters made, two or three per
    list (3% of a worker's time under load, issue 22).  A filter instance
    holds its column and model only, never a request's value, so the same
    instances serve every request; each Filters gets its own lists, which
    FAB extends (`search_filters`)."""

    def _get_filters(self, cols: list[str]) -> dict[str, list[BaseFilter]]:
        # Kept on the data interface (one per view or API, for the process's life).
        converted = self.datamodel.__dict__.setdefault("_ct_converted_filters", {})
        filters = {}
        for column in cols:
            key = (self.filter_converter, column)
            if key not in converted:
                converted[key] = tuple(self.filter_converter(self.datamodel).convert(column) or ())
            if converted[key]:
                filters[column] = list(converted[key])
        return filters

    def get_joined_filters(self, filters) -> "ColumnFilters":
        joined = ColumnFilters(self.filter_converter, self.datamodel)
        joined.filters, joined.values = self.filters + filters.filters, self.values + filters.values
        return joined

    def copy(self) -> "ColumnFilters":
        copied = ColumnFilters(self.filter_converter, self.datamodel)
        copied.filters, copied.values = list(self.filters), list(self.values)
        return copied

    def rest_add_filters(self, data: list[dict]) -> None:
        for item in data:
            try:
                operation, column, value = item["opr"], item["col"], item["value"]
            except KeyError as missing:
                raise InvalidOperationFilterFABException(f"Filter without {missing}") from None
            if column not in self.search_columns:
                raise InvalidColumnFilterFABException(f"Filter column: {column} not allowed to filter")
            for candidate in self._search_filters.get(column, []):
                if candidate.arg_name == operation:
                    self.add_filter(column, candidate if isclass(candidate) else type(candidate), value)
                    break
            else:
                raise InvalidOperationFilterFABException(
                    f"Filter operation: {operation} not allowed on column: {column}"
                )


# --- Days typed in the hospital's time zone (lists filtered by day or period).


def _local_day(value) -> datetime | None:
    """Midnight (hospital time) of the day typed: 2026-12-07, 07/12/2026, or a date and time."""
    text = str(value or "").strip()[:10]
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=hospital_zone())
        except ValueError:
            continue
    return None


class FilterOnDay(BaseFilter):
    """Appointments starting on that day, in the hospital's time zone."""

    name = "On day"
    arg_name = "day"

    def apply(self, query, value):
        query, field = get_field_setup_query(query, self.model, self.column_name)
        day = _local_day(value)
        if day is None:
            return query.filter(sa.false())
        return query.filter(field >= day, field < _next_day(day))


class FilterFromDay(BaseFilter):
    name = "From day"
    arg_name = "from_day"

    def apply(self, query, value):
        query, field = get_field_setup_query(query, self.model, self.column_name)
        day = _local_day(value)
        return query.filter(sa.false()) if day is None else query.filter(field >= day)


class FilterUntilDay(BaseFilter):
    name = "Until day (included)"
    arg_name = "until_day"

    def apply(self, query, value):
        query, field = get_field_setup_query(query, self.model, self.column_name)
        day = _local_day(value)
        return query.filter(sa.false()) if day is None else query.filter(field < _next_day(day))


def _next_day(day: datetime) -> datetime:
    # Add a calendar day in local time (23 or 25 hours on daylight-saving days).
    return (day.replace(tzinfo=None) + timedelta(days=1)).replace(tzinfo=day.tzinfo)
