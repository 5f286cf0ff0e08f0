"""Audit: cheaper capture of each row (no SET search_path, no WHEN clause) and
a GIN index on changed_columns that only UPDATE entries pay for.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01

Installs the audit SQL of triggers/0011/ (idempotent) and re-attaches the
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

from app.audit_sql import install_frozen

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    install_frozen(op, "0011")
    op.execute("SELECT audit_attach_all()")


def downgrade():
    # 0008's audit (capture with its fixed search_path, audit_attach with the
    # WHEN clause), every table's triggers re-attached by it, and the GIN
    # index over every entry again.
    install_frozen(op, "0008")
    op.execute(
        """
        DROP INDEX IF EXISTS audit_log_changed_columns_idx;
        CREATE INDEX audit_log_changed_columns_idx ON audit_log USING gin (changed_columns);
        SELECT audit_attach_all();
        """
    )
