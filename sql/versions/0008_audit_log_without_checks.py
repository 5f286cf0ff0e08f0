"""Audit: audit_log without CHECK constraints (about 155,000 instructions
per audited row), the entry rules checked by audit_verify() instead.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

Re-installs the audit SQL from triggers/ (idempotent): audit_schema.sql drops
audit_log_operation_check and audit_log_rows_check and creates
audit_entry_is_well_formed(); audit_seal.sql's audit_verify() reports an
entry breaking those rules as "malformed".  Why: PostgreSQL 15 reads back
and plans a table's CHECK expressions at every INSERT statement, and each
audited row is one (docs/audit.md, "Where the time goes").
"""

from alembic import op

from app.audit_sql import install_audit

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    install_audit(op)


def downgrade():
    op.execute(
        """
        ALTER TABLE audit_log ADD CONSTRAINT audit_log_operation_check
            CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE'));
        ALTER TABLE audit_log ADD CONSTRAINT audit_log_rows_check
            CHECK (audit_entry_is_well_formed(operation, old_row, new_row, changed_columns));
        """
    )
