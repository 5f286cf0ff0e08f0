"""The audit's deletions of each table, newest first, read from an index.

Revision ID: 0126
Revises: 0125
Create Date: 2026-12-07

The recycle bin of patients (app/audit/deleted_patients.py) lists the
DELETE entries of patients not back since, newest first.  No index gave
them: the bin read the whole log and hashed every patient's id (4.8 million
entries, 500,200 patients: 0.9 to 1.9 s a page).  triggers/0126/ adds
audit_log_deletions_idx, (table_name, occurred_at, id) for the DELETE
entries only; with the bin's check on the patient made by its primary key,
a page reads its deletions newest first and stops once full: 25 ms with 60
patients deleted among those 4.8 million entries.

Built on every partition of the log in the migrations' transaction: the
DELETE entries only, under a second at that size.
"""

from alembic import op

from app.audit_sql import install_frozen

revision = "0126"
down_revision = "0125"
branch_labels = None
depends_on = None


def upgrade():
    install_frozen(op, "0126")


def downgrade():
    op.execute("DROP INDEX IF EXISTS audit_log_deletions_idx")
