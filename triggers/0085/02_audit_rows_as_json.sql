-- CareTrail audit: the rows as json (release 0085).
--
-- old_row and new_row hold the rows as json, written by row_to_json(),
-- which costs the capture functions less than to_jsonb() (no binary form
-- built, keys not sorted): bench/audit_instructions, README.  What was
-- stored as jsonb is kept as its text.  Nothing a reader does changes:
-- ->, ->> and #>> work on json; what needs jsonb (?, @>, jsonb_populate_record)
-- casts (restore, alerts).  The seal hashes each row as JSONB inside its
-- canonical content (audit_canonical: jsonb_build_array() turns a json
-- argument into jsonb), so an entry's link is the same whether its rows
-- were stored as jsonb or as json, and every link made before verifies.
--
-- The views over audit_log depend on the columns: they are dropped here and
-- made again by 06_audit_views.sql.
--
-- Safe to run more than once.

DO $$
BEGIN
    IF (SELECT atttypid FROM pg_attribute
         WHERE attrelid = 'public.audit_log'::regclass AND attname = 'new_row') = 'jsonb'::regtype THEN
        DROP VIEW IF EXISTS patient_history, staff_history, room_history, user_and_role_history, audit_log_readable;
        ALTER TABLE audit_log ALTER COLUMN old_row TYPE json USING old_row::json,
                              ALTER COLUMN new_row TYPE json USING new_row::json;
    END IF;
END
$$;
COMMENT ON COLUMN audit_log.old_row IS 'The whole row before the change, as json (masked columns show as "[masked]")';
COMMENT ON COLUMN audit_log.new_row IS 'The whole row after the change, as json (masked columns show as "[masked]")';
