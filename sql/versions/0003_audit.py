"""Database audit: audit_log filled by triggers on every table, append-only,
sealed by a hash chain; database roles for the application and auditors.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24

The SQL lives in triggers/0003/ (read it there), as this revision shipped
it; this migration installs it and attaches the capture triggers to every
existing table.  Downgrade removes all of it (the two group roles stay:
they are cluster-wide).
"""

from alembic import op

from app.audit_sql import install_frozen

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ROLES = r"""
-- Group roles (cluster-wide, so created only when missing).  Log in with a
-- member role: CREATE ROLE caretrail_web LOGIN IN ROLE caretrail_app.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'caretrail_app') THEN
        CREATE ROLE caretrail_app NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'caretrail_auditor') THEN
        CREATE ROLE caretrail_auditor NOLOGIN;
    END IF;
END
$$;
COMMENT ON ROLE caretrail_app IS 'CareTrail application: reads and writes records, reads the audit, never changes it';
COMMENT ON ROLE caretrail_auditor IS 'Auditors and DBAs: read the audit and its views only';

GRANT USAGE ON SCHEMA public TO caretrail_app, caretrail_auditor;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO caretrail_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO caretrail_app;
-- Tables created by later migrations get the same grants.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO caretrail_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO caretrail_app;
"""

AUDIT_PRIVILEGES = r"""
SELECT audit_ensure_partitions(3, date_trunc('month', now() AT TIME ZONE 'UTC')::date);
SELECT audit_guard('public.audit_log'::regclass);
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON audit_chain, audit_seals, audit_archives FROM caretrail_app;
GRANT SELECT ON audit_chain, audit_seals, audit_archives TO caretrail_app;
GRANT SELECT ON audit_log, audit_chain, audit_seals, audit_archives, audit_masked_columns TO caretrail_auditor;
GRANT SELECT ON audit_log_readable, patient_history, staff_history, room_history, user_and_role_history
    TO caretrail_auditor, caretrail_app;
GRANT EXECUTE ON FUNCTION audit_verify() TO caretrail_auditor;
SELECT audit_attach_all();
"""


def upgrade():
    op.execute(ROLES)
    install_frozen(op, "0003")
    op.execute(AUDIT_PRIVILEGES)


def downgrade():
    # Everything 0003 created in this database goes; the two group roles stay
    # (they are cluster-wide: other databases may use them), without the
    # grants 0003 gave them here.
    op.execute(
        """
        DO $$
        DECLARE t regclass;
        BEGIN
            FOR t IN SELECT DISTINCT tgrelid::regclass FROM pg_trigger WHERE tgname = 'audit_insert' LOOP
                PERFORM audit_detach(t);
            END LOOP;
        END $$;
        DROP VIEW IF EXISTS user_and_role_history, room_history, staff_history, patient_history, audit_log_readable;
        DROP FUNCTION IF EXISTS audit_verify(), audit_seal(), audit_chain_origin(), audit_canonical(audit_log),
            audit_next_link(bytea, audit_log);
        DROP TABLE IF EXISTS audit_log, audit_chain, audit_seals, audit_archives, audit_masked_columns;
        DROP FUNCTION IF EXISTS audit_refresh_masking(), audit_attach_all(), audit_is_exempt(text),
            audit_attach(regclass), audit_detach(regclass), audit_capture(), audit_ensure_partitions(integer, date),
            audit_guard(regclass), audit_refuse_change();
        ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM caretrail_app;
        ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE, SELECT ON SEQUENCES FROM caretrail_app;
        REVOKE ALL ON ALL TABLES IN SCHEMA public FROM caretrail_app, caretrail_auditor;
        REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM caretrail_app, caretrail_auditor;
        REVOKE USAGE ON SCHEMA public FROM caretrail_app, caretrail_auditor;
        """
    )
