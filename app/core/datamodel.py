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

import enum
import threading
import time
from functools import reduce

import sqlalchemy as sa
from cachetools import TTLCache
from flask import current_app, g, has_request_context
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.utils.base import get_column_root_relation, is_column_dotted
from flask_babel import format_number
from sqlalchemy.orm import Load, joinedload

from app.core.actor import current_actor
from app.core.name_search import name_searched, sort_keys
from app.core.request_locals import request_g
from app.core.rules import RecordRules
from app.core.search import ColumnFilters, FoldedFilterConverter

# A screen's list counts its rows exactly up to this many; past it, the
# planner's estimate is shown ("≈ 500,200").  Counting every active patient
# took 48 ms of every unfiltered list at 500,000 patients (issue 22); a count
# stopped at 10,001 rows still took 4-9 ms (a third of the page), one stopped
# at 1,001 takes one; the planner's estimate of an unfiltered list is the
# table's own count since its last ANALYZE.  Filtered lists (a search) and
# the API always count exactly.
EXACT_COUNT_UP_TO = 1_000

# An estimate is kept this long by each worker and reused by every list whose
# statement and parameters are the same: an unfiltered list then counts
# nothing (the bounded count and the planner's estimate were 2.9 of its 21 ms).
# A minute-old "≈ 500,200" is as good as a new one; an exact count (a small
# list, a search) is never kept.
ESTIMATE_SECONDS = 60
# app.extensions[<this>]: the app's estimates (one cache per database).
ESTIMATES = "caretrail_count_estimates"

# The records FAB's get() loaded for this request (kept alive, see get()).
LOADED_RECORDS = "ct_loaded_records"

# Set in g by a screen's list when the user filtered nothing (app/core/views.py).
MAY_ESTIMATE_COUNT = "ct_may_estimate_count"

# Set in g by a screen's list (app/core/views.py): (its interface, the related
# records its rows show), loaded with its page.
LIST_SHOWS_RELATED = "ct_list_shows_related"


class EstimatedCount(int):
    """A row count as the planner estimates it: a number for the pages'
    arithmetic, shown as "≈ 500,200" in the hospital's number format."""

    def __str__(self) -> str:
        return f"≈ {format_number(int(self))}"


class Estimates:
    """The lists' estimated counts, each kept ESTIMATE_SECONDS, by statement
    and parameters: SQLAlchemy's cache key of the statement (what its
    compiled-SQL cache goes by) with its parameters' values, so two users
    whose lists differ by a value of their own never share an estimate."""

    def __init__(self, timer=time.monotonic):
        self._kept = TTLCache(maxsize=256, ttl=ESTIMATE_SECONDS, timer=timer)
        self._lock = threading.Lock()  # the workers' threads share it (gunicorn gthread)

    @staticmethod
    def key(statement, bound: int) -> tuple | None:
        """None for a statement SQLAlchemy cannot key (a construct not
        declared cacheable): its estimate is not kept."""
        cache_key = statement._generate_cache_key()
        if cache_key is None:
            return None
        values = tuple(repr(parameter.effective_value) for parameter in cache_key.bindparams)
        return cache_key.key, values, bound

    def get(self, key: tuple | None) -> "EstimatedCount | None":
        if key is None:
            return None
        with self._lock:
            return self._kept.get(key)

    def keep(self, key: tuple | None, estimate: "EstimatedCount") -> None:
        if key is None:
            return
        with self._lock:
            self._kept[key] = estimate

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()


def estimates_of(app) -> Estimates:
    """The app's estimates (made with the app, see app/__init__.py)."""
    return app.extensions[ESTIMATES]


def _written_in(number: int) -> sa.BindParameter:
    """A whole number SQLAlchemy writes into the statement as it runs (one
    compiled form in its cache), not sent as a parameter."""
    return sa.literal(int(number), sa.Integer, literal_execute=True)


class CareTrailInterface(SQLAInterface):
    filter_converter_class = FoldedFilterConverter

    @staticmethod
    def _get_attr_value(item, col):
        """FAB's answer (a method called, an enum's value, a dotted path
        followed, "" when it leads nowhere) with one attribute read where
        FAB made three: every cell of every list and show page comes
        through here, and each read of a mapped column is a descriptor call
        (issue 22)."""
        try:
            value = getattr(item, col)
        except AttributeError:  # an inner object's attribute ("doctor.name")
            try:
                return reduce(getattr, col.split("."), item)
            except Exception:  # FAB's: a path that leads nowhere shows as nothing
                return ""
        if callable(value):
            return value()
        if isinstance(value, enum.Enum):
            return value.value
        return value

    def __init__(self, obj, session=None, *, rules: RecordRules | None = None):
        super().__init__(obj, session)
        self.rules = rules

    def get_filters(self, search_columns=None, search_filters=None):
        return ColumnFilters(
            self.filter_converter_class, self, search_columns=search_columns or [], search_filters=search_filters
        )

    def get_inner_filters(self, filters):
        """FAB's, but made as ColumnFilters (their conversions cached): FAB
        makes one for each query of a list, converting every column."""
        inner = ColumnFilters(self.filter_converter_class, self)
        if filters:
            inner.add_filter_list(
                [
                    (flt.column_name, type(flt), value)
                    for flt, value in zip(filters.filters, filters.values, strict=True)
                    if not is_column_dotted(flt.column_name)
                    or self.is_relation_many_to_one(get_column_root_relation(flt.column_name))
                    or self.is_relation_one_to_one(get_column_root_relation(flt.column_name))
                ]
            )
        return inner

    def apply_inner_select_joins(self, query, select_columns=None, aliases_mapping=None):
        """FAB's, the plain columns asked for loaded by one load_only: FAB
        added one option per column, each copying the query (11 copies for
        the patients' API, for the count and again for the page: 2 ms of
        every API search).  Dotted columns (a related model's) go to FAB's.
        A screen's list loads the related records its rows show (a
        doctor, a patient) in its page's statement: FAB read each one
        when its row was drawn (25 statements on the appointments list).
        A count loads nothing of them (SQLAlchemy's count() and a
        subquery leave eager loads out)."""
        shown = request_g().get(LIST_SHOWS_RELATED) if has_request_context() else None
        if shown is not None and shown[0] is self and shown[1]:
            query = query.options(*(joinedload(getattr(self.obj, name)) for name in shown[1]))
        if not select_columns:
            return query
        plain, dotted = self._select_columns(tuple(select_columns))
        if plain:
            query = query.options(Load(self.obj).load_only(*plain))
        return super().apply_inner_select_joins(query, list(dotted), aliases_mapping) if dotted else query

    def _select_columns(self, select_columns: tuple[str, ...]) -> tuple[tuple, tuple[str, ...]]:
        """(the model's attributes of the plain columns, the dotted column
        names), worked out once per list of columns."""
        known = self.__dict__.setdefault("_ct_select_columns", {})
        if select_columns not in known:
            plain = tuple(
                getattr(self.obj, column)
                for column in select_columns
                if not is_column_dotted(column)
                and not self.is_relation(column)
                and not self.is_property_or_function(column)
            )
            known[select_columns] = plain, tuple(column for column in select_columns if is_column_dotted(column))
        return known[select_columns]

    def apply_order_by(
        self, query, order_column, order_direction, aliases_mapping=None, bypass_many_to_many=False, add_pk=False
    ):
        """FAB's order (the column, then the primary key), with the model's
        ties between them (its `list_order_ties`: patients by last name,
        then first name).  On a list narrowed by a name search, by
        sort_keys: the matches sorted (app/core/name_search.py), never an
        index walked."""
        column = self.list_columns.get(order_column) if order_column else None
        ties = getattr(self.obj, "list_order_ties", {}).get(order_column, ())
        if column is None or not (ties or name_searched(self.obj)):
            return super().apply_order_by(
                query, order_column, order_direction, aliases_mapping, bypass_many_to_many, add_pk
            )
        direction = sa.asc if order_direction == "asc" else sa.desc
        keys = [column, *(getattr(self.obj, tie) for tie in ties)]
        if add_pk and order_column != self.get_pk_name():
            keys.append(self.get_pk())
        if name_searched(self.obj):
            keys = sort_keys(*keys)
        return query.order_by(*(direction(key) for key in keys))

    def apply_pagination(self, query, page, page_size):
        """FAB's page bounds; on a list the user filtered nothing, written
        into the statement rather than sent as parameters.  A prepared
        statement whose LIMIT is a parameter is planned anew at every run:
        PostgreSQL's plan for any LIMIT expects a tenth of the rows, so it
        always finds its plan for the values at hand cheaper than one plan
        for all (the patient list's statement: 70 plans of its own in 70
        runs, 0.24-0.28 ms of PostgreSQL's time each).  Its bounds written
        in, an unfiltered list's statement is planned once per connection.
        A search keeps its bounds as parameters, so each of its runs stays
        planned for the words typed (app/core/name_search.py)."""
        if not (has_request_context() and g.get(MAY_ESTIMATE_COUNT)):
            return super().apply_pagination(query, page, page_size)
        if page and page_size:
            query = query.offset(_written_in(page * page_size))
        if page_size:
            query = query.limit(_written_in(page_size))
        return query

    def query(
        self,
        filters=None,
        order_column: str = "",
        order_direction: str = "",
        page: int | None = None,
        page_size: int | None = None,
        select_columns=None,
        outer_default_load: bool = False,
    ):
        """FAB's (the count, then the page), but every row asked for (no
        page: a form's choices, FAB's Unique check) is its own count, and a
        name search counts its matches in its page's statement.  A name
        search's page sorts every match to show the first ones
        (app/core/name_search.py), so counting them there costs little,
        where a count of its own found them all a second time: "dubois"
        8.1 ms counted, 5.1 ms paged, 5.7 ms both in one, at 500,200
        patients.  A page past the last match counts alone."""
        query = self.session.query(self.obj)
        to_many = bool(select_columns) and self.exists_col_to_many(select_columns)
        paged = self.apply_all(
            query, filters, order_column, order_direction, page, page_size, select_columns, outer_default_load
        )
        if not page_size and not to_many:
            # Every row asked for (a form's choices of doctors, types, rooms):
            # they are their own count, which FAB queried apart and threw away.
            records = paged.all()
            return len(records), records
        if to_many or not name_searched(self.obj):  # FAB's
            count = self.query_count(query, filters, select_columns)
            return count, self._records(paged.all())
        rows = paged.add_columns(sa.func.count().over().label("ct_matches")).all()
        if not rows:
            return (self.query_count(query, filters, select_columns) if page else 0), []
        return rows[0].ct_matches, [row[0] for row in rows]

    def _records(self, rows: list) -> list:
        """FAB's: the records of the rows, when an outer query (a to-many
        column selected) answered rows holding them; else the rows."""
        records = []
        for row in rows:
            if not hasattr(row, self.obj.__name__):
                return rows
            records.append(getattr(row, self.obj.__name__))
        return records

    def query_count(self, query, filters=None, select_columns=None) -> int:
        counted = self._apply_inner_all(query, filters, select_columns=select_columns, aliases_mapping={})
        if not (has_request_context() and g.get(MAY_ESTIMATE_COUNT)):
            return counted.count()
        statement = counted.statement
        estimates = estimates_of(current_app)
        key = estimates.key(statement, EXACT_COUNT_UP_TO)
        estimate = estimates.get(key)
        if estimate is not None:
            return estimate
        bounded = self.session.scalar(
            sa.select(sa.func.count()).select_from(statement.limit(EXACT_COUNT_UP_TO + 1).subquery())
        )
        if bounded <= EXACT_COUNT_UP_TO:
            return bounded
        estimate = EstimatedCount(max(bounded, self._planner_rows(statement)))
        estimates.keep(key, estimate)
        return estimate

    def _planner_rows(self, statement) -> int:
        """The rows PostgreSQL's planner expects the statement to return."""
        connection = self.session.connection()
        compiled = statement.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
        plan = connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + str(compiled), compiled.params or None).scalar()
        return int(plan[0]["Plan"]["Plan Rows"])

    def get(self, id, filters=None, select_columns=None, outer_default_load: bool = False):
        """FAB's get, the record held for the rest of the request: SQLAlchemy's
        identity map holds it weakly, and the page's sections (the patient's
        care section, for one) ask for it again by id, which costs no query
        while it is held."""
        if select_columns and "version" in self.list_columns and "version" not in select_columns:
            select_columns = [*select_columns, "version"]  # the API's ETag, read with the record
        item = super().get(id, filters, select_columns, outer_default_load)
        if item is not None and has_request_context():
            g.setdefault(LOADED_RECORDS, []).append(item)
        return item

    def loaded(self, pk):
        """The record get() loaded for `pk` in this request, if any (its
        version current: a write in between refreshes it in place)."""
        if not has_request_context():
            return None
        for item in g.get(LOADED_RECORDS, ()):
            if isinstance(item, self.obj) and str(getattr(item, self.get_pk_name())) == str(pk):
                return item
        return None

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
