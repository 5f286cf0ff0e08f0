-- Live notifications (release 0116; first shipped in 0115): open pages learn
-- of a new alert, an appointment booked, a patient arrived or a waiting
-- patient called in, through LISTEN caretrail_live.
--
-- The payload carries ids only (a kind, a row id, and the notification's
-- own clock as a sortable id for Server-Sent Events' Last-Event-ID), never
-- patient data: NOTIFY payloads are visible to every session that LISTENs,
-- whatever its role.  The web process re-reads the row through the domain's
-- rules, as the user who will see it (app/live/events.py).
-- NOTIFY is transactional: a rolled-back booking notifies nobody.

CREATE OR REPLACE FUNCTION public.notify_live_change()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
DECLARE
    kind text;
BEGIN
    IF TG_TABLE_NAME = 'alerts' THEN
        kind := 'alert';
    ELSIF TG_OP = 'INSERT' THEN
        kind := 'appointment_booked';
    ELSIF NEW.status = 'arrived' AND OLD.status IS DISTINCT FROM 'arrived' THEN
        kind := 'patient_arrived';
    ELSIF NEW.doctor_id IS DISTINCT FROM OLD.doctor_id THEN
        kind := 'appointment_booked';
    ELSIF NEW.called_at IS NOT NULL AND NEW.called_at IS DISTINCT FROM OLD.called_at THEN
        kind := 'patient_called';
    ELSE
        RETURN NULL;
    END IF;
    PERFORM pg_notify('caretrail_live', json_build_object(
        'kind', kind,
        'id', NEW.id,
        'at', (extract(epoch FROM clock_timestamp()) * 1000000)::bigint
    )::text);
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION public.notify_live_change() IS
    'NOTIFY caretrail_live with {kind, id, at}: ids only, never patient data (release 0116)';

DROP TRIGGER IF EXISTS alerts_notify_live ON public.alerts;
CREATE TRIGGER alerts_notify_live
    AFTER INSERT ON public.alerts
    FOR EACH ROW EXECUTE FUNCTION public.notify_live_change();

DROP TRIGGER IF EXISTS appointments_notify_live ON public.appointments;
CREATE TRIGGER appointments_notify_live
    AFTER INSERT OR UPDATE OF status, doctor_id, called_at ON public.appointments
    FOR EACH ROW EXECUTE FUNCTION public.notify_live_change();
