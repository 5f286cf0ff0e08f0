"""Audit release 0122: restoring a transaction reads its entries once.

Revision ID: 0122
Revises: 0121
Create Date: 2026-12-07

audit_restore(id, 'transaction') read the ids of the transaction's entries
through the txid index, then each entry again by its id alone, which no
index serves (there is none on id alone: it would cost every audited
write): every partition, ten entries 56 ms at 4.8 million entries, twice
per screen (the preview runs the restore and rolls it back), where the
transaction's entries, whole, take under 10.  They are now read once, in
the statement that found them
(triggers/0122/04_audit_restore.sql; the function's signature, grants and
behaviour are unchanged).
"""

from alembic import op

from app.audit_sql import install_frozen

revision = "0122"
down_revision = "0121"
branch_labels = None
depends_on = None


def upgrade():
    install_frozen(op, "0122")


def downgrade():
    install_frozen(op, "0085", only=("audit_restore.sql",))
