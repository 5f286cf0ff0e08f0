"""Loading the pharmacy's drug and interaction files (CSV, docs/drugs.md).

Both imports upsert: a medication by its code, an interaction by its pair
(in either order).  A line that cannot be used is rejected with its line
number and the reason, and the others are imported; a fatal problem (a file
that cannot be read, not UTF-8, a wrong header) imports NOTHING.  Everything
is one transaction: a crash half-way leaves the reference as it was.

Lines are checked here first for plain-words reasons; the database's
constraints and triggers still apply to what is written (a line they refuse
is rejected with the constraint's message, see app/core/db_errors.py).
"""

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import SQLAlchemyError

from app.core.actor import Actor
from app.core.db_errors import violation_from_db_error
from app.prescribing.models import (
    ATC_CODE,
    SEVERITIES,
    DrugInteraction,
    Medication,
    normalize_substance,
    normalize_substances,
)
from app.security.policy import WRITE, require
from app.security.roles import DRUG_INTERACTIONS, MEDICATIONS

MEDICATION_REQUIRED = ("code", "name", "substances")
MEDICATION_OPTIONAL = ("atc_code", "form", "strength", "route", "is_narcotic", "needs_secure_prescription", "is_active")
INTERACTION_REQUIRED = ("a", "b", "severity", "message")
INTERACTION_OPTIONAL = ("source",)
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$")
SUBSTANCE_SEPARATORS = re.compile(r"[+|]")
TRUE = {"1", "yes", "y", "true", "oui", "o", "x"}
FALSE = {"0", "no", "n", "false", "non", ""}
BATCH = 500


class ImportFailed(Exception):
    """The file cannot be imported at all; nothing was written."""


@dataclass
class ImportReport:
    kind: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    dry_run: bool = False

    def __str__(self) -> str:
        outcome = "dry run: nothing saved" if self.dry_run else "saved"
        return (
            f"{self.kind}: {self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{len(self.rejected)} line(s) rejected ({outcome})"
        )


class LineRejected(ValueError):
    pass


def import_medications(
    session, actor: Actor, source, *, dry_run: bool = False, commit: bool = True, keep_existing: bool = False
) -> ImportReport:
    """Upsert medications from a CSV file (path or text stream), by code;
    keep_existing: add the missing ones only (the demo: a row someone
    changed is never put back as the file has it)."""
    require(actor, WRITE, MEDICATIONS)
    return _import(
        session,
        source,
        "medications",
        MEDICATION_REQUIRED,
        MEDICATION_OPTIONAL,
        _medication,
        partial(_upsert, model=Medication, key=("code",), keep_existing=keep_existing),
        dry_run=dry_run,
        commit=commit,
    )


def import_interactions(
    session, actor: Actor, source, *, dry_run: bool = False, commit: bool = True, keep_existing: bool = False
) -> ImportReport:
    """Upsert interactions from a CSV file (path or text stream), by pair;
    keep_existing as for import_medications."""
    require(actor, WRITE, DRUG_INTERACTIONS)
    return _import(
        session,
        source,
        "interactions",
        INTERACTION_REQUIRED,
        INTERACTION_OPTIONAL,
        _interaction,
        partial(_upsert, model=DrugInteraction, key=INTERACTION_KEY, keep_existing=keep_existing),
        dry_run=dry_run,
        commit=commit,
    )


def _import(session, source, kind, required, optional, parse_line, write, *, dry_run, commit) -> ImportReport:
    report = ImportReport(kind, dry_run=dry_run)
    rows = _read(source, required, optional)
    seen: dict = {}
    valid: list[tuple[int, dict]] = []
    for line, row in rows:
        try:
            values = parse_line(row)
        except LineRejected as rejected:
            report.rejected.append((line, str(rejected)))
            continue
        key = values.pop("_key")
        if key in seen:
            report.rejected.append((line, f"same {kind[:-1]} as line {seen[key]} (each is listed once)"))
            continue
        seen[key] = line
        valid.append((line, values))
    try:
        for start in range(0, len(valid), BATCH):
            _write_batch(session, valid[start : start + BATCH], write, report)
        if dry_run:
            session.rollback()
        elif commit:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    report.rejected.sort()
    return report


def _read(source, required: tuple, optional: tuple) -> list[tuple[int, dict]]:
    """(line number, {column: text}) for each non-blank line; ImportFailed for a file that cannot be used."""
    text = _text(source)
    if not text.strip():
        raise ImportFailed("the file is empty")
    first_line = text.splitlines()[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [name.strip().lower() for name in next(reader)]
    missing = [name for name in required if name not in header]
    unknown = [name for name in header if name not in required + optional]
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if missing or unknown or duplicated:
        problems = [
            f"missing column(s): {', '.join(missing)}" if missing else "",
            f"unknown column(s): {', '.join(unknown)}" if unknown else "",
            f"repeated column(s): {', '.join(duplicated)}" if duplicated else "",
        ]
        expected = ", ".join(required) + " [, " + ", ".join(optional) + "]"
        raise ImportFailed(f"wrong header ({'; '.join(p for p in problems if p)}); expected: {expected}")
    rows = []
    try:
        for record in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != len(header):
                rows.append((line, {"_error": f"{len(record)} field(s), the header has {len(header)}"}))
                continue
            rows.append((line, {name: cell.strip() for name, cell in zip(header, record, strict=True)}))
    except csv.Error as broken:
        raise ImportFailed(f"line {reader.line_num}: not readable as CSV ({broken})") from broken
    return rows


def _text(source) -> str:
    if isinstance(source, str | Path):
        try:
            data = Path(source).read_bytes()
        except OSError as unreadable:
            raise ImportFailed(f"cannot read {source}: {unreadable.strerror or unreadable}") from unreadable
    else:
        data = source.read()
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as not_utf8:
        raise ImportFailed(f"not UTF-8 text (byte {not_utf8.start}): save the file as UTF-8 CSV") from not_utf8


def _medication(row: dict) -> dict:
    if "_error" in row:
        raise LineRejected(row["_error"])
    code, name = row["code"], row["name"]
    if not CODE.match(code):
        raise LineRejected(f"code {code!r}: letters, digits, '.', '-' or '_', 20 characters at most")
    if not name or len(name) > 200:
        raise LineRejected("name: required, 200 characters at most")
    substances = normalize_substances(SUBSTANCE_SEPARATORS.split(row["substances"]))
    if not substances or len(substances) > 20:
        raise LineRejected("substances: 1 to 20 active substances, separated by '+'")
    if any(len(s) > 100 for s in substances):
        raise LineRejected("substances: a substance name is 100 characters at most")
    atc = row.get("atc_code", "").upper() or None
    if atc is not None and (not ATC_CODE.match(atc) or len(atc) not in (5, 7)):
        raise LineRejected(f"atc_code {atc!r}: an ATC code of level 5 (J01CA04) or 4 (J01CA)")
    values = {"_key": code, "code": code, "name": " ".join(name.split()), "substances": substances, "atc_code": atc}
    for column, limit in (("form", 100), ("strength", 100), ("route", 30)):
        value = " ".join(row.get(column, "").split()) or None
        if value is not None and len(value) > limit:
            raise LineRejected(f"{column}: {limit} characters at most")
        values[column] = value
    values["is_narcotic"] = _flag(row, "is_narcotic", default=False)
    values["needs_secure_prescription"] = (
        _flag(row, "needs_secure_prescription", default=False) or values["is_narcotic"]
    )
    values["is_active"] = _flag(row, "is_active", default=True)
    return values


def _flag(row: dict, column: str, *, default: bool) -> bool:
    raw = row.get(column)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise LineRejected(f"{column} {raw!r}: yes or no")


def parse_term(raw: str) -> tuple[str, str]:
    """('atc', 'M01A') or ('substance', 'warfarin'): an explicit 'atc:' or
    'substance:' prefix, else an ATC-shaped value is a class."""
    value = raw.strip()
    prefix, _, rest = value.partition(":")
    if rest and prefix.strip().lower() in ("atc", "substance"):
        kind, value = prefix.strip().lower(), rest.strip()
    else:
        kind = "atc" if ATC_CODE.match(value.upper()) else "substance"
    if kind == "atc":
        if not ATC_CODE.match(value.upper()):
            raise LineRejected(f"{raw!r} is not an ATC code (e.g. M01A, N06AB)")
        return "atc", value.upper()
    name = normalize_substance(value)
    if not name or len(name) > 100:
        raise LineRejected(f"{raw!r}: a substance name (100 characters at most) or an ATC class")
    return "substance", name


def _interaction(row: dict) -> dict:
    if "_error" in row:
        raise LineRejected(row["_error"])
    a, b = parse_term(row["a"]), parse_term(row["b"])
    if a == b:
        raise LineRejected(f"{row['a']!r} with itself (that is duplicate therapy, checked anyway)")
    severity = row["severity"].lower()
    if severity not in SEVERITIES:
        raise LineRejected(f"severity {row['severity']!r}: one of {', '.join(SEVERITIES)}")
    message = " ".join(row["message"].split())
    if not message:
        raise LineRejected("message: say what the interaction does")
    source = " ".join(row.get("source", "").split()) or None
    if source is not None and len(source) > 100:
        raise LineRejected("source: 100 characters at most")
    (a_kind, a_value), (b_kind, b_value) = a, b
    return {
        "_key": frozenset((a, b)),
        "a_kind": a_kind,
        "a_value": a_value,
        "b_kind": b_kind,
        "b_value": b_value,
        "severity": severity,
        "message": message,
        "source": source,
    }


def _write_batch(session, batch: list[tuple[int, dict]], write: Callable, report: ImportReport) -> None:
    """The batch in one statement; when the database refuses it, line by line
    (each in a savepoint) to name the lines it refuses."""
    try:
        with session.begin_nested():
            _count(write(session, [values for _, values in batch]), len(batch), report)
        return
    except SQLAlchemyError:
        pass
    for line, values in batch:
        try:
            with session.begin_nested():
                _count(write(session, [values]), 1, report)
        except SQLAlchemyError as refused:
            violation = violation_from_db_error(refused)
            if violation is None:
                raise
            report.rejected.append((line, violation.message))


def _count(inserted_flags: Iterable[bool], total: int, report: ImportReport) -> None:
    flags = list(inserted_flags)
    report.added += sum(flags)
    report.updated += len(flags) - sum(flags)
    report.unchanged += total - len(flags)


def _upsert(session, rows: list[dict], *, model, key: tuple[str, ...], keep_existing: bool = False) -> list[bool]:
    """INSERT ... ON CONFLICT DO UPDATE, only when something differs; True
    for each row inserted, False for each updated (unchanged ones return
    nothing).  keep_existing: ON CONFLICT DO NOTHING, a row already there
    is left as it is (counted unchanged)."""
    statement = insert(model).values(rows)
    if keep_existing:
        statement = statement.on_conflict_do_nothing(index_elements=list(key)).returning(sa.literal_column("true"))
        return [inserted for (inserted,) in session.execute(statement)]
    columns = [name for name in rows[0] if name not in key]
    table = model.__table__
    statement = statement.on_conflict_do_update(
        index_elements=list(key),
        set_={name: statement.excluded[name] for name in columns},
        where=sa.tuple_(*(table.c[name] for name in columns)).is_distinct_from(
            sa.tuple_(*(statement.excluded[name] for name in columns))
        ),
    ).returning(sa.literal_column("xmax = 0"))
    return [inserted for (inserted,) in session.execute(statement)]


INTERACTION_KEY = ("a_kind", "a_value", "b_kind", "b_value")
