"""Bounds on the free text of the security log and the journal of reads:
the application cuts a typed username to 150 characters and a detail to
500 (app/security/seclog.py, app/security/journal.py); the database holds
the same bounds, whoever writes.

Revision ID: 0072
Revises: 0071
Create Date: 2026-12-06
"""

from alembic import op

revision = "0072"
down_revision = "0071"
branch_labels = None
depends_on = None

# (table, constraint, column, length): the other text columns are the
# application's own words, held by their CHECKs (event, door, kind, action).
BOUNDS = (
    ("security_log", "security_log_username_length", "username", 150),
    ("security_log", "security_log_actor_length", "actor", 150),
    ("security_log", "security_log_detail_length", "detail", 500),
    ("access_log", "access_log_username_length", "username", 150),
    ("access_log", "access_log_on_behalf_of_length", "on_behalf_of", 150),
    ("user_sessions", "user_sessions_ended_reason_length", "ended_reason", 100),
)


def upgrade():
    for table, name, column, length in BOUNDS:
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK (length({column}) <= {length})")


def downgrade():
    for table, name, _column, _length in BOUNDS:
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
