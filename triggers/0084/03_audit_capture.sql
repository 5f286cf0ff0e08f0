-- CareTrail audit: capture (release 0084: on-behalf-of attribution).
--
-- One AFTER ROW trigger per table and operation (plus one per TRUNCATE
-- statement), all calling a capture function made for that table alone by
-- audit_attach(): audit_capture_<table>(), with the table's name, key and
-- masked columns written into it (no lookup, no argument parsing per row).
-- Row triggers beat statement-level triggers with transition tables for the
-- single-row writes screens and the API make (bench/audit_overhead).
--
-- Who acted comes from transaction-local settings the application sets at
-- the start of each transaction (app/core/db_context.py):
--   caretrail.user_id, caretrail.username, caretrail.request_id,
--   caretrail.client_addr, caretrail.reason, caretrail.on_behalf_of
-- They are believed only from the application's role (caretrail_app) and
-- the schema's owner.  Another role's claims are not: its change is
-- attributed to its database role, its claimed user kept aside
-- (claimed_user, with the user it claims to act for), and its client address is the connection's own, its
-- self-declared application_name and request id are not recorded.
--
-- Only CareTrail's own audited tables may write the log: a capture function
-- refuses any other table (a temporary table of the same name included),
-- and no role but the owner may execute it, so nobody else can attach it to
-- a table of theirs (CREATE TRIGGER needs EXECUTE on the function).
--
-- Safe to run more than once.

-- hstore (a contrib extension, trusted) computes the changed columns.
CREATE EXTENSION IF NOT EXISTS hstore WITH SCHEMA public;

-- The generic capture function of releases up to 0020 (one function for
-- every table, the key and masked columns as trigger arguments).  Release
-- 0021 replaces it by one function per table; migration 0021 re-attaches
-- every table, then drops it.

-- The body of each table's capture function, filled in by audit_attach():
--   %1$I  the function's name         %2$L  the table's name (relname)
--   %3$L  'public.<table>'            %4$s  masking: '' or || '{...}'::jsonb
--   %5$s  the key read from new_row   %6$s  the key read from old_row
--
-- No `SET search_path` on the function, on purpose: setting it costs about
-- 10,000 instructions at every call, i.e. at every audited row
-- (bench/audit_instructions).  The same safety comes from naming everything
-- by its schema: relations and functions as public. or pg_catalog., types
-- as pg_catalog., operators as OPERATOR(pg_catalog.=), and no construct that
-- looks an operator up by name (NULLIF, IS DISTINCT FROM, IN, CASE x WHEN
-- ...).  Whatever the caller's search_path, nothing here resolves through
-- it (tests/integration/test_audit_capture.py,
-- test_a_hostile_search_path_cannot_hijack_the_audit_trigger).  Keep it so
-- when editing: an unqualified name here is a privilege escalation.
--
-- Settings read back as '' (not NULL) once the connection has set them in
-- an earlier transaction: '' is made NULL by an explicit comparison (NULLIF
-- would look its "=" up through the search_path).
CREATE OR REPLACE FUNCTION audit_capture_source() RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $source$ SELECT $template$
CREATE OR REPLACE FUNCTION public.%1$I() RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER  -- writes audit_log, which no application role may write
    AS $capture$
DECLARE
    old_row  pg_catalog.jsonb;
    new_row  pg_catalog.jsonb;
    changed  pg_catalog.text[];
    row_key  pg_catalog.text;
    user_id  integer;
    username pg_catalog.text;
    claimed  pg_catalog.text;
    addr     pg_catalog.text;
    request  pg_catalog.text;
    app_name pg_catalog.text;
    reason   pg_catalog.text;
    user_text pg_catalog.text;
    behalf   pg_catalog.text;
BEGIN
    -- Made for one table: any other (a temporary table of the same name, a
    -- table of another schema) is refused, and nothing is written.
    IF TG_TABLE_NAME OPERATOR(pg_catalog.<>) %2$L OR TG_TABLE_SCHEMA OPERATOR(pg_catalog.<>) 'public' THEN
        RAISE EXCEPTION 'audit: %%.%% may not write the audit log (this capture function belongs to %%)',
                        TG_TABLE_SCHEMA, TG_TABLE_NAME, %3$L
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP OPERATOR(pg_catalog.=) 'INSERT' THEN
        new_row := pg_catalog.to_jsonb(NEW)%4$s;
        row_key := %5$s;
    ELSIF TG_OP OPERATOR(pg_catalog.=) 'UPDATE' THEN
        -- hstore's difference of the two rows (C code), unsorted (readers
        -- sort them); computed from the rows themselves, so a change to a
        -- masked column still shows.  An UPDATE that changes nothing writes
        -- nothing (no WHEN clause on the trigger: PostgreSQL would plan it
        -- at every UPDATE statement).
        changed := public.akeys(public.hstore(NEW) OPERATOR(public.-) public.hstore(OLD));
        IF pg_catalog.cardinality(changed) OPERATOR(pg_catalog.=) 0 THEN
            RETURN NULL;
        END IF;
        old_row := pg_catalog.to_jsonb(OLD)%4$s;
        new_row := pg_catalog.to_jsonb(NEW)%4$s;
        row_key := %5$s;
    ELSIF TG_OP OPERATOR(pg_catalog.=) 'DELETE' THEN
        old_row := pg_catalog.to_jsonb(OLD)%4$s;
        row_key := %6$s;
    END IF;  -- TRUNCATE (the statement-level call): no row, one entry

    -- Each setting read once into a variable, '' made NULL by a plain
    -- comparison (cheaper than regexp_substr(value, '.+') on every row).
    user_text := pg_catalog.current_setting('caretrail.user_id', true);
    IF user_text OPERATOR(pg_catalog.<>) '' THEN
        user_id := user_text;
    END IF;
    username := pg_catalog.current_setting('caretrail.username', true);
    IF username OPERATOR(pg_catalog.=) '' THEN
        username := NULL;
    END IF;
    addr := pg_catalog.current_setting('caretrail.client_addr', true);
    IF addr OPERATOR(pg_catalog.=) '' THEN
        addr := NULL;
    END IF;
    request := pg_catalog.current_setting('caretrail.request_id', true);
    IF request OPERATOR(pg_catalog.=) '' THEN
        request := NULL;
    END IF;
    reason := pg_catalog.current_setting('caretrail.reason', true);
    IF reason OPERATOR(pg_catalog.=) '' THEN
        reason := NULL;
    END IF;
    behalf := pg_catalog.current_setting('caretrail.on_behalf_of', true);
    IF behalf OPERATOR(pg_catalog.=) '' THEN
        behalf := NULL;
    END IF;
    app_name := pg_catalog.current_setting('application_name');
    IF app_name OPERATOR(pg_catalog.=) '' THEN
        app_name := NULL;
    END IF;
    -- Two IFs, not one: the owner lookup is a subquery, and a condition
    -- holding one is run through the executor on every call.
    IF NOT pg_catalog.pg_has_role(session_user, 'caretrail_app', 'MEMBER') THEN
        IF NOT pg_catalog.pg_has_role(session_user,
                                      (SELECT c.relowner FROM pg_catalog.pg_class c
                                        WHERE c.oid OPERATOR(pg_catalog.=) 'public.audit_log'::pg_catalog.regclass),
                                      'MEMBER') THEN
            IF user_id IS NOT NULL OR username IS NOT NULL OR behalf IS NOT NULL THEN
                claimed := pg_catalog.concat_ws(' ', username,
                                                '(id ' OPERATOR(pg_catalog.||) user_id OPERATOR(pg_catalog.||) ')',
                                                'on behalf of ' OPERATOR(pg_catalog.||) behalf);
            END IF;
            user_id := NULL;
            behalf := NULL;
            username := NULL;
            addr := NULL;
            request := NULL;
            app_name := NULL;
        END IF;
    END IF;

    INSERT INTO public.audit_log (statement_id, table_name, operation, row_pk, old_row, new_row, changed_columns,
                                  patient_id, app_user_id, app_username, claimed_user, client_addr,
                                  application_name, request_id, reason, on_behalf_of)
    VALUES ((EXTRACT(epoch FROM pg_catalog.statement_timestamp()) OPERATOR(pg_catalog.*) 1000000)::bigint,
            %3$L, TG_OP, row_key, old_row, new_row, changed,
            coalesce(new_row, old_row) OPERATOR(pg_catalog.->>) 'patient_id',
            user_id, username, claimed,
            coalesce(addr::pg_catalog.inet, pg_catalog.inet_client_addr()), app_name, request, reason, behalf);
    RETURN NULL;
END
$capture$
$template$ $source$;
COMMENT ON FUNCTION audit_capture_source() IS
    'The template of the capture function audit_attach() makes for each audited table';

-- Attach (or refresh) the audit of one table of the public schema: make its
-- capture function, then its four triggers.  Migrations call it for every
-- table they create (app/audit_sql.py: attach_audit).
CREATE OR REPLACE FUNCTION audit_attach(target regclass) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
    AS $$
DECLARE
    relation    text;
    schema_name text;
    function    text;
    key_columns text[];
    masked      text;
BEGIN
    SELECT c.relname, n.nspname INTO relation, schema_name
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = target;
    IF schema_name <> 'public' THEN
        RAISE EXCEPTION 'audit_attach(%): only tables of the public schema are audited', target;
    END IF;
    function := 'audit_capture_' || relation;
    IF octet_length(function) > 63 THEN
        RAISE EXCEPTION 'audit_attach(%): the table name is too long for its capture function''s name', target;
    END IF;
    SELECT array_agg(a.attname::text ORDER BY k.ord) INTO key_columns
      FROM pg_index i
     CROSS JOIN LATERAL unnest(i.indkey[0:i.indnkeyatts - 1]) WITH ORDINALITY AS k(attnum, ord)
      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
     WHERE i.indrelid = target AND i.indisprimary;
    IF key_columns IS NULL THEN
        RAISE EXCEPTION 'audit_attach(%): the table needs a primary key', target;
    END IF;
    -- Masked columns that the table has, replaced in one jsonb concatenation.
    SELECT ' OPERATOR(pg_catalog.||) '
           || quote_literal(jsonb_object_agg(m.column_name, '[masked]')::text) || '::pg_catalog.jsonb'
      INTO masked
      FROM audit_masked_columns m
      JOIN pg_attribute a ON a.attrelid = target AND a.attname = m.column_name AND a.attnum > 0 AND NOT a.attisdropped
     WHERE m.table_name = 'public.' || relation;
    PERFORM audit_detach(target);
    EXECUTE format(audit_capture_source(), function, relation, 'public.' || relation, coalesce(masked, ''),
                   (SELECT string_agg(format('(new_row OPERATOR(pg_catalog.->>) %L)', k),
                                      ' OPERATOR(pg_catalog.||) '','' OPERATOR(pg_catalog.||) ')
                      FROM unnest(key_columns) AS k),
                   (SELECT string_agg(format('(old_row OPERATOR(pg_catalog.->>) %L)', k),
                                      ' OPERATOR(pg_catalog.||) '','' OPERATOR(pg_catalog.||) ')
                      FROM unnest(key_columns) AS k));
    -- Only the owner executes it: nobody else can attach it to a table of theirs.
    EXECUTE format('REVOKE ALL ON FUNCTION public.%I() FROM PUBLIC', function);
    EXECUTE format('COMMENT ON FUNCTION public.%I() IS %L', function,
                   'Audit capture of ' || target::text || ' (made by audit_attach; refuses any other table)');
    EXECUTE format('CREATE TRIGGER audit_insert AFTER INSERT ON %s FOR EACH ROW EXECUTE FUNCTION public.%I()',
                   target, function);
    EXECUTE format('CREATE TRIGGER audit_update AFTER UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION public.%I()',
                   target, function);
    EXECUTE format('CREATE TRIGGER audit_delete AFTER DELETE ON %s FOR EACH ROW EXECUTE FUNCTION public.%I()',
                   target, function);
    EXECUTE format('CREATE TRIGGER audit_truncate AFTER TRUNCATE ON %s FOR EACH STATEMENT '
                   'EXECUTE FUNCTION public.%I()', target, function);
END
$$;

CREATE OR REPLACE FUNCTION audit_detach(target regclass) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    EXECUTE format('DROP TRIGGER IF EXISTS audit_insert ON %s', target);
    EXECUTE format('DROP TRIGGER IF EXISTS audit_update ON %s', target);
    EXECUTE format('DROP TRIGGER IF EXISTS audit_delete ON %s', target);
    EXECUTE format('DROP TRIGGER IF EXISTS audit_truncate ON %s', target);
    EXECUTE format('DROP FUNCTION IF EXISTS public.%I()',
                   'audit_capture_' || (SELECT c.relname FROM pg_catalog.pg_class c WHERE c.oid = target));
END
$$;

-- Which tables are not audited: audit_is_exempt(), as release 0071 left it
-- (triggers/0071/01_audit_exempt.sql); not redefined here.

-- Attach to every application table of the public schema not yet audited.
CREATE OR REPLACE FUNCTION audit_attach_all() RETURNS integer
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
    AS $$
DECLARE
    t record;
    attached integer := 0;
BEGIN
    FOR t IN
        SELECT c.oid::regclass AS target
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind = 'r' AND NOT c.relispartition
           AND NOT audit_is_exempt(c.relname)
    LOOP
        PERFORM audit_attach(t.target);
        attached := attached + 1;
    END LOOP;
    RETURN attached;
END
$$;

-- Masking is written into each table's capture function (no lookup per row):
-- a change to audit_masked_columns remakes the functions of the tables concerned.
CREATE OR REPLACE FUNCTION audit_refresh_masking() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
    AS $$
DECLARE
    affected text;
BEGIN
    FOR affected IN
        SELECT DISTINCT t FROM unnest(ARRAY[CASE WHEN TG_OP <> 'INSERT' THEN OLD.table_name END,
                                             CASE WHEN TG_OP <> 'DELETE' THEN NEW.table_name END]) AS t
         WHERE t IS NOT NULL
    LOOP
        IF to_regclass(affected) IS NOT NULL
           AND EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass(affected) AND tgname = 'audit_insert') THEN
            PERFORM audit_attach(to_regclass(affected));
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS audit_masked_columns_refresh ON audit_masked_columns;
CREATE TRIGGER audit_masked_columns_refresh AFTER INSERT OR UPDATE OR DELETE ON audit_masked_columns
    FOR EACH ROW EXECUTE FUNCTION audit_refresh_masking();
