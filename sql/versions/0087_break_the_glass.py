"""Break-the-glass: grants to read one patient's record for a while, their
review, the alerts that read the journal of reads, and the jobs' errors.

Revision ID: 0087
Revises: 0086
Create Date: 2026-12-06

- break_glass_grants: who opened which patient's record, why, from when to
  when (expires_at computed by the database from its own clock), and the
  review an auditor closes once with a verdict.  Audited.  The app role may
  insert a grant (not its times) and close its review (only those columns);
  triggers/0087/01_break_glass.sql refuses any other change, and deletion.
- access_log: which grant a read was made under (break_glass_id), the act of
  breaking the glass itself (action 'break_glass'), and the transaction of
  each row (txid), so the alert engine reads the journal exactly once, as
  it reads the audit.
- alert_cursor: the journal's own cursor (last_access_id, access_pending_txids),
  moved in the same transaction as the alerts it produced.
- alert_rules: 'break_glass' and 'off_hours_read', sent to the auditors;
  alerts: the journal rows an alert covers (access_entry_ids).
- job_errors: the error text of each failed attempt of a job (procrastinate
  keeps the failure, not its message).  Audited.
"""

from alembic import op

from app.audit_sql import attach_audit, install_frozen

revision = "0087"
down_revision = "0086"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE TABLE break_glass_grants (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id        integer     NOT NULL,
    username       text        NOT NULL,
    patient_id     bigint      NOT NULL,
    reason         text        NOT NULL,
    granted_at     timestamptz NOT NULL DEFAULT now(),
    minutes        integer     NOT NULL,
    expires_at     timestamptz NOT NULL,
    reviewed_by_id integer,
    reviewed_at    timestamptz,
    verdict        varchar(12),
    review_comment text,
    CONSTRAINT break_glass_grants_user_id_fkey FOREIGN KEY (user_id) REFERENCES ab_user (id),
    CONSTRAINT break_glass_grants_patient_id_fkey FOREIGN KEY (patient_id) REFERENCES patients (id),
    CONSTRAINT break_glass_grants_reviewed_by_id_fkey FOREIGN KEY (reviewed_by_id) REFERENCES ab_user (id),
    CONSTRAINT break_glass_grants_username_length CHECK (char_length(username) <= 150),
    CONSTRAINT break_glass_grants_reason_check CHECK (btrim(reason) <> '' AND char_length(reason) <= 500),
    CONSTRAINT break_glass_grants_minutes_check CHECK (minutes BETWEEN 1 AND 1440),
    CONSTRAINT break_glass_grants_expiry_check CHECK (expires_at > granted_at),
    CONSTRAINT break_glass_grants_verdict_check CHECK (verdict IN ('justified', 'unjustified')),
    CONSTRAINT break_glass_grants_review_check CHECK (
        (reviewed_by_id IS NULL AND reviewed_at IS NULL AND verdict IS NULL AND review_comment IS NULL)
        OR (reviewed_by_id IS NOT NULL AND reviewed_at IS NOT NULL AND verdict IS NOT NULL)),
    CONSTRAINT break_glass_grants_unjustified_comment_check CHECK (
        verdict IS DISTINCT FROM 'unjustified' OR btrim(coalesce(review_comment, '')) <> ''),
    CONSTRAINT break_glass_grants_review_comment_check CHECK (char_length(review_comment) <= 500),
    CONSTRAINT break_glass_grants_reviewer_check CHECK (reviewed_by_id <> user_id)
);
COMMENT ON TABLE break_glass_grants IS
    'Break-the-glass: a user reads one patient''s whole record for a while, with a reason; reviewed once by an auditor';
CREATE INDEX break_glass_grants_active_idx ON break_glass_grants (user_id, patient_id, expires_at DESC);
CREATE INDEX break_glass_grants_open_idx ON break_glass_grants (granted_at) WHERE verdict IS NULL;
CREATE INDEX break_glass_grants_patient_idx ON break_glass_grants (patient_id);

REVOKE ALL ON break_glass_grants FROM caretrail_app;
GRANT SELECT ON break_glass_grants TO caretrail_app;
GRANT INSERT (user_id, username, patient_id, reason, minutes) ON break_glass_grants TO caretrail_app;
GRANT UPDATE (reviewed_by_id, verdict, review_comment) ON break_glass_grants TO caretrail_app;
GRANT SELECT ON break_glass_grants TO caretrail_auditor;

ALTER TABLE access_log
    ADD COLUMN break_glass_id bigint,
    ADD COLUMN txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    DROP CONSTRAINT access_log_action_check,
    ADD CONSTRAINT access_log_action_check CHECK (action IN ('view', 'export', 'print', 'history', 'break_glass')),
    ADD CONSTRAINT access_log_break_glass_id_fkey FOREIGN KEY (break_glass_id) REFERENCES break_glass_grants (id),
    ADD CONSTRAINT access_log_break_glass_check CHECK (action <> 'break_glass' OR break_glass_id IS NOT NULL);
COMMENT ON COLUMN access_log.break_glass_id IS 'The break-the-glass grant this read was made under';
CREATE INDEX access_log_break_glass_idx ON access_log (break_glass_id) WHERE break_glass_id IS NOT NULL;

ALTER TABLE alert_cursor
    ADD COLUMN last_access_id bigint NOT NULL DEFAULT 0,
    ADD COLUMN access_pending_txids xid8[] NOT NULL DEFAULT '{}';
COMMENT ON COLUMN alert_cursor.last_access_id IS 'How far the alert engine has read access_log (the journal of reads)';
-- From now on: the reads journaled before these rules existed raise none.
UPDATE alert_cursor SET last_access_id = (SELECT coalesce(max(id), 0) FROM access_log),
                        access_pending_txids = ARRAY(SELECT pg_snapshot_xip(pg_current_snapshot()));

ALTER TABLE alert_rules DROP CONSTRAINT alert_rules_code_check,
    ADD CONSTRAINT alert_rules_code_check CHECK (code IN ('off_hours', 'mass_change', 'sensitive_field', 'new_patient',
                                                          'sensitive_deletion', 'privilege_change', 'outside_app',
                                                          'break_glass', 'off_hours_read'));
INSERT INTO alert_rules (code, severity, settings, recipient_roles) VALUES
    ('break_glass', 'critical', '{}', '{Auditor}'),
    ('off_hours_read', 'warning', '{"hours": {"1": ["07:00", "19:00"], "2": ["07:00", "19:00"], "3": ["07:00", "19:00"],
                                              "4": ["07:00", "19:00"], "5": ["07:00", "19:00"], "6": null, "7": null},
                                    "holidays": "FR", "extra_holidays": []}', '{Auditor}');

ALTER TABLE alerts ADD COLUMN access_entry_ids bigint[] NOT NULL DEFAULT '{}',
    DROP CONSTRAINT alerts_audit_entry_ids_check,
    ADD CONSTRAINT alerts_audit_entry_ids_check CHECK (cardinality(audit_entry_ids) + cardinality(access_entry_ids) >= 1);
COMMENT ON COLUMN alerts.access_entry_ids IS 'The journal of reads'' rows (access_log ids) the alert covers';

CREATE TABLE job_errors (
    id        bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id    bigint      NOT NULL,
    attempt   integer     NOT NULL,
    failed_at timestamptz NOT NULL DEFAULT now(),
    error     text        NOT NULL,
    CONSTRAINT job_errors_job_id_fkey FOREIGN KEY (job_id) REFERENCES procrastinate_jobs (id) ON DELETE CASCADE,
    CONSTRAINT job_errors_error_check CHECK (btrim(error) <> '' AND char_length(error) <= 4000)
);
COMMENT ON TABLE job_errors IS 'The error of each failed attempt of a background job (shown on the jobs screen)';
CREATE INDEX job_errors_job_idx ON job_errors (job_id, id DESC);
REVOKE ALL ON job_errors FROM caretrail_app;
GRANT SELECT, INSERT ON job_errors TO caretrail_app;
"""

DOWNGRADE = r"""
DROP TABLE job_errors;

DELETE FROM alerts WHERE rule_code IN ('break_glass', 'off_hours_read') OR cardinality(audit_entry_ids) = 0;
ALTER TABLE alerts DROP CONSTRAINT alerts_audit_entry_ids_check, DROP COLUMN access_entry_ids,
    ADD CONSTRAINT alerts_audit_entry_ids_check CHECK (cardinality(audit_entry_ids) >= 1);
DELETE FROM alert_rules WHERE code IN ('break_glass', 'off_hours_read');
ALTER TABLE alert_rules DROP CONSTRAINT alert_rules_code_check,
    ADD CONSTRAINT alert_rules_code_check CHECK (code IN ('off_hours', 'mass_change', 'sensitive_field', 'new_patient',
                                                          'sensitive_deletion', 'privilege_change', 'outside_app'));
ALTER TABLE alert_cursor DROP COLUMN last_access_id, DROP COLUMN access_pending_txids;

-- The journal is append-only; going back before break-the-glass drops the
-- rows that only this release can hold (the act of breaking the glass).
ALTER TABLE access_log DISABLE TRIGGER access_log_append_only;
DELETE FROM access_log WHERE action = 'break_glass';
ALTER TABLE access_log ENABLE TRIGGER access_log_append_only;
DROP INDEX access_log_break_glass_idx;
ALTER TABLE access_log DROP CONSTRAINT access_log_break_glass_check,
    DROP CONSTRAINT access_log_break_glass_id_fkey,
    DROP COLUMN txid, DROP COLUMN break_glass_id,
    DROP CONSTRAINT access_log_action_check,
    ADD CONSTRAINT access_log_action_check CHECK (action IN ('view', 'export', 'print', 'history'));

DROP TABLE break_glass_grants;
DROP FUNCTION break_glass_grant_guard();
"""


def upgrade():
    op.execute(UPGRADE)
    install_frozen(op, "0087")
    attach_audit(op, "break_glass_grants")
    attach_audit(op, "job_errors")


def downgrade():
    # Detaching drops each table's own capture function (release 0021), which dropping the table would not.
    for table in ("job_errors", "break_glass_grants"):
        op.execute(f"SELECT audit_detach('public.{table}'::regclass)")
    op.execute(DOWNGRADE)
