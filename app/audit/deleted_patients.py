"""The recycle bin: patients deleted and not back, newest deletion first."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from app.audit.search import Cursor
from app.core.extensions import db

PAGE_SIZE = 50

# The DELETE entries of patients whose row is not there today, newest first.
# The order is the one of audit_log_deletions_idx, (table_name, occurred_at,
# id) for the DELETE entries only (migration 0126), walked backwards on every
# partition, so a page reads about as many deletions as it skips, however
# deep; the next page starts strictly after the last (occurred_at, id)
# shown, the same keyset as the audit log's.  Whether the patient is back
# is asked of patients' primary key, by the deleted row's id as a number:
# compared as text, no index answered and every patient's id was hashed
# (a page took 0.9 to 1.9 s at 4.8 million entries and 500,200 patients).
QUERY = """
    SELECT a.id, a.occurred_at, a.row_pk, a.old_row, coalesce(a.app_username, a.db_user || ' (database)') AS deleted_by,
           a.reason, a.txid::text AS txid
      FROM audit_log a
     WHERE a.table_name = 'public.patients' AND a.operation = 'DELETE'
       {keyset}
       AND NOT EXISTS (SELECT 1 FROM patients p WHERE p.id = a.row_pk::bigint)
       AND NOT EXISTS (SELECT 1 FROM audit_log later
                        WHERE later.table_name = 'public.patients' AND later.row_pk = a.row_pk AND later.id > a.id)
     ORDER BY a.occurred_at DESC, a.id DESC
     LIMIT :limit
"""
FIRST_PAGE = sa.text(QUERY.format(keyset=""))
NEXT_PAGE = sa.text(QUERY.format(keyset="AND (a.occurred_at, a.id) < (:before_at, :before_id)")).bindparams(
    sa.bindparam("before_at", type_=sa.DateTime(timezone=True)), sa.bindparam("before_id", type_=sa.BigInteger)
)


@dataclass
class DeletedPatient:
    entry_id: int
    deleted_at: datetime
    patient_id: str
    last_name: str
    first_name: str
    mrn: str | None
    birth_date: str | None
    deleted_by: str
    reason: str | None


@dataclass
class DeletedPage:
    patients: list[DeletedPatient]
    next_before: str | None  # the cursor of the next page (None: this is the last)


def deleted_patients(*, before: str | None = None, page_size: int = PAGE_SIZE) -> DeletedPage:
    """One page of the bin; `before` is a previous page's `next_before`
    (AuditQueryError when it is not one)."""
    cursor = Cursor.decode(before)
    if cursor is None:
        rows = db.session.execute(FIRST_PAGE, {"limit": page_size + 1}).all()
    else:
        params = {"before_at": cursor.occurred_at, "before_id": cursor.id, "limit": page_size + 1}
        rows = db.session.execute(NEXT_PAGE, params).all()
    patients = [
        DeletedPatient(
            entry_id=row.id,
            deleted_at=row.occurred_at,
            patient_id=row.row_pk,
            last_name=row.old_row.get("last_name", ""),
            first_name=row.old_row.get("first_name", ""),
            mrn=row.old_row.get("mrn"),
            birth_date=row.old_row.get("birth_date"),
            deleted_by=row.deleted_by,
            reason=row.reason,
        )
        for row in rows[:page_size]
    ]
    last = patients[-1] if len(rows) > page_size else None
    return DeletedPage(patients, Cursor(last.deleted_at, last.entry_id).encode() if last else None)
