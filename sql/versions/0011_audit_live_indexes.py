"""Audit: cheaper capture of each row (no SET search_path, no WHEN clause) and
a GIN index on changed_columns that only UPDATE entries pay for.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01

Re-installs the audit SQL from triggers/ (idempotent) and re-attaches the
audit triggers of every table (audit_attach_all):
- audit_capture() no longer sets its search_path at every call (about
  10,000 instructions per audited row); every name in it is schema-qualified
  instead, operators included, so a caller's search_path still cannot reach
  into it.
- the audit_update triggers lose their WHEN (OLD.* IS DISTINCT FROM NEW.*),
  which PostgreSQL read back and planned at every UPDATE statement; the
  function skips an update whose changed columns are empty instead.
- audit_log_changed_columns_idx is rebuilt partial (WHERE changed_columns IS
  NOT NULL): INSERT and DELETE entries, which have no changed columns, no
  longer go into the GIN index.  On a large log the rebuild takes a while
  (one GIN build per month partition, UPDATE entries only).
Figures: docs/audit.md, "Where the time goes".
"""

from alembic import op

from app.audit_sql import install_audit

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    install_audit(op)
    op.execute("SELECT audit_attach_all()")


def downgrade():
    # The function stays (it works with either trigger and index); the WHEN
    # clause and the full GIN index come back.
    op.execute(
        """
        DROP INDEX IF EXISTS audit_log_changed_columns_idx;
        CREATE INDEX audit_log_changed_columns_idx ON audit_log USING gin (changed_columns);
        DO $$
        DECLARE
            t record;
        BEGIN
            FOR t IN
                SELECT tg.tgrelid::regclass AS target, pg_get_triggerdef(tg.oid) AS definition
                  FROM pg_trigger tg
                 WHERE tg.tgname = 'audit_update' AND tg.tgparentid = 0 AND tg.tgqual IS NULL
            LOOP
                EXECUTE format('DROP TRIGGER audit_update ON %s', t.target);
                EXECUTE replace(t.definition, 'FOR EACH ROW EXECUTE',
                                'FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE');
            END LOOP;
        END
        $$;
        """
    )
