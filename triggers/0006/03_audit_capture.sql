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

CREATE OR REPLACE FUNCTION audit_capture() RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER  -- writes audit_log, which no application role may write
    SET search_path = pg_catalog, public
    AS $$
DECLARE
    old_row  jsonb;
    new_row  jsonb;
    row_key  text;
    user_id  integer := nullif(current_setting('caretrail.user_id', true), '')::integer;
    username text := nullif(current_setting('caretrail.username', true), '');
    claimed  text;
BEGIN
    -- Any session can SET caretrail.user_id: only the application's role and
    -- the schema's owner (migrations; superusers count as both) are believed.
    -- Another role's claim is kept aside, and the change is attributed to its
    -- database role.  Two IFs, not one: the owner lookup is a subquery, and a
    -- condition holding one is run through the executor on every call,
    -- whereas the first test is a plain expression (bench/audit_overhead).
    IF (user_id IS NOT NULL OR username IS NOT NULL) AND NOT pg_has_role(session_user, 'caretrail_app', 'MEMBER') THEN
        IF NOT pg_has_role(session_user, (SELECT relowner FROM pg_class WHERE oid = 'public.audit_log'::regclass),
                           'MEMBER') THEN
            claimed := concat_ws(' ', username, '(id ' || user_id || ')');
            user_id := NULL;
            username := NULL;
        END IF;
    END IF;

    -- TRUNCATE (the only statement-level call) has no row: one entry, rows NULL.
    IF TG_LEVEL = 'ROW' THEN
        IF TG_OP <> 'INSERT' THEN
            old_row := to_jsonb(OLD);
        END IF;
        IF TG_OP <> 'DELETE' THEN
            new_row := to_jsonb(NEW);
        END IF;
        IF strpos(TG_ARGV[0], ',') = 0 THEN
            row_key := coalesce(new_row, old_row) ->> TG_ARGV[0];
        ELSE
            SELECT string_agg(coalesce(new_row, old_row) ->> k, ',') INTO row_key
              FROM unnest(string_to_array(TG_ARGV[0], ',')) AS k;
        END IF;
        -- Secrets: the value is replaced; the change still shows in
        -- changed_columns, which is computed from the rows themselves.
        FOR i IN 1 .. TG_NARGS - 1 LOOP
            IF old_row ? TG_ARGV[i] THEN
                old_row := jsonb_set(old_row, ARRAY[TG_ARGV[i]], '"[masked]"');
            END IF;
            IF new_row ? TG_ARGV[i] THEN
                new_row := jsonb_set(new_row, ARRAY[TG_ARGV[i]], '"[masked]"');
            END IF;
        END LOOP;
    END IF;

    -- For an UPDATE, the changed columns are hstore's difference of the two
    -- rows (C code), in hstore's key order (shorter names first), unsorted:
    -- sorting takes a subquery that cost about 10% of audited UPDATE
    -- throughput.  Readers sort them (app/services/audit_search.py).  The
    -- trigger's WHEN clause already skipped updates that change nothing.
    INSERT INTO public.audit_log (statement_id, table_name, operation, row_pk, old_row, new_row, changed_columns,
                                  app_user_id, app_username, claimed_user, client_addr, application_name,
                                  request_id, reason)
    VALUES ((extract(epoch FROM statement_timestamp()) * 1000000)::bigint,
            TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, TG_OP, row_key,
            old_row, new_row,
            CASE WHEN TG_OP = 'UPDATE' THEN akeys(hstore(NEW) - hstore(OLD)) END,
            user_id, username, claimed,
            coalesce(nullif(current_setting('caretrail.client_addr', true), '')::inet, inet_client_addr()),
            nullif(current_setting('application_name'), ''),
            nullif(current_setting('caretrail.request_id', true), ''),
            nullif(current_setting('caretrail.reason', true), ''));
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
    EXECUTE format('CREATE TRIGGER audit_update AFTER UPDATE ON %s FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) '
                   'EXECUTE FUNCTION audit_capture(%s)', target, args);
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
-- would recurse or double-count).
CREATE OR REPLACE FUNCTION audit_is_exempt(table_name text) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT table_name IN ('audit_log', 'audit_chain', 'audit_seals', 'audit_archives')
                 OR table_name LIKE 'audit\_log\_%' $$;

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
