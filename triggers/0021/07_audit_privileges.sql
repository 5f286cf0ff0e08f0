-- CareTrail audit: who may run what (release 0021).
--
-- PostgreSQL lets PUBLIC execute every new function.  The audit's
-- maintenance and writing functions are kept to the owner and the roles
-- that need them; a login with no grants can run none of them (no months
-- created over an arbitrary range, no seal, no capture function attached to
-- a table of its own).  Functions that only compute (audit_canonical,
-- audit_next_link, audit_entry_is_well_formed, audit_is_exempt) stay public:
-- they read nothing a caller could not read already.
--
-- Safe to run more than once.

REVOKE EXECUTE ON FUNCTION audit_attach(regclass), audit_detach(regclass), audit_attach_all(),
                           audit_refresh_masking(), audit_capture_source(),
                           audit_guard(regclass), audit_refuse_change(),
                           audit_ensure_partitions(integer, date), audit_seal(),
                           audit_verify(), audit_verify_position(bigint, integer, audit_log, jsonb),
                           audit_restore(bigint, text, boolean, text), audit_restore_row(audit_log, text),
                           audit_chain_origin()
    FROM PUBLIC;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'caretrail_app') THEN
        -- Start-up and the worker create months ahead and seal; screens
        -- verify and restore (restore writes with the caller's privileges).
        GRANT EXECUTE ON FUNCTION audit_ensure_partitions(integer, date), audit_seal(), audit_chain_origin(),
                                  audit_verify(), audit_verify_position(bigint, integer, audit_log, jsonb),
                                  audit_restore(bigint, text, boolean, text), audit_restore_row(audit_log, text)
            TO caretrail_app;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'caretrail_auditor') THEN
        GRANT EXECUTE ON FUNCTION audit_verify(), audit_verify_position(bigint, integer, audit_log, jsonb),
                                  audit_chain_origin()
            TO caretrail_auditor;
    END IF;
END
$$;
