-- Migration 0051: the security log and the sign-in sessions join the tables
-- the row-change audit leaves out (release 0021's list, plus these two).
-- The security log is append-only itself and protected like the audit: its
-- rows would only be copied. The sessions are bookkeeping touched at each
-- request, whose every start and end is written to the security log.
CREATE OR REPLACE FUNCTION audit_is_exempt(table_name text) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT table_name IN ('audit_log', 'audit_chain', 'audit_seals', 'audit_archives',
                                'security_log', 'user_sessions')
                 OR table_name LIKE 'audit\_log\_%' $$;
