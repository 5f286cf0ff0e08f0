-- Nursing care and the medication administration record (revision 0095).
-- Safe to run twice (CREATE OR REPLACE, DROP TRIGGER IF EXISTS).

-- A dose is recorded against a line of a SIGNED prescription of the same
-- patient, on a day the prescription is in force (in the hospital's time
-- zone, within its duration when the line has one); once recorded it is
-- never changed: a mistake is told in a new note, not by rewriting history.
CREATE OR REPLACE FUNCTION medication_administrations_check_row() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    line record;
    local_day date;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'administration % is recorded and cannot be changed', OLD.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'medication_administrations_recorded';
    END IF;
    SELECT p.patient_id, p.status, p.prescribed_on, p.valid_until, i.duration_days
      INTO line
      FROM prescription_items i JOIN prescriptions p ON p.id = i.prescription_id
     WHERE i.id = NEW.prescription_item_id;
    IF NOT FOUND THEN
        RETURN NEW;  -- the foreign key refuses it
    END IF;
    IF line.patient_id <> NEW.patient_id THEN
        RAISE EXCEPTION 'prescription line % is another patient''s', NEW.prescription_item_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'medication_administrations_patient_check';
    END IF;
    local_day := (NEW.planned_at AT TIME ZONE hospital_time_zone())::date;
    IF line.status <> 'signed' OR local_day < line.prescribed_on OR local_day > line.valid_until
       OR (line.duration_days IS NOT NULL AND local_day >= line.prescribed_on + line.duration_days) THEN
        RAISE EXCEPTION 'prescription line % is not in force on %', NEW.prescription_item_id, local_day
            USING ERRCODE = 'check_violation', CONSTRAINT = 'medication_administrations_in_force';
    END IF;
    RETURN NEW;
END
$$;
DROP TRIGGER IF EXISTS medication_administrations_check_row ON medication_administrations;
CREATE TRIGGER medication_administrations_check_row BEFORE INSERT OR UPDATE ON medication_administrations
    FOR EACH ROW EXECUTE FUNCTION medication_administrations_check_row();

-- A check-off names an occurrence the task plans (starts_at, then every
-- every_hours until ends_at), of an active task; it is never changed.
CREATE OR REPLACE FUNCTION care_task_checks_check_row() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    task care_tasks;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'care check % is recorded and cannot be changed', OLD.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'care_task_checks_recorded';
    END IF;
    SELECT * INTO task FROM care_tasks WHERE id = NEW.care_task_id;
    IF NOT FOUND THEN
        RETURN NEW;  -- the foreign key refuses it
    END IF;
    IF task.status <> 'active' THEN
        RAISE EXCEPTION 'care task % is stopped', task.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'care_task_checks_task_active';
    END IF;
    IF NEW.due_at < task.starts_at OR (task.ends_at IS NOT NULL AND NEW.due_at > task.ends_at)
       OR (task.every_hours IS NULL AND NEW.due_at <> task.starts_at)
       OR (task.every_hours IS NOT NULL
           AND mod(extract(epoch FROM NEW.due_at - task.starts_at)::numeric, task.every_hours * 3600) <> 0) THEN
        RAISE EXCEPTION 'care task % plans nothing at %', task.id, NEW.due_at
            USING ERRCODE = 'check_violation', CONSTRAINT = 'care_task_checks_planned';
    END IF;
    RETURN NEW;
END
$$;
DROP TRIGGER IF EXISTS care_task_checks_check_row ON care_task_checks;
CREATE TRIGGER care_task_checks_check_row BEFORE INSERT OR UPDATE ON care_task_checks
    FOR EACH ROW EXECUTE FUNCTION care_task_checks_check_row();
