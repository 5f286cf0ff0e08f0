"""The recycle bin: patients deleted and not back, newest deletion first."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from app.extensions import db

PAGE_SIZE = 50

# The DELETE entries of patients whose row is not there today; walking
# audit_log_record_idx backwards (table_name, row_pk, id) would group by row,
# so the newest-first walk uses the time index and filters.
QUERY = sa.text(
    """
    SELECT a.id, a.occurred_at, a.row_pk, a.old_row, coalesce(a.app_username, a.db_user || ' (database)') AS deleted_by,
           a.reason, a.txid::text AS txid
      FROM audit_log a
     WHERE a.table_name = 'public.patients' AND a.operation = 'DELETE'
       AND (CAST(:before AS bigint) IS NULL OR a.id < :before)
       AND NOT EXISTS (SELECT 1 FROM patients p WHERE p.id::text = a.row_pk)
       AND NOT EXISTS (SELECT 1 FROM audit_log later
                        WHERE later.table_name = 'public.patients' AND later.row_pk = a.row_pk AND later.id > a.id)
     ORDER BY a.id DESC
     LIMIT :limit
    """
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
    next_before: int | None


def deleted_patients(*, before: int | None = None, page_size: int = PAGE_SIZE) -> DeletedPage:
    rows = db.session.execute(QUERY, {"before": before, "limit": page_size + 1}).all()
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
    return DeletedPage(patients, patients[-1].entry_id if len(rows) > page_size else None)
