"""Deleting a patient: what goes with it, and the reason kept in the audit.

The database decides what a deletion does to the rows that point at the
patient (ON DELETE CASCADE, SET NULL, or a refusal); the confirmation page
reads those same foreign keys from the catalog, so it says what will really
happen, for tables that exist today and for those later issues add.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext, ngettext

from app.core.extensions import db

# pg_constraint.confdeltype -> what deleting the patient does to the rows.
ON_DELETE = {"c": "deleted", "n": "unlinked", "d": "unlinked", "a": "refused", "r": "refused"}

# Single-column foreign keys onto patients, declared on the table itself
# (a partition inherits its parent's: conparentid <> 0).
REFERENCING_KEYS = sa.text(
    """
    SELECT n.nspname AS schema, c.relname AS table_name, a.attname AS column_name, con.confdeltype AS on_delete,
           has_table_privilege(c.oid, 'SELECT') AS readable
      FROM pg_constraint con
      JOIN pg_class c ON c.oid = con.conrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
     WHERE con.contype = 'f' AND con.confrelid = 'public.patients'::regclass
       AND cardinality(con.conkey) = 1 AND con.conparentid = 0
     ORDER BY 1, 2, 3
    """
)


@dataclass(frozen=True)
class DependentRows:
    table: str  # "care_notes", or "schema.table" outside public
    column: str
    effect: str  # "deleted" (cascade), "unlinked" (set null/default) or "refused" (the delete fails)
    count: int | None  # None when the acting role may not read the table


def dependent_rows(patient_id: int, session=None) -> list[DependentRows]:
    """The rows of other tables that refer to this patient and what deleting it does to them
    (only tables with at least one such row, or that the acting role may not count)."""
    session = session or db.session
    found = []
    for key in session.execute(REFERENCING_KEYS):
        name = key.table_name if key.schema == "public" else f"{key.schema}.{key.table_name}"
        effect = ON_DELETE.get(key.on_delete, "refused")
        if not key.readable:
            found.append(DependentRows(name, key.column_name, effect, None))
            continue
        table = sa.table(key.table_name, sa.column(key.column_name), schema=key.schema)
        count = session.scalar(
            sa.select(sa.func.count()).select_from(table).where(table.c[key.column_name] == patient_id)
        )
        if count:
            found.append(DependentRows(name, key.column_name, effect, count))
    return found


def _kept_rows(table: str, count: int | None) -> str:
    """Rows that must be kept, in the user's words ("2 prescriptions"; only
    their kind when the user may not count them)."""
    if count is None:
        kinds = {
            "documents": gettext("archived documents"),
            "prescriptions": gettext("prescriptions"),
            "hospitalisation_reports": gettext("hospitalisation reports"),
            "consultations": gettext("consultations"),
        }
        return kinds.get(table) or gettext("rows of %(table)s", table=table)
    counted = {
        "documents": ngettext("%(num)d archived document", "%(num)d archived documents", count),
        "prescriptions": ngettext("%(num)d prescription", "%(num)d prescriptions", count),
        "hospitalisation_reports": ngettext("%(num)d hospitalisation report", "%(num)d hospitalisation reports", count),
        "consultations": ngettext("%(num)d consultation", "%(num)d consultations", count),
    }
    return counted.get(table) or ngettext("%(num)d row of %(table)s", "%(num)d rows of %(table)s", count, table=table)


def why_not_deletable(patient_id: int, session=None) -> str | None:
    """Why deleting this patient would be refused by the database (rows that
    must be kept refer to it), in words, with what to do instead; None when
    nothing stands in the way."""
    blocking = [rows for rows in dependent_rows(patient_id, session) if rows.effect == "refused"]
    if not blocking:
        return None
    return gettext(
        "This patient cannot be deleted: %(rows)s refer to them and must be kept"
        " (an archived document or a signed prescription is never removed)."
        " Mark the patient inactive, or deceased with the date of death, instead:"
        " the record stays, out of the list of active patients.",
        rows=", ".join(_kept_rows(rows.table, rows.count) for rows in blocking),
    )


# Rows that a merge leaves with the merged record: history that may not change
# (an archived document, a signed prescription, a closed appointment).
# table -> which of its rows move (a condition on the table), None: none.
STAYS_AS_WRITTEN = {
    "documents": None,
    "break_glass_grants": None,  # a grant stays with the record it opened (its review is evidence)
    "prescriptions": lambda table: table.c.status == "draft",
    "consultations": lambda table: table.c.status == "draft",
    "appointments": lambda table: table.c.status.notin_(("completed", "cancelled", "postponed")),
}


def move_references(session, merged_id: int, keep_id: int) -> tuple[dict[str, int], dict[str, int]]:
    """Point every row that refers to patient `merged_id` and may change at
    `keep_id` (one UPDATE per foreign key; the caller commits).  Returns
    ({table: rows moved}, {table: rows left with the merged record})."""
    moved, kept = {}, {}
    for key in session.execute(REFERENCING_KEYS):
        name = key.table_name if key.schema == "public" else f"{key.schema}.{key.table_name}"
        table = sa.table(key.table_name, sa.column(key.column_name), sa.column("status"), schema=key.schema)
        column = table.c[key.column_name]
        rule = STAYS_AS_WRITTEN.get(name, lambda _table: sa.true())
        if rule is not None:
            count = session.execute(
                sa.update(table).where(column == merged_id, rule(table)).values({key.column_name: keep_id})
            ).rowcount
            if count:
                moved[name] = count
        left = session.scalar(sa.select(sa.func.count()).select_from(table).where(column == merged_id))
        if left and not (name == "patients" and key.column_name == "merged_into_id"):
            kept[name] = left
    return moved, kept
