-- Delegations (migration 0086): the rules a row of `delegations` obeys that a
-- CHECK cannot state, for every writer (the app's role and the owner alike).
--
-- * INSERT: created_at is the database's clock; a window never starts before
--   it was granted (starts_at is moved up to now()), it lasts at most
--   hospital_settings.delegation_max_days, Admin is never delegated, and a
--   new row is not already revoked.
-- * UPDATE: only the revocation may be written, once; revoked_at is the
--   database's clock.  The window, the grantee, what is granted, the reason
--   and who granted it are never rewritten.

CREATE OR REPLACE FUNCTION delegation_max_days() RETURNS integer
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, public
    AS $$ SELECT coalesce((SELECT delegation_max_days FROM public.hospital_settings WHERE id = 1), 90) $$;

CREATE OR REPLACE FUNCTION delegations_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
    AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.created_at := now();
        IF NEW.starts_at < now() THEN
            NEW.starts_at := now();
        END IF;
        IF NEW.revoked_at IS NOT NULL OR NEW.revoked_by_id IS NOT NULL OR NEW.revoke_reason IS NOT NULL THEN
            RAISE EXCEPTION 'a delegation is granted, then revoked'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'delegations_revoked_once';
        END IF;
        IF NEW.ends_at - NEW.starts_at > make_interval(days => delegation_max_days()) THEN
            RAISE EXCEPTION 'a delegation lasts at most % days', delegation_max_days()
                USING ERRCODE = 'check_violation', CONSTRAINT = 'delegations_max_length';
        END IF;
        IF NEW.role_id IS NOT NULL AND EXISTS (SELECT 1 FROM ab_role WHERE id = NEW.role_id AND name = 'Admin') THEN
            RAISE EXCEPTION 'the Admin role is never delegated'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'delegations_role_not_admin';
        END IF;
        RETURN NEW;
    END IF;
    IF (NEW.id, NEW.grantee_id, NEW.role_id, NEW.acted_for_id, NEW.starts_at, NEW.ends_at, NEW.reason,
        NEW.granted_by_id, NEW.created_at)
       IS DISTINCT FROM
       (OLD.id, OLD.grantee_id, OLD.role_id, OLD.acted_for_id, OLD.starts_at, OLD.ends_at, OLD.reason,
        OLD.granted_by_id, OLD.created_at) THEN
        RAISE EXCEPTION 'a delegation''s terms are never rewritten: revoke it and grant another'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'delegations_terms_fixed';
    END IF;
    IF OLD.revoked_at IS NOT NULL THEN
        RAISE EXCEPTION 'a delegation is revoked once, for good'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'delegations_revoked_once';
    END IF;
    IF NEW.revoked_at IS NOT NULL THEN
        NEW.revoked_at := now();
    END IF;
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS delegations_guard ON delegations;
CREATE TRIGGER delegations_guard BEFORE INSERT OR UPDATE ON delegations
    FOR EACH ROW EXECUTE FUNCTION delegations_guard();
