"""Audit: audit_log without CHECK constraints (about 155,000 instructions
per audited row), the entry rules checked by audit_verify() instead.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

Installs the audit SQL of triggers/0008/ (idempotent): audit_schema.sql drops
audit_log_operation_check and audit_log_rows_check and creates
audit_entry_is_well_formed(); audit_seal.sql's audit_verify() reports an
entry breaking those rules as "malformed".  Why: PostgreSQL 15 reads back
and plans a table's CHECK expressions at every INSERT statement, and each
audited row is one (docs/audit.md, "Where the time goes").
"""

from alembic import op

from app.audit_sql import install_frozen

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    install_frozen(op, "0008")


def downgrade():
    # 0006's audit_verify() (no "malformed"), and its two CHECKs as 0006's
    # CREATE TABLE spelled them; then the function 0008 added.
    install_frozen(op, "0006")
    op.execute(
        """
        ALTER TABLE audit_log ADD CONSTRAINT audit_log_operation_check
            CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE'));
        ALTER TABLE audit_log ADD CONSTRAINT audit_log_rows_check CHECK (
            CASE operation
                WHEN 'INSERT' THEN old_row IS NULL AND new_row IS NOT NULL
                WHEN 'UPDATE' THEN old_row IS NOT NULL AND new_row IS NOT NULL AND cardinality(changed_columns) > 0
                WHEN 'DELETE' THEN old_row IS NOT NULL AND new_row IS NULL
                ELSE old_row IS NULL AND new_row IS NULL
            END
        );
        DROP FUNCTION IF EXISTS audit_entry_is_well_formed(text, jsonb, jsonb, text[]);
        """
    )
