-- Migration 0071: the journal of reads joins the tables the row-change audit
-- leaves out (0051's list, plus access_log). It is append-only and protected
-- like the audit itself; auditing it would copy every read into the log of
-- changes, which must hold changes only.
CREATE OR REPLACE FUNCTION audit_is_exempt(table_name text) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT table_name IN ('audit_log', 'audit_chain', 'audit_seals', 'audit_archives',
                                'security_log', 'user_sessions', 'access_log')
                 OR table_name LIKE 'audit\_log\_%' $$;
