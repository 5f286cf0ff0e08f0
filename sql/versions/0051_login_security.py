"""Login and session security: the security log, revocable sessions, TOTP
two-factor secrets and recovery codes, forced password resets.

Revision ID: 0051
Revises: 0034
Create Date: 2026-12-06

- security_log: sign-ins, failures, lockouts, 2FA events, sign-outs,
  password and role changes.  Append-only for everyone (a trigger refuses
  UPDATE, DELETE and TRUNCATE) and insert-only for caretrail_app, like the
  audit; kept out of the row-change audit (audit_is_exempt), which it would
  only copy (triggers/0051/01_audit_exempt.sql).  The per-account lockout
  is counted from it.
- user_sessions: one row per browser session or JWT, found by the SHA-256
  of its secret; ending a row ends that session or token (logout, password
  change, "sign out everywhere", idle timeout).  Not audited either: it
  changes at every request, and its starts and ends are in security_log.
- user_mfa: the TOTP secret, encrypted by the app (Fernet) and masked in the
  audit, with the last time step used (a code is accepted once).
- user_recovery_codes: ten single-use codes per user, hashed, masked.
- user_security: per-account flags (an admin's forced password reset).
"""

from alembic import op

from app.audit_sql import attach_audit, install_frozen

revision = "0051"
down_revision = "0034"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE TABLE security_log (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    event       text        NOT NULL,
    user_id     integer,
    username    text,
    actor_id    integer,
    actor       text,
    door        text,
    client_addr inet,
    detail      text,
    CONSTRAINT security_log_event_check CHECK (event IN (
        'login', 'login_failed', 'login_locked', 'logout', 'session_expired',
        'sessions_revoked', 'mfa_enrolled', 'mfa_failed', 'mfa_recovery_used', 'mfa_reset',
        'password_changed', 'password_reset_forced', 'password_refused', 'roles_changed')),
    CONSTRAINT security_log_door_check CHECK (door IS NULL OR door IN ('form', 'api', 'screen', 'cli')),
    CONSTRAINT security_log_user_id_fkey FOREIGN KEY (user_id) REFERENCES ab_user (id) ON DELETE SET NULL
);
COMMENT ON TABLE security_log IS 'Sign-ins, failures, lockouts, 2FA events, password and role changes (append-only)';
CREATE INDEX security_log_at_idx ON security_log (at DESC, id DESC);
CREATE INDEX security_log_user_idx ON security_log (user_id, at DESC);

CREATE FUNCTION security_log_refuse_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    RAISE EXCEPTION 'security_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER security_log_immutable BEFORE UPDATE OR DELETE ON security_log
    FOR EACH ROW EXECUTE FUNCTION security_log_refuse_change();
CREATE TRIGGER security_log_no_truncate BEFORE TRUNCATE ON security_log
    FOR EACH STATEMENT EXECUTE FUNCTION security_log_refuse_change();

CREATE TABLE user_sessions (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash   text        NOT NULL,
    user_id      integer     NOT NULL,
    kind         text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    ended_at     timestamptz,
    ended_reason text,
    client_addr  inet,
    CONSTRAINT user_sessions_token_hash_key UNIQUE (token_hash),
    CONSTRAINT user_sessions_kind_check CHECK (kind IN ('browser', 'access', 'refresh')),
    CONSTRAINT user_sessions_ended_check CHECK ((ended_at IS NULL) = (ended_reason IS NULL)),
    CONSTRAINT user_sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES ab_user (id) ON DELETE CASCADE
);
COMMENT ON TABLE user_sessions IS 'Browser sessions and JWTs, by the SHA-256 of their secret; an ended row is refused';
CREATE INDEX user_sessions_live_idx ON user_sessions (user_id) WHERE ended_at IS NULL;

CREATE TABLE user_mfa (
    user_id          integer     PRIMARY KEY,
    secret_encrypted text        NOT NULL,
    enrolled_at      timestamptz NOT NULL DEFAULT now(),
    last_used_step   bigint,
    CONSTRAINT user_mfa_user_id_fkey FOREIGN KEY (user_id) REFERENCES ab_user (id) ON DELETE CASCADE
);
COMMENT ON TABLE user_mfa IS 'TOTP second factor: the secret (Fernet-encrypted by the app), the last time step accepted';

CREATE TABLE user_recovery_codes (
    id        bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id   integer     NOT NULL,
    code_hash text        NOT NULL,
    used_at   timestamptz,
    CONSTRAINT user_recovery_codes_user_id_fkey FOREIGN KEY (user_id) REFERENCES ab_user (id) ON DELETE CASCADE
);
COMMENT ON TABLE user_recovery_codes IS 'Single-use recovery codes (hashed) for a lost authenticator';
CREATE INDEX user_recovery_codes_user_idx ON user_recovery_codes (user_id) WHERE used_at IS NULL;

CREATE TABLE user_security (
    user_id              integer PRIMARY KEY,
    must_change_password boolean NOT NULL DEFAULT false,
    CONSTRAINT user_security_user_id_fkey FOREIGN KEY (user_id) REFERENCES ab_user (id) ON DELETE CASCADE
);
COMMENT ON TABLE user_security IS 'Per-account flags: a password reset forced by an administrator';

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'caretrail_app') THEN
        REVOKE UPDATE, DELETE, TRUNCATE ON security_log FROM caretrail_app;
        GRANT SELECT, INSERT ON security_log TO caretrail_app;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'caretrail_auditor') THEN
        GRANT SELECT ON security_log TO caretrail_auditor;
    END IF;
END
$$;
REVOKE UPDATE, DELETE, TRUNCATE ON security_log FROM PUBLIC;

INSERT INTO audit_masked_columns (table_name, column_name) VALUES
    ('public.user_mfa', 'secret_encrypted'),
    ('public.user_recovery_codes', 'code_hash')
ON CONFLICT DO NOTHING;
"""

DOWNGRADE = r"""
DELETE FROM audit_masked_columns WHERE table_name IN ('public.user_mfa', 'public.user_recovery_codes');
DROP TABLE IF EXISTS user_security;
DROP TABLE IF EXISTS user_recovery_codes;
DROP TABLE IF EXISTS user_mfa;
DROP TABLE IF EXISTS user_sessions;
DROP TABLE IF EXISTS security_log;
DROP FUNCTION IF EXISTS security_log_refuse_change();
"""

AUDITED_TABLES = ("user_mfa", "user_recovery_codes", "user_security")


def upgrade():
    # triggers/0051/01_audit_exempt.sql: audit_is_exempt() now names
    # security_log and user_sessions (release 0021's list otherwise).
    install_frozen(op, "0051")
    op.execute(UPGRADE)
    for table in AUDITED_TABLES:
        attach_audit(op, table)


# Release 0021's audit_is_exempt(), exactly as triggers/0021/03_audit_capture.sql defines it.
AUDIT_IS_EXEMPT_0021 = r"""
CREATE OR REPLACE FUNCTION audit_is_exempt(table_name text) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT table_name IN ('audit_log', 'audit_chain', 'audit_seals', 'audit_archives')
                 OR table_name LIKE 'audit\_log\_%' $$;
"""


def downgrade():
    # Each audited table has its own capture function (release 0021):
    # detaching drops it, which dropping the table would not.
    for table in AUDITED_TABLES:
        op.execute(f"SELECT audit_detach('public.{table}'::regclass)")
    op.execute(DOWNGRADE)
    op.execute(AUDIT_IS_EXEMPT_0021)
