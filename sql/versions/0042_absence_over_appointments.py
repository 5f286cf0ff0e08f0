"""An absence over booked appointments needs a decision for each of them.

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-06

An absence could be added over confirmed appointments with no warning, and
they stayed booked.  Now every appointment still to be seen (scheduled or
confirmed) that an absence covers carries a decision, made in the same
transaction as the absence:

- `needs_rebooking`: to be rebooked (the secretaries' list "To be rebooked";
  postponing or cancelling it takes it off the list);
- `absence_exception_reason`: kept as an exception, and why (the doctor
  sees this patient anyway).

A deferred constraint trigger on doctor_absence refuses, at commit, an
absence (new, or moved to another period or doctor) that covers an
appointment without either; emergencies booked with an override reason are
exceptions already.  The appointments table is audited already (0007): the
new columns are captured with the rest.

An absence and a booking written at the same time by two people could each
miss the other (neither sees the other's uncommitted row): both take a
transaction lock on the doctor's agenda (pg_advisory_xact_lock on the
doctor's id), the booking when its time or doctor changes, the absence when
its check runs at commit, so the second one sees the first and is refused.
"""

from alembic import op

revision = "0042"
down_revision = "0041"
branch_labels = None
depends_on = None

UPGRADE = r"""
ALTER TABLE appointments
    ADD COLUMN needs_rebooking boolean NOT NULL DEFAULT false,
    ADD COLUMN absence_exception_reason varchar(500),
    ADD CONSTRAINT appointments_absence_exception_reason_check
        CHECK (absence_exception_reason IS NULL OR btrim(absence_exception_reason) <> ''),
    ADD CONSTRAINT appointments_absence_decision_check
        CHECK (NOT (needs_rebooking AND absence_exception_reason IS NOT NULL));
COMMENT ON COLUMN appointments.needs_rebooking IS
    'An absence covers it and it is to be rebooked (the secretaries'' list)';
COMMENT ON COLUMN appointments.absence_exception_reason IS
    'An absence covers it and it is kept anyway: why';
CREATE INDEX appointments_needs_rebooking_idx ON appointments (starts_at) WHERE needs_rebooking;

-- Appointments still to be seen that an absence covers with no decision
-- (an emergency with its override reason is an exception already).
CREATE OR REPLACE FUNCTION appointments_covered_without_decision(doctor bigint, period_start timestamptz,
                                                                 period_end timestamptz)
    RETURNS SETOF bigint
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, public
    AS $$
        SELECT a.id
          FROM appointments a
          JOIN appointment_types t ON t.id = a.type_id
         WHERE a.doctor_id = doctor
           AND a.status IN ('scheduled', 'confirmed')
           AND a.starts_at < period_end AND a.ends_at > period_start
           AND NOT a.needs_rebooking
           AND a.absence_exception_reason IS NULL
           AND NOT (t.is_emergency AND btrim(coalesce(a.override_reason, '')) <> '')
    $$;

-- One doctor's agenda, locked until the end of the transaction: a booking
-- and an absence of the same doctor are checked one after the other.
CREATE OR REPLACE FUNCTION lock_doctor_agenda(doctor bigint) RETURNS void
    LANGUAGE sql
    AS $$ SELECT pg_catalog.pg_advisory_xact_lock(20261207, pg_catalog.hashint8(doctor)) $$;

CREATE OR REPLACE FUNCTION appointments_lock_doctor_agenda() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
    AS $$
BEGIN
    IF TG_OP = 'INSERT' OR (NEW.doctor_id, NEW.starts_at, NEW.duration_minutes, NEW.status)
                           IS DISTINCT FROM (OLD.doctor_id, OLD.starts_at, OLD.duration_minutes, OLD.status) THEN
        PERFORM lock_doctor_agenda(NEW.doctor_id);
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER appointments_lock_doctor_agenda BEFORE INSERT OR UPDATE ON appointments
    FOR EACH ROW EXECUTE FUNCTION appointments_lock_doctor_agenda();

CREATE OR REPLACE FUNCTION doctor_absence_check_covered() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
    AS $$
DECLARE
    absence doctor_absence;
    covered bigint[];
BEGIN
    IF TG_OP = 'UPDATE' AND (NEW.doctor_id, NEW.starts_at, NEW.ends_at) IS NOT DISTINCT FROM
                            (OLD.doctor_id, OLD.starts_at, OLD.ends_at) THEN
        RETURN NULL;  -- its reason changed, not its period
    END IF;
    -- Checked at commit: the row as it is then (deleted meanwhile: nothing to check).
    SELECT * INTO absence FROM doctor_absence WHERE id = NEW.id;
    IF NOT FOUND OR absence.ends_at <= absence.starts_at THEN
        RETURN NULL;
    END IF;
    -- A booking of this doctor being written now is waited for, then seen.
    PERFORM lock_doctor_agenda(absence.doctor_id);
    SELECT array_agg(id ORDER BY id) INTO covered
      FROM appointments_covered_without_decision(absence.doctor_id, absence.starts_at, absence.ends_at) AS id;
    IF covered IS NOT NULL THEN
        RAISE EXCEPTION 'the absence covers appointments % with no decision', covered
            USING ERRCODE = 'check_violation', CONSTRAINT = 'doctor_absence_covers_appointments',
                  HINT = 'Mark each one to be rebooked (needs_rebooking) or kept (absence_exception_reason).';
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER doctor_absence_covers_appointments AFTER INSERT OR UPDATE ON doctor_absence
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION doctor_absence_check_covered();
"""

DOWNGRADE = r"""
DROP TRIGGER IF EXISTS doctor_absence_covers_appointments ON doctor_absence;
DROP FUNCTION IF EXISTS doctor_absence_check_covered();
DROP TRIGGER IF EXISTS appointments_lock_doctor_agenda ON appointments;
DROP FUNCTION IF EXISTS appointments_lock_doctor_agenda();
DROP FUNCTION IF EXISTS lock_doctor_agenda(bigint);
DROP FUNCTION IF EXISTS appointments_covered_without_decision(bigint, timestamptz, timestamptz);
DROP INDEX IF EXISTS appointments_needs_rebooking_idx;
ALTER TABLE appointments
    DROP COLUMN IF EXISTS absence_exception_reason,
    DROP COLUMN IF EXISTS needs_rebooking;
"""


def upgrade():
    op.execute(UPGRADE)


def downgrade():
    op.execute(DOWNGRADE)
