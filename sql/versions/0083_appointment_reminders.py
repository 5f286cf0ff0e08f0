"""Appointment reminders: one row per appointment, offset and start time.

Revision ID: 0083
Revises: 0082
Create Date: 2026-12-06

The worker plans a reminder when it falls due (app/agenda/reminders.py,
every minute) and sends it by e-mail with the .ics attached.  The unique
key (appointment, offset, start time) is the idempotency key: a reminder is
planned once, and an appointment moved to another time gets a new one for
its new time.  A reminder whose appointment was cancelled or moved before
it went out is marked cancelled; a patient without e-mail is marked skipped.
"""

from alembic import op

from app.audit_sql import attach_audit

revision = "0083"
down_revision = "0082"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE TABLE appointment_reminders (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    appointment_id bigint      NOT NULL,
    offset_minutes integer     NOT NULL,
    starts_at      timestamptz NOT NULL,
    channel        varchar(10) NOT NULL DEFAULT 'email',
    status         varchar(10) NOT NULL DEFAULT 'queued',
    created_at     timestamptz NOT NULL DEFAULT now(),
    sent_at        timestamptz,
    CONSTRAINT appointment_reminders_appointment_id_fkey FOREIGN KEY (appointment_id)
        REFERENCES appointments (id) ON DELETE CASCADE,
    CONSTRAINT appointment_reminders_once_key UNIQUE (appointment_id, offset_minutes, starts_at, channel),
    CONSTRAINT appointment_reminders_offset_check CHECK (offset_minutes BETWEEN 1 AND 43200),
    CONSTRAINT appointment_reminders_channel_check CHECK (channel IN ('email', 'sms')),
    CONSTRAINT appointment_reminders_status_check CHECK (status IN ('queued', 'sent', 'skipped', 'cancelled')),
    CONSTRAINT appointment_reminders_sent_check CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);
COMMENT ON TABLE appointment_reminders IS 'Reminders of appointments: planned once per appointment, offset and start time';
"""


def upgrade():
    op.execute(UPGRADE)
    attach_audit(op, "appointment_reminders")


def downgrade():
    # Detaching drops the table's own capture function (release 0021), which dropping the table would not.
    op.execute("SELECT audit_detach('public.appointment_reminders'::regclass)")
    op.execute("DROP TABLE IF EXISTS appointment_reminders")
