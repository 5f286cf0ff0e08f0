"""One index for the appointments to rebook, not two.

Revision ID: 0123
Revises: 0122
Create Date: 2026-12-07

Release 0121 added appointments_to_rebook_idx, (starts_at) WHERE
needs_rebooking, for the reception's home; release 0042 had already made
the same index, appointments_needs_rebooking_idx, for the absences that
mark appointments to rebook.  Two identical indexes serve no query better
than one, and each write to those rows kept both.  The older one stays
(tests/integration/test_index_use.py checks that no index repeats another).
"""

from alembic import op

revision = "0123"
down_revision = "0122"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("DROP INDEX IF EXISTS appointments_to_rebook_idx")


def downgrade():
    op.execute("CREATE INDEX appointments_to_rebook_idx ON appointments (starts_at) WHERE needs_rebooking")
