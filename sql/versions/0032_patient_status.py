"""A patient is active, inactive or deceased (with the date of death); a
deceased patient cannot be booked.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06

A patient whose records the law keeps (archived documents, signed
prescriptions, hospitalisation reports) cannot be deleted: such a record is
marked inactive (no longer followed here) or deceased instead, and the
patients list shows the active ones first (app/records/views.py).

- patients.status: 'active' (default), 'inactive' or 'deceased';
- patients.deceased_on: the date of death, given exactly when deceased, not
  before the birth nor in the future;
- appointments_patient_alive: an appointment that is scheduled, confirmed or
  arrived cannot be booked, moved or given to a deceased patient after the
  day of death (the history before it stays as it was; nothing is cancelled
  by itself when a patient is marked deceased).
"""

from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

UPGRADE = r"""
ALTER TABLE patients
    ADD COLUMN status varchar(10) NOT NULL DEFAULT 'active'
        CONSTRAINT patients_status_check CHECK (status IN ('active', 'inactive', 'deceased')),
    ADD COLUMN deceased_on date,
    ADD CONSTRAINT patients_deceased_on_check
        CHECK ((status = 'deceased') = (deceased_on IS NOT NULL)),
    ADD CONSTRAINT patients_deceased_on_range_check
        CHECK (deceased_on >= birth_date AND deceased_on <= current_date);
COMMENT ON COLUMN patients.status IS 'active, inactive (no longer followed here) or deceased';
COMMENT ON COLUMN patients.deceased_on IS 'Date of death, exactly when status is deceased';
CREATE INDEX patients_status_idx ON patients (status) WHERE status <> 'active';

CREATE OR REPLACE FUNCTION appointments_check_patient_alive() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
    AS $$
DECLARE
    died date;
BEGIN
    IF NEW.status NOT IN ('scheduled', 'confirmed', 'arrived') THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND (NEW.starts_at, NEW.patient_id, NEW.status) IS NOT DISTINCT FROM
                            (OLD.starts_at, OLD.patient_id, OLD.status) THEN
        RETURN NEW;
    END IF;
    SELECT deceased_on INTO died FROM patients WHERE id = NEW.patient_id AND status = 'deceased';
    IF FOUND AND NEW.starts_at::date > died THEN
        RAISE EXCEPTION 'patient % died on %', NEW.patient_id, died
            USING ERRCODE = 'check_violation', CONSTRAINT = 'appointments_patient_alive';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER appointments_patient_alive BEFORE INSERT OR UPDATE ON appointments
    FOR EACH ROW EXECUTE FUNCTION appointments_check_patient_alive();
"""

DOWNGRADE = r"""
DROP TRIGGER IF EXISTS appointments_patient_alive ON appointments;
DROP FUNCTION IF EXISTS appointments_check_patient_alive();
DROP INDEX IF EXISTS patients_status_idx;
ALTER TABLE patients DROP COLUMN IF EXISTS deceased_on, DROP COLUMN IF EXISTS status;
"""


def upgrade():
    op.execute(UPGRADE)


def downgrade():
    op.execute(DOWNGRADE)
