"""Merging two patient records: the one merged away stays, inactive, and
names the record it was merged into.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-06

- patients.merged_into_id: the patient this record was merged into (never
  itself; such a record is inactive). The merge itself
  (app/records/rules.py merge_patients) moves, in one transaction, every row
  that refers to the merged record and may still change; what is history
  by law or by rule (archived documents, signed prescriptions, completed or
  cancelled appointments) stays with the merged record, reachable from the
  kept one. Every change is audited with the merge as its reason, and can be
  put back from the audit.
"""

from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None

UPGRADE = r"""
ALTER TABLE patients
    ADD COLUMN merged_into_id bigint
        CONSTRAINT patients_merged_into_id_fkey REFERENCES patients (id) ON DELETE RESTRICT,
    ADD CONSTRAINT patients_merged_check
        CHECK (merged_into_id IS NULL OR (merged_into_id <> id AND status = 'inactive'));
COMMENT ON COLUMN patients.merged_into_id IS 'The patient this record was merged into (then inactive)';
CREATE INDEX patients_merged_into_idx ON patients (merged_into_id) WHERE merged_into_id IS NOT NULL;
"""

DOWNGRADE = r"""
DROP INDEX IF EXISTS patients_merged_into_idx;
ALTER TABLE patients DROP COLUMN IF EXISTS merged_into_id;
"""


def upgrade():
    op.execute(UPGRADE)


def downgrade():
    op.execute(DOWNGRADE)
