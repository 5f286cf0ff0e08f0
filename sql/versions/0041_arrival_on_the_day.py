"""Arrived and Completed only for today's appointments or past ones.

Revision ID: 0041
Revises: 0062
Create Date: 2026-12-06

An appointment four days ahead could be set to Arrived, then Completed
(which cannot be undone).  A trigger now refuses an appointment that is
arrived or completed while its day, in the hospital's time zone, is still
to come: when the status becomes arrived or completed, when such an
appointment is moved, or when one is written with that status.  Its own
function and trigger, beside appointments_check_row (0007), which is left
as it is.
"""

from alembic import op

revision = "0041"
down_revision = "0062"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE OR REPLACE FUNCTION appointments_check_arrival_day() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
    AS $$
BEGIN
    IF NEW.status IN ('arrived', 'completed')
       AND (TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status OR NEW.starts_at IS DISTINCT FROM OLD.starts_at)
       AND (NEW.starts_at AT TIME ZONE hospital_time_zone())::date > (now() AT TIME ZONE hospital_time_zone())::date
    THEN
        RAISE EXCEPTION 'an appointment on % cannot be % yet',
                (NEW.starts_at AT TIME ZONE hospital_time_zone())::date, NEW.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'appointments_arrival_day',
                  HINT = 'Arrived and Completed are for today''s appointments or past ones.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION appointments_check_arrival_day() IS
    'Arrived and completed only on the appointment''s day (hospital time) or after';
CREATE TRIGGER appointments_arrival_day BEFORE INSERT OR UPDATE ON appointments
    FOR EACH ROW EXECUTE FUNCTION appointments_check_arrival_day();
"""

DOWNGRADE = r"""
DROP TRIGGER IF EXISTS appointments_arrival_day ON appointments;
DROP FUNCTION IF EXISTS appointments_check_arrival_day();
"""


def upgrade():
    op.execute(UPGRADE)


def downgrade():
    op.execute(DOWNGRADE)
