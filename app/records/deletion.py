"""Deleting a patient: what goes with it, and the reason kept in the audit.

The database decides what a deletion does to the rows that point at the
patient (ON DELETE CASCADE, SET NULL, or a refusal); the confirmation page
reads those same foreign keys from the catalog, so it says what will really
happen, for tables that exist today and for those later issues add.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l

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

    def in_words(self) -> str:
        return rows_in_words(self.table, self.count)


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


# What the rows of each table are, in the user's words: counted ("2
# allergies") and uncounted (for a role that may not read the table).  A
# table a later issue adds and forgets here is named as it is in the database.
ROW_WORDS = {
    "appointments": (lambda n: ngettext("%(num)d appointment", "%(num)d appointments", n), _l("appointments")),
    "break_glass_grants": (
        lambda n: ngettext("%(num)d emergency access", "%(num)d emergency accesses", n),
        _l("emergency accesses"),
    ),
    "care_tasks": (lambda n: ngettext("%(num)d nursing task", "%(num)d nursing tasks", n), _l("nursing tasks")),
    "consultations": (lambda n: ngettext("%(num)d consultation", "%(num)d consultations", n), _l("consultations")),
    "documents": (
        lambda n: ngettext("%(num)d archived document", "%(num)d archived documents", n),
        _l("archived documents"),
    ),
    "hospitalisation_reports": (
        lambda n: ngettext("%(num)d hospitalisation report", "%(num)d hospitalisation reports", n),
        _l("hospitalisation reports"),
    ),
    "medication_administrations": (
        lambda n: ngettext("%(num)d medication given", "%(num)d medications given", n),
        _l("medications given"),
    ),
    "observations": (
        lambda n: ngettext("%(num)d vital sign reading", "%(num)d vital sign readings", n),
        _l("vital sign readings"),
    ),
    "patient_allergies": (lambda n: ngettext("%(num)d allergy", "%(num)d allergies", n), _l("allergies")),
    "patient_problems": (
        lambda n: ngettext("%(num)d problem or history entry", "%(num)d problems or history entries", n),
        _l("problems and history entries"),
    ),
    "patients": (
        lambda n: ngettext("%(num)d record merged into this one", "%(num)d records merged into this one", n),
        _l("records merged into this one"),
    ),
    "prescriptions": (lambda n: ngettext("%(num)d prescription", "%(num)d prescriptions", n), _l("prescriptions")),
    "vaccination_reminders": (
        lambda n: ngettext("%(num)d vaccination reminder", "%(num)d vaccination reminders", n),
        _l("vaccination reminders"),
    ),
    "vaccinations": (lambda n: ngettext("%(num)d vaccination", "%(num)d vaccinations", n), _l("vaccinations")),
}


def rows_in_words(table: str, count: int | None) -> str:
    """Rows of `table` in the user's words ("2 prescriptions"; only their
    kind when the user may not count them)."""
    words = ROW_WORDS.get(table)
    if count is None:
        return str(words[1]) if words else gettext("rows of %(table)s", table=table)
    if words:
        return words[0](count)
    return ngettext("%(num)d row of %(table)s", "%(num)d rows of %(table)s", count, table=table)


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
        rows=", ".join(rows_in_words(rows.table, rows.count) for rows in blocking),
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
