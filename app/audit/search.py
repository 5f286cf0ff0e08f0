"""Searching the audit log: the filters shared by the audit screens, the
export and the REST API; newest first, keyset-paged.

Pages are cut on (occurred_at, id), read backwards through the btree
audit_log_time_idx, so page 100 costs what page 1 costs (no OFFSET).  Each
filter has an index to start from except the free text, which filters the
rows the others leave (docs/audit.md).
"""

import base64
import binascii
import dataclasses
import json
import re
import time as time_module
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext
from sqlalchemy.exc import OperationalError

from app.audit.models import audit_log
from app.core.actor import Actor
from app.core.errors import BadInput
from app.core.extensions import db
from app.core.statement_plans import CUSTOM_PLANS
from app.core.timezone import hospital_zone
from app.security.policy import grouped_fields, readable_fields
from app.security.roles import PATIENTS

ACTIONS = ("INSERT", "UPDATE", "DELETE", "TRUNCATE")
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MASKED = "[masked]"

# Columns PostgreSQL computes from the others (GENERATED ... STORED): kept in
# the audited rows, not shown as fields of their own (nobody changes them;
# the restore leaves them to the database).
DERIVED_COLUMNS = {"patients": ("search_text",)}
# A search that would read most of the log is stopped rather than left to
# hold a connection: the user is asked to narrow it.
SEARCH_TIMEOUT = "15s"
PATIENTS_TABLE = "public.patients"

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$")
_USERNAME = re.compile(r"^[\w.@+-]{1,256}$")
# Rows of other tables belong to a patient through their patient_id column:
# audit_log.patient_id, computed by PostgreSQL from the row, with the partial
# index audit_log_patient_id_idx (WHERE patient_id IS NOT NULL).  Not in the
# audit_log Table of models.py: entries are read without it.
_row_patient = sa.literal_column("audit_log.patient_id", sa.Text)


class AuditQueryError(BadInput):
    """A filter, cursor or page size the search cannot use (400, naming it)."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message, field=field_name)


@dataclass(frozen=True)
class AuditFilters:
    """Every filter is optional; they combine with AND.

    The names are those of the URL query string and of the API's JSON body.
    """

    start: datetime | None = None  # "from", inclusive
    end: datetime | None = None  # "to", exclusive (a date alone means up to the end of that day)
    user: str | None = None  # CareTrail username
    db_role: str | None = None  # PostgreSQL role of the session
    actions: tuple[str, ...] = ()
    table: str | None = None  # schema-qualified
    record: str | None = None  # primary key of the row, as text
    patient: int | None = None  # the patient's row and every row with its patient_id
    column: str | None = None  # among the changed columns
    text: str | None = None  # anywhere in the old or new values
    txid: int | None = None

    PARAMETERS = ("from", "to", "user", "db_role", "action", "table", "record", "patient", "column", "text", "txid")

    @classmethod
    def parse(cls, params: Mapping[str, Any], *, ignore: tuple[str, ...] = ()) -> "AuditFilters":
        """Filters from a query string or JSON body; AuditQueryError names the bad one.

        Keys listed in `ignore` (cursor, page_size...) are the caller's business.
        """
        unknown = sorted(set(params) - set(cls.PARAMETERS) - set(ignore))
        if unknown:
            raise AuditQueryError(unknown[0], f"unknown filter (known: {', '.join(cls.PARAMETERS)})")

        def value(name: str) -> str | None:
            raw = params.get(name)
            if raw is None:
                return None
            if isinstance(raw, list | tuple):
                raw = ",".join(str(v) for v in raw)
            raw = str(raw).strip()
            return raw or None

        start = _parse_moment("from", value("from"), end_of_day=False)
        end = _parse_moment("to", value("to"), end_of_day=True)
        if start and end and end <= start:
            raise AuditQueryError("to", "must be after 'from'")
        actions = tuple(dict.fromkeys(a.strip().upper() for a in (value("action") or "").split(",") if a.strip()))
        for action in actions:
            if action not in ACTIONS:
                raise AuditQueryError("action", f"unknown action {action!r} (one of {', '.join(ACTIONS)})")
        table = value("table")
        if table is not None:
            table = table.lower()
            if not _IDENTIFIER.match(table):
                raise AuditQueryError("table", "not a table name")
            if "." not in table:
                table = f"public.{table}"
        column = value("column")
        if column is not None and ("." in column or not _IDENTIFIER.match(column)):
            raise AuditQueryError("column", "not a column name")
        for name in ("user", "db_role"):
            given = value(name)
            if given is not None and not _USERNAME.match(given):
                raise AuditQueryError(name, "not a user name")
        text = value("text")
        if text is not None and len(text) > 200:
            raise AuditQueryError("text", "at most 200 characters")
        record = value("record")
        if record is not None and len(record) > 200:
            raise AuditQueryError("record", "at most 200 characters")
        return cls(
            start=start,
            end=end,
            user=value("user"),
            db_role=value("db_role"),
            actions=actions,
            table=table,
            record=record,
            patient=_parse_int("patient", value("patient")),
            column=column,
            text=text,
            txid=_parse_int("txid", value("txid")),
        )

    def as_params(self) -> dict[str, str]:
        """The query-string form (what parse() reads back): for links and bookmarks."""
        params = {
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
            "user": self.user,
            "db_role": self.db_role,
            "action": ",".join(self.actions) or None,
            "table": self.table,
            "record": self.record,
            "patient": str(self.patient) if self.patient is not None else None,
            "column": self.column,
            "text": self.text,
            "txid": str(self.txid) if self.txid is not None else None,
        }
        return {k: v for k, v in params.items() if v is not None}

    def is_empty(self) -> bool:
        return all(getattr(self, f.name) in (None, ()) for f in fields(self))

    def conditions(self) -> list:
        """SQLAlchemy WHERE clauses; values are always bound parameters."""
        c = audit_log.c
        where = []
        if self.start:
            where.append(c.occurred_at >= self.start)
        if self.end:
            where.append(c.occurred_at < self.end)
        if self.user:
            where.append(c.app_username == self.user)
        if self.db_role:
            where.append(c.db_user == self.db_role)
        if self.actions:
            where.append(c.operation.in_(self.actions))
        if self.table:
            where.append(c.table_name == self.table)
        if self.record:
            where.append(c.row_pk == self.record)
        if self.patient is not None:
            patient = str(self.patient)
            where.append(
                sa.or_(
                    sa.and_(c.table_name == PATIENTS_TABLE, c.row_pk == patient),
                    sa.and_(_row_patient.is_not(None), _row_patient == patient),
                )
            )
        if self.column:
            where.append(c.changed_columns.contains([self.column]))
        if self.text:
            pattern = "%" + re.sub(r"([\\%_])", r"\\\1", self.text) + "%"
            where.append(
                sa.or_(
                    sa.cast(c.old_row, sa.Text).ilike(pattern, escape="\\"),
                    sa.cast(c.new_row, sa.Text).ilike(pattern, escape="\\"),
                )
            )
        if self.txid is not None:
            where.append(sa.text("audit_log.txid = CAST(:txid AS xid8)").bindparams(txid=str(self.txid)))
        return where


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: just after this (occurred_at, id)."""

    occurred_at: datetime
    id: int

    def encode(self) -> str:
        raw = json.dumps([self.occurred_at.isoformat(), self.id]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str | None) -> "Cursor | None":
        if not token:
            return None
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            moment, entry_id = json.loads(raw)
            occurred_at = datetime.fromisoformat(moment)
            if occurred_at.tzinfo is None or not isinstance(entry_id, int):
                raise ValueError
        except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
            raise AuditQueryError("cursor", "not a cursor returned by a previous page") from None
        return cls(occurred_at, entry_id)


class FieldChange(NamedTuple):
    """One field of an entry's row, old and new side by side.  A named tuple,
    not a dataclass: the list page makes thousands (about 1 µs each less)."""

    name: str
    old: Any
    new: Any
    changed: bool
    masked: bool


def _field_change(name: str, old: Any, new: Any, changed: set[str]) -> FieldChange:
    return FieldChange(name, old, new, name in changed, old == MASKED or new == MASKED)


@dataclass
class AuditEntry:
    id: int
    occurred_at: datetime
    txid: str
    table_name: str
    operation: str
    row_pk: str | None
    old_row: dict | None
    new_row: dict | None
    changed_columns: list[str]
    app_user_id: int | None
    app_username: str | None
    claimed_user: str | None
    db_user: str
    client_addr: str | None
    application_name: str | None
    request_id: str | None
    reason: str | None
    on_behalf_of: str | None
    _fields: list[FieldChange] = field(default=None, repr=False)

    @property
    def actor(self) -> str:
        """Who did it, as people say it: the CareTrail user (and the user acted
        for under a delegation), else the database role."""
        who = self.app_username or f"{self.db_user} (database)"
        if not self.on_behalf_of:
            return who
        # gettext, not lazy_gettext: a lazy text's __html__ would put the
        # names it holds in a page unescaped.
        return gettext("%(who)s on behalf of %(whom)s", who=who, whom=self.on_behalf_of)

    @property
    def table(self) -> str:
        return self.table_name.removeprefix("public.")

    def all_fields(self) -> list[FieldChange]:
        """Every column of the row, old and new side by side, changed ones flagged."""
        if self._fields is None:
            old, new = self.old_row or {}, self.new_row or {}
            changed = set(self.changed_columns or ())
            if self.operation in ("INSERT", "DELETE"):
                changed = set(old) | set(new)
            derived = DERIVED_COLUMNS.get(self.table, ())
            self._fields = [
                _field_change(name, old.get(name), new.get(name), changed)
                for name in sorted(old.keys() | new.keys())
                if name not in derived
            ]
        return self._fields

    def changes(self) -> list[FieldChange]:
        return [f for f in self.all_fields() if f.changed]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "occurred_at": self.occurred_at.isoformat(),
            "txid": self.txid,
            "table_name": self.table_name,
            "operation": self.operation,
            "row_pk": self.row_pk,
            "old_row": self.old_row,
            "new_row": self.new_row,
            "changed_columns": self.changed_columns,
            "app_user_id": self.app_user_id,
            "app_username": self.app_username,
            "claimed_user": self.claimed_user,
            "db_user": self.db_user,
            "client_addr": self.client_addr,
            "application_name": self.application_name,
            "request_id": self.request_id,
            "reason": self.reason,
            "on_behalf_of": self.on_behalf_of,
        }


@dataclass
class AuditPage:
    entries: list[AuditEntry]
    next_cursor: str | None
    page_size: int


# The address as text (host(): no mask, as psycopg's ipaddress objects made
# str() gave), rather than parsed into an object per entry and printed back.
_COLUMNS = [
    sa.func.host(c).label(c.name) if c.name == "client_addr" else c for c in audit_log.c if c.name != "statement_id"
]
# The rows are most of an entry's bytes and of its decoding (JSON).
_COLUMNS_WITHOUT_ROWS = [sa.null().label(c.name) if c.name in ("old_row", "new_row") else c for c in _COLUMNS]


def _entry(row) -> AuditEntry:
    values = dict(row._mapping)
    # Stored in hstore's key order (the trigger skips sorting to stay fast).
    values["changed_columns"] = sorted(values["changed_columns"] or [])
    return AuditEntry(**values)


def show_value(value: Any) -> str:
    """A JSON value as people read it: text as is, the rest as JSON, nothing as a dash."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def parse_page_size(raw: Any) -> int:
    if raw in (None, ""):
        return DEFAULT_PAGE_SIZE
    if re.fullmatch(r"[0-9]{19,}", str(raw)):  # a whole number, far past the largest page
        raise AuditQueryError("page_size", f"between 1 and {MAX_PAGE_SIZE}")
    size = _parse_int("page_size", str(raw))
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise AuditQueryError("page_size", f"between 1 and {MAX_PAGE_SIZE}")
    return size


def search(
    filters: AuditFilters, *, cursor: Cursor | None = None, page_size: int = DEFAULT_PAGE_SIZE, with_rows: bool = True
) -> AuditPage:
    """One page of matching entries, newest first; without their rows
    (old_row and new_row None) when `with_rows` is false: the list screen
    shows an entry's fields when it is opened (find_entry)."""
    query = sa.select(*(_COLUMNS if with_rows else _COLUMNS_WITHOUT_ROWS)).where(*filters.conditions())
    if cursor:
        query = query.where(sa.tuple_(audit_log.c.occurred_at, audit_log.c.id) < (cursor.occurred_at, cursor.id))
    # The page's size written in the statement (a checked whole number): a
    # generic plan, priced for LIMIT $1, would expect a tenth of the log.
    page_limit = sa.literal_column(str(int(page_size) + 1))
    query = query.order_by(audit_log.c.occurred_at.desc(), audit_log.c.id.desc()).limit(page_limit)
    # Unfiltered (the audit list as it opens, and its next pages), the plan
    # is the same whatever the values: each month's index read backwards
    # for a page.  Its generic plan is kept, which spares planning the
    # thirty partitions at each page (1.9 -> 0.8 ms at 4.8M entries), and
    # nothing needs a time limit.
    rows = _run_search(query, blame="text" if filters.text else "from", settings=not filters.is_empty())
    entries = [_entry(row) for row in rows[:page_size]]
    next_cursor = None
    if len(rows) > page_size:
        last = entries[-1]
        next_cursor = Cursor(last.occurred_at, last.id).encode()
    return AuditPage(entries, next_cursor, page_size)


def iter_entries(filters: AuditFilters, *, batch_size: int = 2000) -> Iterator[AuditEntry]:
    """Every matching entry, newest first, read through a server-side cursor
    (an export of millions of entries never holds more than one batch)."""
    query = (
        sa.select(*_COLUMNS)
        .where(*filters.conditions())
        .order_by(audit_log.c.occurred_at.desc(), audit_log.c.id.desc())
    )
    with db.engine.connect() as connection:
        result = connection.execution_options(stream_results=True, max_row_buffer=batch_size).execute(query)
        for row in result:
            yield _entry(row)


def get_entry(entry_id: int) -> AuditEntry | None:
    row = db.session.execute(sa.select(*_COLUMNS).where(audit_log.c.id == entry_id)).first()
    return _entry(row) if row else None


def find_entry(entry_id: int, occurred_at: datetime | None, filters: AuditFilters) -> AuditEntry | None:
    """The entry `entry_id` if it matches `filters` (a patient's history: one
    of that patient's rows).  Given when it occurred, it is found through the
    (occurred_at, id) index in its month's partition; by its id alone, every
    partition is read (there is no index on id alone: each would cost every
    audited write)."""
    query = sa.select(*_COLUMNS).where(audit_log.c.id == entry_id, *filters.conditions())
    if occurred_at is not None:
        query = query.where(audit_log.c.occurred_at == occurred_at)
    row = db.session.execute(query).first()
    return _entry(row) if row else None


def transaction_entries(entry: AuditEntry) -> list[AuditEntry]:
    """Every entry written by the transaction of `entry`, in the order written."""
    query = (
        sa.select(*_COLUMNS)
        .where(sa.text("audit_log.txid = CAST(:txid AS xid8)").bindparams(txid=entry.txid))
        .order_by(audit_log.c.id)
    )
    return [_entry(row) for row in db.session.execute(query)]


AUDITED_TABLES = "caretrail_audited_tables"
AUDITED_TABLES_KEPT = 60  # seconds: a table given its triggers shows in the filter within a minute


def audited_tables() -> list[str]:
    """Tables carrying the audit triggers (for the table filter's choices):
    read from the catalog once a minute per app, not at every page (a round
    trip and a join of pg_trigger, pg_class and pg_namespace)."""
    kept = current_app.extensions.get(AUDITED_TABLES)
    if kept is None or time_module.monotonic() - kept[0] > AUDITED_TABLES_KEPT:
        kept = current_app.extensions[AUDITED_TABLES] = (time_module.monotonic(), _audited_tables_now())
    return list(kept[1])


def _audited_tables_now() -> tuple[str, ...]:
    rows = db.session.execute(
        sa.text(
            "SELECT DISTINCT n.nspname || '.' || c.relname FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE t.tgname = 'audit_insert' ORDER BY 1"
        )
    )
    return tuple(name for (name,) in rows)


# A search's period may hold ten entries or millions: planned for its values (app/core/statement_plans.py).
_SEARCH_SETTINGS = sa.text(f"SELECT set_config('statement_timeout', :timeout, true), {CUSTOM_PLANS}")


def _run_search(query, *, blame: str, settings: bool = True) -> list:
    """Runs a search under SEARCH_TIMEOUT, planned for its values (for this
    transaction only); as it is, without `settings`."""
    session = db.session
    try:
        if settings:
            session.execute(_SEARCH_SETTINGS, {"timeout": SEARCH_TIMEOUT})
        return session.execute(query).all()
    except OperationalError as exc:
        session.rollback()
        if getattr(exc.orig, "sqlstate", None) == "57014":  # query_canceled
            raise AuditQueryError(
                blame, "this search reads too much of the log; narrow the period or add a filter"
            ) from None
        raise


def _parse_int(name: str, raw: str | None) -> int | None:
    if raw is None:
        return None
    if not re.fullmatch(r"[0-9]{1,18}", raw):
        # Digits past a bigint's 18 are a whole number still, one too large to be any.
        raise AuditQueryError(name, "is too large" if re.fullmatch(r"[0-9]+", raw) else "must be a whole number")
    return int(raw)


def parse_instant(name: str, raw: str | None) -> datetime | None:
    """An ISO date-time (the hospital's zone if it names none); None for none."""
    return _parse_moment(name, raw, end_of_day=False)


def _parse_moment(name: str, raw: str | None, *, end_of_day: bool) -> datetime | None:
    """ISO date or date-time; without a zone, the hospital's (config TIMEZONE).

    A bare date as the end of a period means up to the end of that day.
    """
    if raw is None:
        return None
    zone = hospital_zone()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            day = date.fromisoformat(raw)
            if end_of_day:
                day += timedelta(days=1)
            return datetime.combine(day, time.min, tzinfo=zone)
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise AuditQueryError(name, "not a date (YYYY-MM-DD) or date-time (YYYY-MM-DDTHH:MM)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


HIDDEN = "[hidden]"


def hide_unreadable(entries: Iterable[AuditEntry], actor: Actor) -> Iterator[AuditEntry]:
    """The entries as `actor` may see them: on a patient's row, the values of
    the fields their role may not read (app/security/roles.py, FIELD_MATRIX)
    are `[hidden]`; that the field changed stays visible."""
    hidden = grouped_fields(PATIENTS) - readable_fields(actor, PATIENTS)
    for entry in entries:
        # An entry read without its rows (the list) has no value to hide.
        if hidden and entry.table_name == PATIENTS_TABLE and (entry.old_row or entry.new_row):
            entry = dataclasses.replace(
                entry,
                old_row=_hide(entry.old_row, hidden),
                new_row=_hide(entry.new_row, hidden),
                _fields=None,
            )
        yield entry


def _hide(row: dict | None, hidden: frozenset[str]) -> dict | None:
    if row is None:
        return None
    return {key: (HIDDEN if key in hidden and value is not None else value) for key, value in row.items()}
