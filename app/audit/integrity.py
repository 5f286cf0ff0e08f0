"""Seal, verify and archive the audit log (the SQL is audit_seal.sql in triggers/).

Plain functions over a SQLAlchemy connection so the CLI, the background
worker and the tests share them.
"""

import gzip
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection


@dataclass
class Seal:
    id: int
    entry_count: int
    max_entry_id: int | None
    head: str | None


@dataclass
class Problem:
    problem: str
    entry_id: int
    chain_position: int | None
    detail: str

    def __str__(self) -> str:
        where = f" (chain position {self.chain_position})" if self.chain_position else ""
        return f"{self.problem}: entry {self.entry_id}{where}: {self.detail}"


def seal(connection: Connection) -> Seal:
    row = connection.execute(text("SELECT id, entry_count, max_entry_id, head FROM audit_seal()")).one()
    return Seal(row.id, row.entry_count, row.max_entry_id, row.head.hex() if row.head else None)


def verify(connection: Connection) -> list[Problem]:
    rows = connection.execute(text("SELECT problem, entry_id, chain_position, detail FROM audit_verify()"))
    return [Problem(*row) for row in rows]


MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
PARTITION_NAME = re.compile(r"^audit_log_y(\d{4})m(\d{2})$")


def parse_month(value: str) -> date:
    match = MONTH.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a month like 2026-01")
    return date(int(match.group(1)), int(match.group(2)), 1)


@dataclass
class ArchivedPartition:
    name: str
    entries: int
    export_file: Path
    sha256: str


def archive_before(connection: Connection, before: date, export_dir: Path) -> list[ArchivedPartition]:
    """Export, then detach and drop, every monthly partition that ends on or
    before `before`.  Everything of those months must be sealed first (the
    chain then resumes from the archive's last link)."""
    seal(connection)
    export_dir.mkdir(parents=True, exist_ok=True)
    names = connection.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'public.audit_log'::regclass ORDER BY c.relname"
        )
    ).scalars()
    archived = []
    for name in names:
        month = PARTITION_NAME.match(name)
        if not month:
            continue  # the default partition
        start = datetime(int(month.group(1)), int(month.group(2)), 1, tzinfo=UTC)
        end = datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=UTC)
        if end.date() <= before:
            archived.append(_archive_partition(connection, name, start, end, export_dir))
    return archived


def _archive_partition(connection: Connection, name: str, start: datetime, end: datetime, export_dir: Path):
    unsealed = connection.execute(
        text(
            f"SELECT count(*) FROM public.{name} a "
            "WHERE NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.entry_id = a.id)"
        )
    ).scalar_one()
    if unsealed:
        raise RuntimeError(
            f"{name} has {unsealed} entries not sealed yet (transactions still running?): try again later"
        )
    export_file = export_dir / f"{name}.jsonl.gz"
    digest = hashlib.sha256()
    count = 0
    with gzip.open(export_file, "wb") as out:
        rows = connection.execute(text(f"SELECT to_jsonb(a)::text FROM public.{name} a ORDER BY id"))
        for (line,) in rows:
            data = (line + "\n").encode()
            digest.update(data)
            out.write(data)
            count += 1
    last = connection.execute(
        text(
            f"SELECT c.position, c.link FROM audit_chain c JOIN public.{name} a ON a.id = c.entry_id "
            "ORDER BY c.position DESC LIMIT 1"
        )
    ).first()
    if last is not None:
        # The chain must resume right after this month: no entry left behind
        # may have been sealed before the month's last one.
        interleaved = connection.execute(
            text(
                f"SELECT count(*) FROM audit_chain c WHERE c.position < :position "
                f"AND NOT EXISTS (SELECT 1 FROM public.{name} a WHERE a.id = c.entry_id)"
            ),
            {"position": last.position},
        ).scalar_one()
        if interleaved:
            raise RuntimeError(f"{name}: archive the earlier months first ({interleaved} older entries remain)")
    connection.execute(
        text(
            "INSERT INTO audit_archives (partition_name, range_start, range_end, entry_count, last_position, last_link,"
            " export_file, export_sha256) VALUES (:name, :start, :end, :count, :position, :link, :file, :sha)"
        ),
        {
            "name": name,
            "start": start,
            "end": end,
            "count": count,
            "position": last.position if last else None,
            "link": last.link if last else None,
            "file": str(export_file),
            "sha": digest.hexdigest(),
        },
    )
    connection.execute(text(f"DELETE FROM audit_chain c USING public.{name} a WHERE a.id = c.entry_id"))
    connection.execute(text(f"ALTER TABLE public.audit_log DETACH PARTITION public.{name}"))
    # Whole months go: no entry is updated or deleted (the append-only guard has no exception).
    connection.execute(text(f"DROP TABLE public.{name}"))
    return ArchivedPartition(name, count, export_file, digest.hexdigest())
