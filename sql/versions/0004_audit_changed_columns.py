"""Audit: changed columns computed with hstore (faster audited UPDATEs).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24

Installs the audit SQL of triggers/0004/ (idempotent); the capture function
now needs the hstore extension, which 03_audit_capture.sql creates.
Downgrade: 0003's SQL again, and the extension dropped.
"""

from alembic import op

from app.audit_sql import install_frozen

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    install_frozen(op, "0004")


def downgrade():
    # 0003's capture (changed columns from jsonb_each), then the extension
    # 0004 created: refused if objects of the database still use it.
    install_frozen(op, "0003")
    op.execute("DROP EXTENSION IF EXISTS hstore")
