-- Break-the-glass grants (issue 18), release 0087.
--
-- A grant lets one user read one patient's whole record for a limited
-- time.  The database computes when it ends (granted_at + minutes, on its
-- own clock) and keeps the grant as written: the only change it accepts is
-- closing the grant's review, once, with a verdict.  Safe to run twice.

CREATE OR REPLACE FUNCTION break_glass_grant_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
    AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        -- When it ends comes from the database, never from the client.
        NEW.expires_at := NEW.granted_at + make_interval(mins => NEW.minutes);
        IF NEW.reviewed_at IS NOT NULL OR NEW.verdict IS NOT NULL THEN
            RAISE EXCEPTION 'a break-the-glass grant starts with its review open'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'break_glass_grants_review_check';
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'break-the-glass grants are kept: DELETE refused'
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'A grant and its review are evidence; they are never deleted.';
    END IF;
    -- UPDATE: closing the review, once; nothing else of the grant changes.
    IF OLD.verdict IS NOT NULL THEN
        RAISE EXCEPTION 'this break-the-glass review is already closed'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'break_glass_grants_review_closed';
    END IF;
    IF (NEW.user_id, NEW.username, NEW.patient_id, NEW.reason, NEW.granted_at, NEW.minutes, NEW.expires_at)
       IS DISTINCT FROM
       (OLD.user_id, OLD.username, OLD.patient_id, OLD.reason, OLD.granted_at, OLD.minutes, OLD.expires_at) THEN
        RAISE EXCEPTION 'a break-the-glass grant is not changed, only its review is closed'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.verdict IS NULL THEN
        RAISE EXCEPTION 'closing a break-the-glass review needs a verdict'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'break_glass_grants_review_check';
    END IF;
    NEW.reviewed_at := now();
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS break_glass_grants_guard ON break_glass_grants;
CREATE TRIGGER break_glass_grants_guard BEFORE INSERT OR UPDATE OR DELETE ON break_glass_grants
    FOR EACH ROW EXECUTE FUNCTION break_glass_grant_guard();
