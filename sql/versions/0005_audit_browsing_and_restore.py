"""Audit browsing and restore: the time and patient indexes of the audit
screens, and audit_restore() (triggers/0005/04_audit_restore.sql).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24

Installs the audit SQL of triggers/0005/ (idempotent): it creates
audit_log_time_idx and audit_log_patient_idx, drops the BRIN index the time
btree replaces, and (re)creates audit_restore().  The application's role
loses write access to audit_masked_columns.
"""

from alembic import op

from app.audit_sql import install_frozen

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    install_frozen(op, "0005")
    op.execute(
        """
        REVOKE ALL ON FUNCTION audit_restore(bigint, text, boolean, text) FROM PUBLIC;
        REVOKE ALL ON FUNCTION audit_restore_row(audit_log, text) FROM PUBLIC;
        GRANT EXECUTE ON FUNCTION audit_restore(bigint, text, boolean, text) TO caretrail_app;
        GRANT EXECUTE ON FUNCTION audit_restore_row(audit_log, text) TO caretrail_app;
        -- Which columns are masked is the DBA's decision, not the application's
        -- (0003 granted the app role write access to every table, this one too).
        REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON audit_masked_columns FROM caretrail_app;
        GRANT SELECT ON audit_masked_columns TO caretrail_app;
        """
    )


def downgrade():
    op.execute(
        """
        DROP FUNCTION IF EXISTS audit_restore(bigint, text, boolean, text);
        DROP FUNCTION IF EXISTS audit_restore_row(audit_log, text);
        DROP INDEX IF EXISTS audit_log_patient_idx;
        DROP INDEX IF EXISTS audit_log_time_idx;
        """
    )
    # 0004's audit (it creates the time BRIN again), and the app role's
    # access to audit_masked_columns as 0003 left it.
    install_frozen(op, "0004")
    op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON audit_masked_columns TO caretrail_app")
