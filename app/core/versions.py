"""Optimistic locking: two people editing one record can no longer lose a change.

Every editable table has a `version` the database bumps at each real change
(trigger bump_row_version, migration 0020), whoever writes.  A screen's form
carries the version it was opened at and the API gives it as an ETag; a save
made from an older version is refused (StaleRecord, 412) with who changed
the record, when, and each field's value now beside the one typed.  The
audit tells who and what: its entries for the row since that version.
"""

import json

import sqlalchemy as sa

from app.core.errors import BadInput, StaleRecord
from app.core.normalize import is_digits
from app.core.timezone import local_clock

# What changed since: the audit's entries for this row written after `version`.
CHANGES_SINCE = sa.text(
    """
    SELECT app_username, db_user, occurred_at, changed_columns
      FROM audit_log
     WHERE table_name = :table AND row_pk = :pk AND operation = 'UPDATE'
       AND (new_row->>'version')::int > :version
     ORDER BY id
    """
)
# Columns every change touches: not worth showing as "changed".
BOOKKEEPING = {"version", "updated_at"}


def version_of(item) -> int | None:
    return getattr(item, "version", None)


def etag_of(item) -> str | None:
    version = version_of(item)
    return f'"{version}"' if version is not None else None


def parse_if_match(header: str | None) -> int | None:
    """The version an If-Match header names ("7", W/"7" or 7); None when absent or `*`."""
    if header is None or header.strip() in ("", "*"):
        return None
    text = header.strip().removeprefix("W/").strip('"')
    if not is_digits(text):
        raise BadInput('If-Match takes the ETag of a GET, e.g. "3".', field="If-Match")
    return int(text)


def check_if_match(session, item, header: str | None) -> None:
    check_version(session, item, parse_if_match(header))


def check_version(session, item, expected: int | None, typed: dict | None = None) -> None:
    """StaleRecord when `item` is no longer at the `expected` version (None:
    not asked).  The row is re-read under a lock first, so nobody can change
    it between this check and the caller's write."""
    if expected is None or version_of(item) is None:
        return
    session.refresh(item, with_for_update=True)
    if item.version == expected:
        return
    raise stale_record(session, item, expected, typed or {})


def stale_record(session, item, expected: int, typed: dict) -> StaleRecord:
    table = f"public.{item.__table__.name}"
    changes = session.execute(CHANGES_SINCE, {"table": table, "pk": str(item.id), "version": expected}).all()
    changed = []
    for change in changes:
        changed += [c for c in change.changed_columns or () if c not in BOOKKEEPING and c not in changed]
    last = changes[-1] if changes else None
    who = (last.app_username or f"database role {last.db_user}") if last else "someone else"
    when = f" at {local_clock(last.occurred_at)}" if last else ""
    fields = {
        name: {"now": _plain(getattr(item, name, None)), "yours": _plain(typed.get(name))}
        for name in changed
        if hasattr(item, name)
    }
    differing = [name for name, values in fields.items() if name in typed and values["now"] != values["yours"]]
    detail = "; ".join(f"{n} is now {fields[n]['now']!r} (you typed {fields[n]['yours']!r})" for n in differing)
    message = f"This record was changed by {who}{when} since you opened it"
    message += f": {detail}. Check the values and save again." if detail else ". Check it and save again."
    return StaleRecord(
        message,
        current_version=item.version,
        your_version=expected,
        changed_by=who if last else None,
        changed_at=last.occurred_at.isoformat() if last else None,
        changes=fields,
    )


def _plain(value):
    """A value as JSON and a message show it."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return json.loads(json.dumps(value, default=str))
