-- Agenda triggers of migration 0007 (sql/versions/0007_appointments.py creates
-- the tables first, then runs this file): updated_at, the doctor check,
-- appointment rules, working hours and absences, postponed appointments.
-- Frozen: a later change comes as a new revision's copy (triggers/README.md).

CREATE TRIGGER hospital_settings_touch_updated_at BEFORE UPDATE ON hospital_settings
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- Schedules, absences and appointments belong to a doctor (or radiologist)
-- still working here.  A trigger, not a CHECK: the rule reads staff.
CREATE OR REPLACE FUNCTION require_doctor() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
    AS $$
BEGIN
    IF NOT staff_takes_appointments(NEW.doctor_id) THEN
        RAISE EXCEPTION 'staff member % does not take appointments', NEW.doctor_id
            USING ERRCODE = 'check_violation', CONSTRAINT = TG_TABLE_NAME || '_doctor_check';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER doctor_schedule_require_doctor BEFORE INSERT OR UPDATE OF doctor_id ON doctor_schedule
    FOR EACH ROW EXECUTE FUNCTION require_doctor();
CREATE TRIGGER doctor_schedule_touch_updated_at BEFORE UPDATE ON doctor_schedule
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER doctor_absence_require_doctor BEFORE INSERT OR UPDATE OF doctor_id ON doctor_absence
    FOR EACH ROW EXECUTE FUNCTION require_doctor();
CREATE TRIGGER doctor_absence_touch_updated_at BEFORE UPDATE ON doctor_absence
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER appointment_types_touch_updated_at BEFORE UPDATE ON appointment_types
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER appointments_touch_updated_at BEFORE UPDATE ON appointments
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- End time, type rules and status transitions, before the row is written.
CREATE OR REPLACE FUNCTION appointments_check_row() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
    AS $$
DECLARE
    appointment_type appointment_types;
    allowed text[];
BEGIN
    NEW.ends_at := NEW.starts_at + NEW.duration_minutes * interval '1 minute';
    IF (TG_OP = 'INSERT' OR NEW.doctor_id <> OLD.doctor_id) AND NOT staff_takes_appointments(NEW.doctor_id) THEN
        RAISE EXCEPTION 'staff member % does not take appointments', NEW.doctor_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'appointments_doctor_check';
    END IF;
    SELECT * INTO appointment_type FROM appointment_types WHERE id = NEW.type_id;
    IF FOUND AND appointment_type.requires_room AND NEW.room_id IS NULL THEN
        RAISE EXCEPTION 'appointment type % needs a room', appointment_type.code
            USING ERRCODE = 'check_violation', CONSTRAINT = 'appointments_room_required';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF NEW.status <> OLD.status THEN
            allowed := CASE OLD.status
                WHEN 'scheduled' THEN ARRAY['confirmed', 'arrived', 'cancelled', 'no_show', 'postponed']
                WHEN 'confirmed' THEN ARRAY['scheduled', 'arrived', 'cancelled', 'no_show', 'postponed']
                WHEN 'arrived'   THEN ARRAY['completed']
                WHEN 'no_show'   THEN ARRAY['scheduled', 'confirmed', 'arrived']
                ELSE ARRAY[]::text[]  -- completed, cancelled, postponed: final
            END;
            IF NOT NEW.status = ANY (allowed) THEN
                RAISE EXCEPTION 'an appointment cannot go from % to %', OLD.status, NEW.status
                    USING ERRCODE = 'check_violation', CONSTRAINT = 'appointments_status_transition';
            END IF;
        END IF;
        -- A closed appointment is history: it keeps its time, people and place.
        IF OLD.status IN ('completed', 'cancelled', 'postponed')
           AND (NEW.starts_at, NEW.duration_minutes, NEW.doctor_id, NEW.patient_id, NEW.room_id, NEW.type_id)
               IS DISTINCT FROM
               (OLD.starts_at, OLD.duration_minutes, OLD.doctor_id, OLD.patient_id, OLD.room_id, OLD.type_id) THEN
            RAISE EXCEPTION 'a % appointment cannot be moved or reassigned', OLD.status
                USING ERRCODE = 'check_violation', CONSTRAINT = 'appointments_closed_unchanged';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER appointments_check_row BEFORE INSERT OR UPDATE ON appointments
    FOR EACH ROW EXECUTE FUNCTION appointments_check_row();

-- Working hours and absences, checked once the row is in place.  Only when
-- the booking's time or doctor changes, or it becomes active again: marking
-- an old appointment completed never fails because the schedule changed since.
CREATE OR REPLACE FUNCTION appointments_check_availability() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
    AS $$
DECLARE
    emergency boolean;
BEGIN
    IF NEW.status IN ('cancelled', 'postponed', 'no_show', 'completed') THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' AND (NEW.starts_at, NEW.ends_at, NEW.doctor_id) IS NOT DISTINCT FROM
                            (OLD.starts_at, OLD.ends_at, OLD.doctor_id)
       AND OLD.status NOT IN ('cancelled', 'postponed', 'no_show') THEN
        RETURN NULL;
    END IF;
    SELECT is_emergency INTO emergency FROM appointment_types WHERE id = NEW.type_id;
    IF emergency AND btrim(coalesce(NEW.override_reason, '')) <> '' THEN
        RETURN NULL;  -- an emergency may be seen at any time, with a reason
    END IF;
    IF doctor_absent_during(NEW.doctor_id, NEW.starts_at, NEW.ends_at) THEN
        RAISE EXCEPTION 'the doctor is absent then'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'appointments_doctor_absent',
                  HINT = 'Only an emergency, with a reason, can be booked during an absence.';
    END IF;
    IF NOT within_working_hours(NEW.doctor_id, NEW.starts_at, NEW.ends_at) THEN
        RAISE EXCEPTION 'outside the doctor''s working hours'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'appointments_working_hours',
                  HINT = 'Only an emergency, with a reason, can be booked outside working hours.';
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER appointments_check_availability AFTER INSERT OR UPDATE ON appointments
    FOR EACH ROW EXECUTE FUNCTION appointments_check_availability();

-- A postponed appointment names the one it was moved to.  Checked at commit
-- (deferred), because postponing is three steps in one transaction: free the
-- old slot, book the new one (it may overlap the old), link them.
CREATE OR REPLACE FUNCTION appointments_check_postponed() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
    AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM appointments WHERE id = NEW.id AND status = 'postponed' AND postponed_to_id IS NULL) THEN
        RAISE EXCEPTION 'a postponed appointment must name its new appointment'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'appointments_postponed_check';
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER appointments_postponed_check AFTER INSERT OR UPDATE ON appointments
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.status = 'postponed') EXECUTE FUNCTION appointments_check_postponed();
