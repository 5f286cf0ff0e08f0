"""Delegations: an administrator grants a user a role, or "act for Dr X",
for a window of time with a reason (issue 18).

Revision ID: 0086
Revises: 0085
Create Date: 2026-12-06

- delegations: grantee, either a role (role_id) or a user acted for
  (acted_for_id), the window [starts_at, ends_at), the reason, who granted
  it and when, and the revocation (when, by whom, why: all or nothing).
  CHECKs state the window, exactly one of role/acted-for, no one delegating
  to themselves; triggers/0086/01_delegations_guard.sql adds what a CHECK
  cannot: the database's clock for created_at and revoked_at, no window
  starting before it was granted, the maximum length
  (hospital_settings.delegation_max_days, default 90), no Admin role, and
  terms that are never rewritten.
- The application's role may SELECT and INSERT, and UPDATE the three
  revocation columns only (column privileges); never DELETE.  Audited.
- security_log accepts the events delegation_granted, delegation_revoked.
  The downgrade puts 0051's list back: it is refused while the (append-only)
  log holds such events, which the older release could not have written.
- hospital_settings.delegation_max_days (1 to 366, default 90): the longest
  window, set with `flask delegations max-days N --as <admin>`.
"""

from alembic import op

from app.audit_sql import attach_audit, install_frozen

revision = "0086"
down_revision = "0085"
branch_labels = None
depends_on = None

EVENTS_0051 = (
    "'login', 'login_failed', 'login_locked', 'logout', 'session_expired',"
    " 'sessions_revoked', 'mfa_enrolled', 'mfa_failed', 'mfa_recovery_used', 'mfa_reset',"
    " 'password_changed', 'password_reset_forced', 'password_refused', 'roles_changed'"
)
EVENTS_0086 = EVENTS_0051 + ", 'delegation_granted', 'delegation_revoked'"

UPGRADE = f"""
ALTER TABLE hospital_settings ADD COLUMN delegation_max_days integer NOT NULL DEFAULT 90;
ALTER TABLE hospital_settings ADD CONSTRAINT hospital_settings_delegation_max_days_check
    CHECK (delegation_max_days BETWEEN 1 AND 366);
COMMENT ON COLUMN hospital_settings.delegation_max_days IS 'The longest window a delegation may have, in days';

CREATE TABLE delegations (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    grantee_id    integer     NOT NULL,
    role_id       integer,
    acted_for_id  integer,
    starts_at     timestamptz NOT NULL,
    ends_at       timestamptz NOT NULL,
    reason        text        NOT NULL,
    granted_by_id integer     NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz,
    revoked_by_id integer,
    revoke_reason text,
    CONSTRAINT delegations_grantee_id_fkey FOREIGN KEY (grantee_id) REFERENCES ab_user (id),
    CONSTRAINT delegations_role_id_fkey FOREIGN KEY (role_id) REFERENCES ab_role (id),
    CONSTRAINT delegations_acted_for_id_fkey FOREIGN KEY (acted_for_id) REFERENCES ab_user (id),
    CONSTRAINT delegations_granted_by_id_fkey FOREIGN KEY (granted_by_id) REFERENCES ab_user (id),
    CONSTRAINT delegations_revoked_by_id_fkey FOREIGN KEY (revoked_by_id) REFERENCES ab_user (id),
    CONSTRAINT delegations_window_check CHECK (ends_at > starts_at),
    CONSTRAINT delegations_what_check CHECK (num_nonnulls(role_id, acted_for_id) = 1),
    CONSTRAINT delegations_not_for_self_check CHECK (acted_for_id <> grantee_id),
    CONSTRAINT delegations_not_to_self_check CHECK (granted_by_id <> grantee_id),
    CONSTRAINT delegations_reason_check CHECK (reason = btrim(reason) AND length(reason) BETWEEN 1 AND 500),
    CONSTRAINT delegations_revocation_check CHECK (num_nulls(revoked_at, revoked_by_id, revoke_reason) IN (0, 3)),
    CONSTRAINT delegations_revoke_reason_check
        CHECK (revoke_reason = btrim(revoke_reason) AND length(revoke_reason) BETWEEN 1 AND 500)
);
COMMENT ON TABLE delegations IS
    'A role, or acting for another user, granted to a user for a window of time with a reason; revocable';
-- The one query of each request: a user's delegations not revoked, by end.
CREATE INDEX delegations_grantee_live_idx ON delegations (grantee_id, ends_at) WHERE revoked_at IS NULL;
CREATE INDEX delegations_starts_at_idx ON delegations (starts_at DESC);

REVOKE ALL ON delegations FROM caretrail_app;
GRANT SELECT, INSERT ON delegations TO caretrail_app;
GRANT UPDATE (revoked_at, revoked_by_id, revoke_reason) ON delegations TO caretrail_app;
GRANT SELECT ON delegations TO caretrail_auditor;

ALTER TABLE security_log DROP CONSTRAINT security_log_event_check;
ALTER TABLE security_log ADD CONSTRAINT security_log_event_check CHECK (event IN ({EVENTS_0086}));
"""

DOWNGRADE = f"""
ALTER TABLE security_log DROP CONSTRAINT security_log_event_check;
ALTER TABLE security_log ADD CONSTRAINT security_log_event_check CHECK (event IN ({EVENTS_0051}));
DROP TABLE delegations;
DROP FUNCTION delegations_guard();
DROP FUNCTION delegation_max_days();
ALTER TABLE hospital_settings DROP COLUMN delegation_max_days;
"""


def upgrade():
    op.execute(UPGRADE)
    install_frozen(op, "0086")
    attach_audit(op, "delegations")


def downgrade():
    # Detaching drops the table's own capture function (release 0021), which dropping the table would not.
    op.execute("SELECT audit_detach('public.delegations'::regclass)")
    op.execute(DOWNGRADE)
