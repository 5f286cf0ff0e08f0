-- The floor measured by bench/audit_overhead: the least any full-row audit
-- trigger can cost.  One AFTER ROW trigger doing a single INSERT of
-- to_jsonb(OLD) and to_jsonb(NEW) into an unpartitioned table with no index,
-- no constraint, no attribution, no masking and no changed columns.  Nobody
-- could search or trust such a log; it is here only to show how much of the
-- overhead is the row's own copy (WAL and heap) rather than CareTrail's design.
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
END
$$;
