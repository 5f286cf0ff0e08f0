"""The patient's page reads what its sections show in one statement.

Every main page costs at most 10 queries (issue 22); the patient's page has
a banner, five domains' sections and the merged records, each with a few
small lists.  Read one by one they were 13 to 17 queries on top of the
request's own; here each part (a domain's section, the banner) names the
reads it needs for the signed-in user, as SQL expressions of one value, and
they all go to PostgreSQL as the columns of one SELECT.

A list travels as a JSON array of rows (`json_rows`), and comes back as
the domain's own model objects (`loaded`): templates and rules use the same
attributes and properties as on rows the ORM loaded.  Those objects belong
to no session (transient): they never load anything more, nor get saved.

    reads = {"problems": json_rows(problems_query(patient_id), PatientProblem.id)}
    ...
    problems = loaded(PatientProblem, read["problems"])

The statement is the same for every patient a user opens: its sections
read `patient_id` and the time as parameters (PATIENT_ID, NOW, and a
section's own `params`), so it is built once per user and kept (PageReads).
Built anew at each page, with SQLAlchemy working out its cache key, it cost
more instructions than all the rest of the page's reading (8 M of 36 M,
issue 22).
"""

import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from cachetools import LRUCache
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import attributes, class_mapper

from app.core.actor import Actor

# The rows' position in their list, added by json_rows: PostgreSQL
# aggregates in an order only when told (json_agg(... ORDER BY ...)).
ORDINAL = "ct_ordinal"

Reads = dict[str, sa.ColumnElement]

# What a section's reads take the patient, the time and the user's own
# records' login (Actor.own_records_user_id) as: parameters of the page's
# statement, given at each reading (PageReads.read).
PATIENT_ID = sa.bindparam("ct_patient_id", type_=sa.BigInteger)
NOW = sa.bindparam("ct_now", type_=sa.DateTime(timezone=True))
OWN_USER_ID = sa.bindparam("ct_own_user_id", type_=sa.Integer)


@dataclass(frozen=True)
class PatientSection:
    """A domain's part of the patient's page: its template; what it reads
    for this user (`reads(patient_id, actor)`: name -> one-value SQL, the
    patient being PATIENT_ID, the time NOW, the user's own records' login
    OWN_USER_ID, or parameters the section names in `params(patient_id,
    now)`); and what the template shows (`build(patient_id, actor, read)`,
    `read` being those names' values; None to show nothing, e.g. to a role
    that may not read it).

    The statement is kept for every user of the same roles (PageShape):
    what `reads` builds may depend on the actor's roles, never on a value
    of one user's, which goes through a parameter."""

    template: str
    build: Callable[[int, Actor, dict[str, Any]], object]
    reads: Callable[[sa.BindParameter, Actor], Reads]
    params: Callable[[int, datetime], dict[str, Any]] | None = None

    def built(self, patient_id: int, actor: Actor, read: dict[str, Any]) -> SimpleNamespace:
        return SimpleNamespace(template=self.template, data=self.build(patient_id, actor, read))


def json_rows(statement: sa.Select, *order_by, limit: int | None = None) -> sa.ScalarSelect:
    """The statement's rows (ORDER BY `order_by`, at most `limit`) as one
    JSON array, [] when none; a column may itself be a row (to_json(staff))
    or a list (a correlated json_rows)."""
    numbered = statement.add_columns(sa.func.row_number().over(order_by=order_by or None).label(ORDINAL))
    if order_by:
        numbered = numbered.order_by(*order_by)
    rows = numbered.limit(limit).subquery()
    # sa.column, not rows.c: building a subquery's column collection costs more than running it.
    as_json = sa.func.json_agg(aggregate_order_by(rows.table_valued(), sa.column(ORDINAL)), type_=sa.JSON)
    return sa.select(sa.func.coalesce(as_json, sa.text("'[]'::json"), type_=sa.JSON)).scalar_subquery()


def loaded_columns(model) -> list:
    """The columns the ORM loads of a `model`, to select for json_rows:
    sa.select(model) made a subquery takes every column, a deferred one too
    (a document's PDF, loaded only for a download)."""
    return [getattr(model, column.key) for column in class_mapper(model).column_attrs if not column.deferred]


def row_json(table) -> sa.ColumnElement:
    """A joined table's row as one JSON value (a consultation's clinician)."""
    return sa.func.to_json(table.table_valued(), type_=sa.JSON)


class PageReads:
    """Parts' reads as one SELECT, built once and read as often as wanted
    (with the parameters they take).  JSON comes back as text and is decoded
    here, numbers as Decimal (a weight of 72.4 stays 72.4, as the ORM reads
    a numeric column)."""

    def __init__(self, parts: dict[str, Reads]):
        self._parts = list(parts)
        self._named = [(part, name, _is_json(value)) for part, reads in parts.items() for name, value in reads.items()]
        columns = [
            sa.cast(value, sa.Text) if _is_json(value) else value
            for reads in parts.values()
            for value in reads.values()
        ]
        self._statement = sa.select(*columns) if columns else None

    def read(self, session, params: dict[str, Any]) -> dict[str, dict[str, Any]]:
        values = {part: {} for part in self._parts}
        if self._statement is None:
            return values
        row = session.execute(self._statement, params).one()
        for (part, name, is_json), got in zip(self._named, row, strict=True):
            values[part][name] = json.loads(got, parse_float=Decimal) if is_json and got is not None else got
        return values


def page_shape(actor: Actor) -> tuple:
    """What the page's statement depends on in the actor: what its roles
    allow (the delegations and the break-the-glass reading add roles),
    whether it reads under a grant, and whether it has records of its own
    (a login; OWN_USER_ID)."""
    return actor.roles, actor.is_system, actor.break_glass_id is None, actor.own_records_user_id is None


class KeptPageReads:
    """PageReads kept by key (the sections and the actor's page_shape): the
    same statement serves every patient, and every user of the same roles
    (some 230 KB each, with its cache key).  At most `size` are kept."""

    def __init__(self, size: int = 64):
        self._kept: LRUCache = LRUCache(maxsize=size)
        self._lock = threading.Lock()  # a worker's threads share it

    def get(self, key, build: Callable[[], dict[str, Reads]]) -> PageReads:
        with self._lock:
            kept = self._kept.get(key)
        if kept is None:
            kept = PageReads(build())
            with self._lock:
                self._kept[key] = kept
        return kept

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()


def _is_json(value) -> bool:
    return isinstance(value.type, sa.JSON)


def loaded(model, rows: Iterable[dict] | None) -> list:
    """The JSON rows as `model` objects (see the module's docstring)."""
    return [loaded_one(model, row) for row in rows or []]


def loaded_one(model, row: dict | None):
    """One JSON row as a `model` object: its columns typed as the ORM types
    them, its relationships (a nested row or list) as model objects too;
    None for a JSON null (an appointment without a room)."""
    if row is None:
        return None
    mapper = class_mapper(model)
    item = mapper.class_manager.new_instance()
    for column in mapper.column_attrs:
        if column.key in row:
            attributes.set_committed_value(item, column.key, typed(column.columns[0].type, row[column.key]))
    for relationship in mapper.relationships:
        if relationship.key in row:
            target, value = relationship.mapper.class_, row[relationship.key]
            related = loaded(target, value) if relationship.uselist else loaded_one(target, value)
            attributes.set_committed_value(item, relationship.key, related)
    return item


def instant(value: str | None) -> datetime | None:
    """A JSON timestamptz (a column read besides a model's)."""
    return datetime.fromisoformat(value) if value is not None else None


def typed(column_type, value):
    """A JSON value as the ORM would give the column: dates, instants and
    numbers parsed back (JSON has strings and numbers only)."""
    if value is None:
        return None
    try:
        python_type = column_type.python_type
    except NotImplementedError:
        return value
    if python_type is datetime:
        return instant(value)
    if python_type is date:
        return date.fromisoformat(value)
    if python_type is time:
        return time.fromisoformat(value)
    if python_type is Decimal:
        return Decimal(str(value))
    if python_type is float:
        return float(value)
    if python_type is bytes:
        return bytes.fromhex(value.removeprefix("\\x"))
    return value
