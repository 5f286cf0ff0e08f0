-- The floor measured by bench/audit_overhead: the least any full-row audit
-- trigger can cost.  One AFTER ROW trigger doing a single INSERT of
-- to_jsonb(OLD) and to_jsonb(NEW) into an unpartitioned table with no index,
-- no constraint, no attribution, no masking and no changed columns.  Nobody
-- could search or trust such a log; it is here only to show how much of the
-- overhead is the row's own copy (WAL and heap) rather than CareTrail's design.
--
-- The second floor, "indexed", is the same bare trigger plus only what the
-- DBA's questions cannot do without: the key of the row, the transaction, the
-- user, and the four btrees that answer "history of one record", "one user
-- in a time range", "everything in a time range" and "one transaction"
-- (bench_indexed_log).  Still no attribution rules, masking, changed
-- columns, partitioning, GIN or BRIN: whatever trigger keeps full rows and
-- answers those questions from an index costs at least this.
CREATE TABLE IF NOT EXISTS bench_lean_log (
    occurred_at timestamptz NOT NULL DEFAULT statement_timestamp(),
    table_name  text NOT NULL,
    operation   text NOT NULL,
    old_row     jsonb,
    new_row     jsonb
);

CREATE OR REPLACE FUNCTION bench_lean_capture() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO public.bench_lean_log (table_name, operation, old_row, new_row)
    VALUES (TG_TABLE_NAME, TG_OP,
            CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END,
            CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END);
    RETURN NULL;
END
$$;

CREATE TABLE IF NOT EXISTS bench_indexed_log (
    id           bigint GENERATED ALWAYS AS IDENTITY,
    occurred_at  timestamptz NOT NULL DEFAULT statement_timestamp(),
    txid         xid8 NOT NULL DEFAULT pg_current_xact_id(),
    table_name   text NOT NULL,
    operation    text NOT NULL,
    row_pk       text,
    old_row      jsonb,
    new_row      jsonb,
    app_username text
);
CREATE INDEX IF NOT EXISTS bench_indexed_log_record_idx ON bench_indexed_log (table_name, row_pk, id);
CREATE INDEX IF NOT EXISTS bench_indexed_log_user_time_idx ON bench_indexed_log (app_username, occurred_at);
CREATE INDEX IF NOT EXISTS bench_indexed_log_time_idx ON bench_indexed_log (occurred_at, id);
CREATE INDEX IF NOT EXISTS bench_indexed_log_txid_idx ON bench_indexed_log (txid);

CREATE OR REPLACE FUNCTION bench_indexed_capture() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    old_row jsonb;
    new_row jsonb;
BEGIN
    IF TG_OP <> 'INSERT' THEN old_row := to_jsonb(OLD); END IF;
    IF TG_OP <> 'DELETE' THEN new_row := to_jsonb(NEW); END IF;
    INSERT INTO public.bench_indexed_log (table_name, operation, row_pk, old_row, new_row, app_username)
    VALUES (TG_TABLE_NAME, TG_OP, coalesce(new_row, old_row) ->> 'id', old_row, new_row,
            current_setting('caretrail.username', true));
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION bench_attach_indexed_trigger(target regclass) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    EXECUTE format('CREATE TRIGGER bench_indexed AFTER INSERT OR UPDATE OR DELETE ON %s '
                   'FOR EACH ROW EXECUTE FUNCTION bench_indexed_capture()', target);
END
$$;

CREATE OR REPLACE FUNCTION bench_attach_lean_trigger(target regclass) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    EXECUTE format('CREATE TRIGGER bench_lean AFTER INSERT OR UPDATE OR DELETE ON %s '
                   'FOR EACH ROW EXECUTE FUNCTION bench_lean_capture()', target);
END
$$;

CREATE OR REPLACE FUNCTION bench_detach_lean_trigger(target regclass) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    EXECUTE format('DROP TRIGGER IF EXISTS bench_lean ON %s', target);
    EXECUTE format('DROP TRIGGER IF EXISTS bench_indexed ON %s', target);
END
$$;
