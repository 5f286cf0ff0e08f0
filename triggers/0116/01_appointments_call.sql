-- Calling a waiting patient in (release 0116): appointments.called_at and
-- called_by_id say when, and by whom, a patient who had arrived was called
-- to the consulting room; the waiting-room lists show it.
--
-- The database holds the rule: a patient is called only while their
-- appointment is arrived (not before they came, not once it is completed),
-- and only on the appointment's day in the hospital's time zone.  A call
-- already made stays on the record when the appointment is completed.

ALTER TABLE public.appointments ADD COLUMN IF NOT EXISTS called_at timestamptz;
ALTER TABLE public.appointments ADD COLUMN IF NOT EXISTS called_by_id integer;
COMMENT ON COLUMN public.appointments.called_at IS 'When the waiting patient was called in (release 0116)';
COMMENT ON COLUMN public.appointments.called_by_id IS 'Who called the patient in (release 0116)';

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'appointments_called_by_id_fkey') THEN
        ALTER TABLE public.appointments ADD CONSTRAINT appointments_called_by_id_fkey
            FOREIGN KEY (called_by_id) REFERENCES public.ab_user (id) ON DELETE SET NULL;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'appointments_called_check') THEN
        -- Only an appointment the patient came to can carry a call.
        ALTER TABLE public.appointments ADD CONSTRAINT appointments_called_check
            CHECK (called_at IS NULL OR status IN ('arrived', 'completed'));
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION public.appointments_check_call()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
BEGIN
    IF NEW.called_at IS NULL
       OR (TG_OP = 'UPDATE' AND NEW.called_at IS NOT DISTINCT FROM OLD.called_at) THEN
        RETURN NEW;
    END IF;
    IF NEW.status <> 'arrived' OR (TG_OP = 'UPDATE' AND OLD.status <> 'arrived') THEN
        RAISE EXCEPTION 'appointment % is %: only a patient who has arrived can be called', NEW.id,
                CASE WHEN TG_OP = 'UPDATE' THEN OLD.status ELSE NEW.status END
            USING ERRCODE = 'check_violation', CONSTRAINT = 'appointments_called_when_arrived',
                  HINT = 'Mark the patient arrived first; a completed appointment is not called again.';
    END IF;
    IF (NEW.starts_at AT TIME ZONE hospital_time_zone())::date
       <> (NEW.called_at AT TIME ZONE hospital_time_zone())::date THEN
        RAISE EXCEPTION 'appointment % is on %: a patient is called on the appointment''s day', NEW.id,
                (NEW.starts_at AT TIME ZONE hospital_time_zone())::date
            USING ERRCODE = 'check_violation', CONSTRAINT = 'appointments_called_on_the_day';
    END IF;
    IF (NEW.called_at AT TIME ZONE hospital_time_zone())::date
       <> (now() AT TIME ZONE hospital_time_zone())::date THEN
        RAISE EXCEPTION 'a call is recorded on the day it is made'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'appointments_called_on_the_day';
    END IF;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION public.appointments_check_call() IS
    'A patient is called only while arrived, on the appointment''s day (hospital time) (release 0116)';

DROP TRIGGER IF EXISTS appointments_called_when_arrived ON public.appointments;
CREATE TRIGGER appointments_called_when_arrived
    BEFORE INSERT OR UPDATE OF called_at ON public.appointments
    FOR EACH ROW EXECUTE FUNCTION public.appointments_check_call();
