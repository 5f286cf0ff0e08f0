"""Deleting a patient: what goes with it, and the reason kept in the audit.

The database decides what a deletion does to the rows that point at the
patient (ON DELETE CASCADE, SET NULL, or a refusal); the confirmation page
reads those same foreign keys from the catalog, so it says what will really
happen, for tables that exist today and for those later issues add.
"""

from dataclasses import dataclass

import sqlalchemy as sa

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


def dependent_rows(patient_id: int) -> list[DependentRows]:
    """The rows of other tables that refer to this patient and what deleting it does to them
    (only tables with at least one such row, or that the acting role may not count)."""
    found = []
    for key in db.session.execute(REFERENCING_KEYS):
        name = key.table_name if key.schema == "public" else f"{key.schema}.{key.table_name}"
        effect = ON_DELETE.get(key.on_delete, "refused")
        if not key.readable:
            found.append(DependentRows(name, key.column_name, effect, None))
            continue
        table = sa.table(key.table_name, sa.column(key.column_name), schema=key.schema)
        count = db.session.scalar(
            sa.select(sa.func.count()).select_from(table).where(table.c[key.column_name] == patient_id)
        )
        if count:
            found.append(DependentRows(name, key.column_name, effect, count))
    return found
