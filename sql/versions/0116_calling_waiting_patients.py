"""Calling a waiting patient in: when, and by whom.

Revision ID: 0116
Revises: 0115
Create Date: 2026-12-06

- appointments.called_at, called_by_id (triggers/0116/01_appointments_call.sql):
  a patient is called only while their appointment is arrived, on its day
  (hospital time); the CHECK appointments_called_check keeps a call only on
  an arrived or completed appointment.
- notify_live_change() also NOTIFYs `patient_called`
  (triggers/0116/02_live_notify.sql), so the open waiting-room lists follow.
"""

from alembic import op

from app.audit_sql import install_frozen

revision = "0116"
down_revision = "0115"
branch_labels = None
depends_on = None

DOWNGRADE = """
DROP TRIGGER IF EXISTS appointments_called_when_arrived ON appointments;
DROP FUNCTION IF EXISTS appointments_check_call();
ALTER TABLE appointments DROP CONSTRAINT IF EXISTS appointments_called_check;
ALTER TABLE appointments DROP CONSTRAINT IF EXISTS appointments_called_by_id_fkey;
ALTER TABLE appointments DROP COLUMN IF EXISTS called_by_id;
ALTER TABLE appointments DROP COLUMN IF EXISTS called_at;
"""


def upgrade():
    install_frozen(op, "0116")


def downgrade():
    install_frozen(op, "0115")  # the live trigger no longer watches called_at, before the column goes
    op.execute(DOWNGRADE)
