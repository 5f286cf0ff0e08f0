-- CareTrail audit: append-only (release 0021).
--
-- Privileges already keep the application's role to SELECT (entries are
-- written only by the SECURITY DEFINER capture functions).  This trigger
-- refuses UPDATE, DELETE and TRUNCATE on audit_log and each of its
-- partitions for EVERY role, owner and superusers included, with no
-- exception: no setting opens it (releases up to 0020 let anyone who could
-- SET caretrail.audit_maintenance through).  Maintenance never needs to
-- change a row: archiving detaches and drops whole sealed months, and a
-- month created late takes its entries out of the default partition by
-- detaching it (audit_ensure_partitions).  A superuser can still disable
-- triggers; `flask audit verify` then shows what was touched.
--
-- Safe to run more than once.

CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Entries are never changed; old months are archived with flask audit archive.';
END
$$;

-- Guards one audit table (the parent, or a partition: TRUNCATE triggers are
-- not inherited by partitions, so each one gets its own).
CREATE OR REPLACE FUNCTION audit_guard(target regclass) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = target AND tgname = 'audit_log_append_only'
                   AND tgparentid = 0) THEN
        -- Row-level on a partitioned table: cloned onto every partition.
        IF (SELECT relkind FROM pg_class WHERE oid = target) = 'p' THEN
            EXECUTE format('CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON %s '
                           'FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()', target);
        END IF;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = target AND tgname = 'audit_log_no_truncate') THEN
        EXECUTE format('CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON %s '
                       'FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()', target);
    END IF;
    EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON %s FROM PUBLIC', target);
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'caretrail_app') THEN
        -- Reading only: entries are written by the audit trigger (SECURITY
        -- DEFINER), so the application cannot forge one either.
        EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON %s FROM caretrail_app', target);
        EXECUTE format('GRANT SELECT ON %s TO caretrail_app', target);
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'caretrail_auditor') THEN
        EXECUTE format('GRANT SELECT ON %s TO caretrail_auditor', target);
    END IF;
END
$$;

-- One partition per month (UTC months), from `from_month` to `months_ahead`
-- months after the current one; each new partition is guarded like its
-- parent.  Run by the migrations, at start-up and by `flask audit seal` (so by
-- the background worker).  Should a month be missing anyway, its entries land
-- in audit_log_default (an audited write never fails for want of a
-- partition) and are moved into the month's partition when it is created.
CREATE OR REPLACE FUNCTION audit_ensure_partitions(months_ahead integer DEFAULT 3,
                                                   from_month date DEFAULT NULL)
    RETURNS integer
    LANGUAGE plpgsql
    SECURITY DEFINER  -- the application role may create months ahead, nothing else
    SET search_path = pg_catalog, public
    AS $$
DECLARE
    this_month  date := date_trunc('month', now() AT TIME ZONE 'UTC')::date;
    month_start date := date_trunc('month', coalesce(from_month, this_month))::date;
    last_month  date := greatest((this_month + make_interval(months => months_ahead))::date,
                                 date_trunc('month', coalesce(from_month, this_month))::date);
    range_start timestamptz;
    range_end   timestamptz;
    partition   text;
    created     integer := 0;
BEGIN
    IF to_regclass('public.audit_log_default') IS NULL THEN
        CREATE TABLE public.audit_log_default PARTITION OF public.audit_log DEFAULT;
        PERFORM audit_guard('public.audit_log_default'::regclass);
    END IF;
    WHILE month_start <= last_month LOOP
        partition := format('audit_log_y%sm%s', to_char(month_start, 'YYYY'), to_char(month_start, 'MM'));
        range_start := month_start::timestamp AT TIME ZONE 'UTC';
        range_end := (month_start + interval '1 month')::timestamp AT TIME ZONE 'UTC';
        IF to_regclass('public.' || partition) IS NULL THEN
            IF EXISTS (SELECT 1 FROM public.audit_log_default
                        WHERE occurred_at >= range_start AND occurred_at < range_end) THEN
                -- Entries of this month fell into the default partition:
                -- the default partition is detached (no row is deleted or
                -- updated, so the guard stays shut), a new one takes its
                -- place, every entry goes back through audit_log (each to
                -- its month) with its id, and the old one is dropped.
                ALTER TABLE public.audit_log DETACH PARTITION public.audit_log_default;
                ALTER TABLE public.audit_log_default RENAME TO audit_log_default_moving;
                CREATE TABLE public.audit_log_default PARTITION OF public.audit_log DEFAULT;
                PERFORM audit_guard('public.audit_log_default'::regclass);
                EXECUTE format('CREATE TABLE public.%I PARTITION OF public.audit_log FOR VALUES FROM (%L) TO (%L)',
                               partition, range_start, range_end);
                INSERT INTO public.audit_log OVERRIDING SYSTEM VALUE
                    SELECT * FROM public.audit_log_default_moving ORDER BY id;
                DROP TABLE public.audit_log_default_moving;
            ELSE
                EXECUTE format('CREATE TABLE public.%I PARTITION OF public.audit_log FOR VALUES FROM (%L) TO (%L)',
                               partition, range_start, range_end);
            END IF;
            PERFORM audit_guard(('public.' || partition)::regclass);
            created := created + 1;
        END IF;
        month_start := (month_start + interval '1 month')::date;
    END LOOP;
    RETURN created;
END
$$;
