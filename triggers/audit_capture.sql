-- CareTrail audit: capture.
--
-- One statement-level trigger per operation and table, with transition
-- tables: an UPDATE of 1,000 rows writes its 1,000 entries with ONE
-- INSERT ... SELECT instead of 1,000 separate inserts (bench/audit_overhead
-- measures both designs).  Who acted comes from transaction-local settings
-- the application sets at the start of each transaction
-- (app/db_context.py):
--   caretrail.user_id, caretrail.username, caretrail.request_id,
--   caretrail.client_addr, caretrail.reason
-- A change made in psql has none of them and is attributed to its database
-- role (db_user), application_name and address.
--
-- Safe to run more than once.

-- The row as JSONB with the table's secret columns replaced by "[masked]".
CREATE OR REPLACE FUNCTION audit_mask(row_data jsonb, masked text[]) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
        SELECT CASE
            WHEN row_data IS NULL OR cardinality(masked) = 0 THEN row_data
            ELSE row_data || (SELECT coalesce(jsonb_object_agg(name, '"[masked]"'::jsonb), '{}'::jsonb)
                                FROM unnest(masked) AS name WHERE row_data ? name)
        END
    $$;

-- The primary key of a row as text ("42", or "3,7" for a two-column key).
CREATE OR REPLACE FUNCTION audit_row_key(row_data jsonb, key_columns text[]) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
        SELECT CASE WHEN cardinality(key_columns) = 1 THEN row_data ->> key_columns[1]
               ELSE array_to_string(ARRAY(SELECT row_data ->> k FROM unnest(key_columns) AS k), ',')
        END
    $$;

CREATE OR REPLACE FUNCTION audit_capture() RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER  -- writes audit_log even for roles that may not
    SET search_path = pg_catalog, public
    AS $$
DECLARE
    -- The primary key columns, given by audit_attach(); TG_ARGV counts from 0,
    -- the slice from 1.
    key_columns text[] := TG_ARGV[0:TG_NARGS - 1];
    qualified   text := TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME;
    masked      text[];
    statement   bigint := nextval('public.audit_statement_seq');
    user_id     integer := nullif(current_setting('caretrail.user_id', true), '')::integer;
    username    text := nullif(current_setting('caretrail.username', true), '');
    request     text := nullif(current_setting('caretrail.request_id', true), '');
    reason      text := nullif(current_setting('caretrail.reason', true), '');
    client      inet := coalesce(nullif(current_setting('caretrail.client_addr', true), '')::inet, inet_client_addr());
    application text := nullif(current_setting('application_name'), '');
BEGIN
    SELECT coalesce(array_agg(column_name), '{}') INTO masked
      FROM public.audit_masked_columns WHERE table_name = qualified;

    IF TG_OP = 'INSERT' THEN
        INSERT INTO public.audit_log (statement_id, table_name, operation, row_pk, new_row,
                                      app_user_id, app_username, client_addr, application_name, request_id, reason)
        SELECT statement, qualified, 'INSERT', audit_row_key(n.row_data, key_columns), audit_mask(n.row_data, masked),
               user_id, username, client, application, request, reason
          FROM (SELECT to_jsonb(r) AS row_data FROM new_rows r) AS n;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO public.audit_log (statement_id, table_name, operation, row_pk, old_row,
                                      app_user_id, app_username, client_addr, application_name, request_id, reason)
        SELECT statement, qualified, 'DELETE', audit_row_key(o.row_data, key_columns), audit_mask(o.row_data, masked),
               user_id, username, client, application, request, reason
          FROM (SELECT to_jsonb(r) AS row_data FROM old_rows r) AS o;
    ELSIF TG_OP = 'UPDATE' THEN
        -- Old and new versions are paired on the primary key; an UPDATE that
        -- changes nothing writes nothing.
        INSERT INTO public.audit_log (statement_id, table_name, operation, row_pk, old_row, new_row, changed_columns,
                                      app_user_id, app_username, client_addr, application_name, request_id, reason)
        SELECT statement, qualified, 'UPDATE', audit_row_key(n.row_data, key_columns),
               audit_mask(o.row_data, masked), audit_mask(n.row_data, masked), d.changed,
               user_id, username, client, application, request, reason
          FROM (SELECT to_jsonb(r) AS row_data FROM old_rows r) AS o
          JOIN (SELECT to_jsonb(r) AS row_data FROM new_rows r) AS n
            ON audit_row_key(o.row_data, key_columns) = audit_row_key(n.row_data, key_columns)
         CROSS JOIN LATERAL (
               SELECT array_agg(e.key ORDER BY e.key) AS changed
                 FROM jsonb_each(n.row_data) AS e
                WHERE e.value IS DISTINCT FROM o.row_data -> e.key
         ) AS d
         WHERE d.changed IS NOT NULL;
    ELSIF TG_OP = 'TRUNCATE' THEN
        INSERT INTO public.audit_log (statement_id, table_name, operation,
                                      app_user_id, app_username, client_addr, application_name, request_id, reason)
        VALUES (statement, qualified, 'TRUNCATE', user_id, username, client, application, request, reason);
    END IF;
    RETURN NULL;
END
$$;

-- Attach the audit triggers to one table (idempotent).  Migrations call it
-- for every table they create (sql/audit_helpers.py: attach_audit).
CREATE OR REPLACE FUNCTION audit_attach(target regclass) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
    AS $$
DECLARE
    key_args text;
BEGIN
    SELECT string_agg(quote_literal(a.attname), ', ' ORDER BY k.ord) INTO key_args
      FROM pg_index i
     CROSS JOIN LATERAL unnest(i.indkey[0:i.indnkeyatts - 1]) WITH ORDINALITY AS k(attnum, ord)
      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
     WHERE i.indrelid = target AND i.indisprimary;
    IF key_args IS NULL THEN
        RAISE EXCEPTION 'audit_attach(%): the table needs a primary key', target;
    END IF;
    PERFORM audit_detach(target);
    EXECUTE format('CREATE TRIGGER audit_insert AFTER INSERT ON %s REFERENCING NEW TABLE AS new_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION audit_capture(%s)', target, key_args);
    EXECUTE format('CREATE TRIGGER audit_update AFTER UPDATE ON %s REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION audit_capture(%s)', target, key_args);
    EXECUTE format('CREATE TRIGGER audit_delete AFTER DELETE ON %s REFERENCING OLD TABLE AS old_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION audit_capture(%s)', target, key_args);
    EXECUTE format('CREATE TRIGGER audit_truncate AFTER TRUNCATE ON %s '
                   'FOR EACH STATEMENT EXECUTE FUNCTION audit_capture(%s)', target, key_args);
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
