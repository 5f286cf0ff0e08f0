"""Audit: changed columns computed with hstore (faster audited UPDATEs).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24

Re-installs the audit SQL from triggers/ (idempotent); the capture function
now needs the hstore extension, which triggers/audit_capture.sql creates.
"""

from alembic import op

from app.audit_sql import install_audit

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    install_audit(op)


def downgrade():
    # The previous function body is equivalent for every reader; only its
    # speed differs, so there is nothing to undo but the extension, which
    # other objects may use by now.
    pass
