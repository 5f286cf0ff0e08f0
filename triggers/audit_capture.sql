-- CareTrail audit: capture.
--
-- One lean AFTER ROW trigger per table and operation (plus one per TRUNCATE
-- statement).  Measured against statement-level triggers with transition
-- tables (bench/audit_overhead, numbers in the README): the row trigger is
-- faster for the single-row writes screens and the API make, because a query
-- over transition tables is planned again at every statement, and it is on
-- par for bulk updates, whose cost is the audit rows' own WAL volume.
--
-- Who acted comes from transaction-local settings the application sets at
-- the start of each transaction (app/db_context.py):
--   caretrail.user_id, caretrail.username, caretrail.request_id,
--   caretrail.client_addr, caretrail.reason
-- A change made in psql has none of them and is attributed to its database
-- role (db_user), application_name and address.
--
-- The trigger's arguments, fixed by audit_attach(): the primary key's
-- columns (comma-separated), then the columns to mask (audit_masked_columns).
--
-- Safe to run more than once.

-- hstore (a contrib extension, trusted) computes the changed columns.
CREATE EXTENSION IF NOT EXISTS hstore WITH SCHEMA public;

-- No `SET search_path` on this function, on purpose.  A SECURITY DEFINER
-- function usually fixes its search_path so that a caller's schemas cannot
-- slip a function, operator or type of theirs into it, but setting it costs
-- about 10,000 instructions at every call, i.e. at every audited row
-- (bench/audit_instructions).  The same safety comes from naming everything
-- by its schema instead: relations and functions as public. or pg_catalog.,
-- types as pg_catalog., operators as OPERATOR(pg_catalog.=), and no
-- construct that looks an operator up by name (NULLIF, IS DISTINCT FROM,
-- IN, CASE x WHEN ...).  Whatever the caller's search_path, nothing here
-- resolves through it (tests/integration/test_audit_capture.py,
-- test_a_hostile_search_path_cannot_hijack_the_audit_trigger).  Keep it so
-- when editing: an unqualified name here is a privilege escalation.
--
-- Settings read back as '' (not NULL) once the connection has set them in
-- an earlier transaction; regexp_substr(value, '.+') is the value, or NULL
-- when it is empty (NULLIF would look its "=" up through the search_path,
-- and CASE WHEN value <> '' THEN value END reads each setting twice, 12,000
-- instructions more per row).
CREATE OR REPLACE FUNCTION audit_capture() RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER  -- writes audit_log, which no application role may write
    AS $$
DECLARE
    old_row  pg_catalog.jsonb;
    new_row  pg_catalog.jsonb;
    changed  pg_catalog.text[];
    row_key  pg_catalog.text;
    user_id  integer;
    username pg_catalog.text;
    claimed  pg_catalog.text;
BEGIN
    -- TRUNCATE (the only statement-level call) has no row: one entry, rows NULL.
    IF TG_LEVEL OPERATOR(pg_catalog.=) 'ROW' THEN
        -- For an UPDATE, the changed columns are hstore's difference of the
        -- two rows (C code), in hstore's key order (shorter names first),
        -- unsorted: sorting takes a subquery that cost about 10% of audited
        -- UPDATE throughput.  Readers sort them (app/services/audit_search.py).
        -- Computed from the rows themselves, so a change to a masked column
        -- still shows.  An UPDATE that changes nothing writes nothing: this
        -- test replaces the trigger's former WHEN (OLD.* IS DISTINCT FROM
        -- NEW.*), which PostgreSQL read back and planned at every UPDATE
        -- statement (about 20,000 instructions per audited single-row UPDATE).
        IF TG_OP OPERATOR(pg_catalog.=) 'UPDATE' THEN
            changed := public.akeys(public.hstore(NEW) OPERATOR(public.-) public.hstore(OLD));
            IF pg_catalog.cardinality(changed) OPERATOR(pg_catalog.=) 0 THEN
                RETURN NULL;
            END IF;
        END IF;
        -- OLD is NULL for an INSERT and NEW for a DELETE, and so is to_jsonb() of it.
        old_row := pg_catalog.to_jsonb(OLD);
        new_row := pg_catalog.to_jsonb(NEW);
        IF TG_NARGS OPERATOR(pg_catalog.=) 1 AND pg_catalog.strpos(TG_ARGV[0], ',') OPERATOR(pg_catalog.=) 0 THEN
            -- Most tables: a one-column key and nothing to mask.
            row_key := coalesce(new_row, old_row) OPERATOR(pg_catalog.->>) TG_ARGV[0];
        ELSE
            SELECT pg_catalog.string_agg(coalesce(new_row, old_row) OPERATOR(pg_catalog.->>) k, ',') INTO row_key
              FROM pg_catalog.unnest(pg_catalog.string_to_array(TG_ARGV[0], ',')) AS k;
            -- Secrets: the value is replaced.
            FOR i IN 1 .. TG_NARGS OPERATOR(pg_catalog.-) 1 LOOP
                IF old_row OPERATOR(pg_catalog.?) TG_ARGV[i] THEN
                    old_row := pg_catalog.jsonb_set(old_row, ARRAY[TG_ARGV[i]], '"[masked]"');
                END IF;
                IF new_row OPERATOR(pg_catalog.?) TG_ARGV[i] THEN
                    new_row := pg_catalog.jsonb_set(new_row, ARRAY[TG_ARGV[i]], '"[masked]"');
                END IF;
            END LOOP;
        END IF;
    END IF;

    -- Any session can SET caretrail.user_id: only the application's role and
    -- the schema's owner (migrations; superusers count as both) are believed.
    -- Another role's claim is kept aside, and the change is attributed to its
    -- database role.  Two IFs, not one: the owner lookup is a subquery, and a
    -- condition holding one is run through the executor on every call,
    -- whereas the first test is a plain expression (bench/audit_overhead).
    user_id := pg_catalog.regexp_substr(pg_catalog.current_setting('caretrail.user_id', true), '.+');
    username := pg_catalog.regexp_substr(pg_catalog.current_setting('caretrail.username', true), '.+');
    IF (user_id IS NOT NULL OR username IS NOT NULL)
       AND NOT pg_catalog.pg_has_role(session_user, 'caretrail_app', 'MEMBER') THEN
        IF NOT pg_catalog.pg_has_role(session_user,
                                      (SELECT c.relowner FROM pg_catalog.pg_class c
                                        WHERE c.oid OPERATOR(pg_catalog.=) 'public.audit_log'::pg_catalog.regclass),
                                      'MEMBER') THEN
            claimed := pg_catalog.concat_ws(' ', username,
                                            '(id ' OPERATOR(pg_catalog.||) user_id OPERATOR(pg_catalog.||) ')');
            user_id := NULL;
            username := NULL;
        END IF;
    END IF;

    INSERT INTO public.audit_log (statement_id, table_name, operation, row_pk, old_row, new_row, changed_columns,
                                  app_user_id, app_username, claimed_user, client_addr, application_name,
                                  request_id, reason)
    VALUES ((EXTRACT(epoch FROM pg_catalog.statement_timestamp()) OPERATOR(pg_catalog.*) 1000000)::bigint,
            TG_TABLE_SCHEMA OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) TG_TABLE_NAME, TG_OP, row_key,
            old_row, new_row, changed,
            user_id, username, claimed,
            coalesce(pg_catalog.regexp_substr(pg_catalog.current_setting('caretrail.client_addr', true),
                                              '.+')::pg_catalog.inet,
                     pg_catalog.inet_client_addr()),
            pg_catalog.regexp_substr(pg_catalog.current_setting('application_name'), '.+'),
            pg_catalog.regexp_substr(pg_catalog.current_setting('caretrail.request_id', true), '.+'),
            pg_catalog.regexp_substr(pg_catalog.current_setting('caretrail.reason', true), '.+'));
    RETURN NULL;
END
$$;

-- Attach (or refresh) the audit triggers of one table.  Migrations call it
-- for every table they create (app/audit_sql.py: attach_audit).
CREATE OR REPLACE FUNCTION audit_attach(target regclass) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
    AS $$
DECLARE
    key_columns text;
    args        text;
BEGIN
    SELECT string_agg(a.attname, ',' ORDER BY k.ord) INTO key_columns
      FROM pg_index i
     CROSS JOIN LATERAL unnest(i.indkey[0:i.indnkeyatts - 1]) WITH ORDINALITY AS k(attnum, ord)
      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
     WHERE i.indrelid = target AND i.indisprimary;
    IF key_columns IS NULL THEN
        RAISE EXCEPTION 'audit_attach(%): the table needs a primary key', target;
    END IF;
    SELECT string_agg(quote_literal(m.column_name), ', ' ORDER BY m.column_name) INTO args
      FROM audit_masked_columns m
     WHERE m.table_name = (SELECT n.nspname || '.' || c.relname FROM pg_class c
                             JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = target);
    args := quote_literal(key_columns) || coalesce(', ' || args, '');
    PERFORM audit_detach(target);
    EXECUTE format('CREATE TRIGGER audit_insert AFTER INSERT ON %s FOR EACH ROW EXECUTE FUNCTION audit_capture(%s)',
                   target, args);
    -- No WHEN clause: audit_capture() itself skips an UPDATE that changes nothing.
    EXECUTE format('CREATE TRIGGER audit_update AFTER UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION audit_capture(%s)',
                   target, args);
    EXECUTE format('CREATE TRIGGER audit_delete AFTER DELETE ON %s FOR EACH ROW EXECUTE FUNCTION audit_capture(%s)',
                   target, args);
    EXECUTE format('CREATE TRIGGER audit_truncate AFTER TRUNCATE ON %s FOR EACH STATEMENT '
                   'EXECUTE FUNCTION audit_capture(%s)', target, args);
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
END
$$;

-- Tables that are NOT audited: the audit's own tables (auditing the audit
-- would recurse or double-count), and the job queue's (procrastinate_*,
-- migration 0081: machinery whose every state change would wake the alert
-- engine that reads this log), and the alert engine's cursor (0082).
CREATE OR REPLACE FUNCTION audit_is_exempt(table_name text) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT table_name IN ('audit_log', 'audit_chain', 'audit_seals', 'audit_archives', 'alert_cursor')
                 OR table_name LIKE 'audit\_log\_%'
                 OR table_name LIKE 'procrastinate\_%' $$;

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

-- Masking is part of each table's trigger arguments (no lookup per row): a
-- change to audit_masked_columns refreshes the triggers of the tables concerned.
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
