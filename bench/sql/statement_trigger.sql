-- The alternative design measured by bench/audit_overhead: statement-level
-- triggers with transition tables, one INSERT ... SELECT per statement.
-- Not installed by the application (see README, "Audit performance").
CREATE SEQUENCE IF NOT EXISTS bench_statement_seq;

CREATE OR REPLACE FUNCTION bench_mask(row_data jsonb, masked text[]) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
        SELECT CASE
            WHEN row_data IS NULL OR cardinality(masked) = 0 THEN row_data
            ELSE row_data || (SELECT coalesce(jsonb_object_agg(name, '"[masked]"'::jsonb), '{}'::jsonb)
                                FROM unnest(masked) AS name WHERE row_data ? name)
        END
    $$;

-- The primary key of a row as text ("42", or "3,7" for a two-column key).
CREATE OR REPLACE FUNCTION bench_row_key(row_data jsonb, key_columns text[]) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
        SELECT CASE WHEN cardinality(key_columns) = 1 THEN row_data ->> key_columns[1]
               ELSE array_to_string(ARRAY(SELECT row_data ->> k FROM unnest(key_columns) AS k), ',')
        END
    $$;

CREATE OR REPLACE FUNCTION bench_audit_capture_statement() RETURNS trigger
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
    statement   bigint := nextval('public.bench_statement_seq');
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
        SELECT statement, qualified, 'INSERT', bench_row_key(n.row_data, key_columns), bench_mask(n.row_data, masked),
               user_id, username, client, application, request, reason
          FROM (SELECT to_jsonb(r) AS row_data FROM new_rows r) AS n;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO public.audit_log (statement_id, table_name, operation, row_pk, old_row,
                                      app_user_id, app_username, client_addr, application_name, request_id, reason)
        SELECT statement, qualified, 'DELETE', bench_row_key(o.row_data, key_columns), bench_mask(o.row_data, masked),
               user_id, username, client, application, request, reason
          FROM (SELECT to_jsonb(r) AS row_data FROM old_rows r) AS o;
    ELSIF TG_OP = 'UPDATE' THEN
        -- Old and new versions are paired on the primary key; an UPDATE that
        -- changes nothing writes nothing.
        INSERT INTO public.audit_log (statement_id, table_name, operation, row_pk, old_row, new_row, changed_columns,
                                      app_user_id, app_username, client_addr, application_name, request_id, reason)
        SELECT statement, qualified, 'UPDATE', bench_row_key(n.row_data, key_columns),
               bench_mask(o.row_data, masked), bench_mask(n.row_data, masked), d.changed,
               user_id, username, client, application, request, reason
          FROM (SELECT to_jsonb(r) AS row_data FROM old_rows r) AS o
          JOIN (SELECT to_jsonb(r) AS row_data FROM new_rows r) AS n
            ON bench_row_key(o.row_data, key_columns) = bench_row_key(n.row_data, key_columns)
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


CREATE OR REPLACE FUNCTION bench_attach_statement_triggers(target regclass) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    EXECUTE format('CREATE TRIGGER bench_stmt_insert AFTER INSERT ON %s REFERENCING NEW TABLE AS new_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION bench_audit_capture_statement(''id'')', target);
    EXECUTE format('CREATE TRIGGER bench_stmt_update AFTER UPDATE ON %s REFERENCING OLD TABLE AS old_rows '
                   'NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bench_audit_capture_statement(''id'')', target);
    EXECUTE format('CREATE TRIGGER bench_stmt_delete AFTER DELETE ON %s REFERENCING OLD TABLE AS old_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION bench_audit_capture_statement(''id'')', target);
END
$$;

CREATE OR REPLACE FUNCTION bench_detach_statement_triggers(target regclass) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    EXECUTE format('DROP TRIGGER IF EXISTS bench_stmt_insert ON %s', target);
    EXECUTE format('DROP TRIGGER IF EXISTS bench_stmt_update ON %s', target);
    EXECUTE format('DROP TRIGGER IF EXISTS bench_stmt_delete ON %s', target);
END
$$;
