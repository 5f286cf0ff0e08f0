"""Alerts from the audit stream: the rules with their settings, the alerts
they raise, and the cursor of the engine that reads audit_log.

Revision ID: 0082
Revises: 0081
Create Date: 2026-12-06

- alert_rules: one row per rule the engine knows (app/alerts/rules_engine.py),
  seeded here with the defaults; enabled per rule, a severity, settings
  (JSON, checked by the settings screen and by the engine) and recipients
  (roles, usernames, plain e-mail addresses).  Audited.
- alerts: what a rule raised: severity, a summary in plain words, the audit
  entries it covers, and its acknowledgement (who, when, comment).  Audited
  (the engine ignores the audit entries of this table: an alert written at
  night is not an off-hours change).
- alert_cursor: the one row saying how far the engine has read audit_log (the
  last entry id, and the transactions still running at that time, whose
  entries may appear below it).  It moves in the same transaction as the
  alerts it produced: each entry is evaluated once, also after a crash.  Not
  audited (machinery: it moves at every evaluation).
"""

from alembic import op

from app.audit_sql import attach_audit

revision = "0082"
down_revision = "0081"
branch_labels = None
depends_on = None

AUDIT_IS_EXEMPT = r"""
CREATE OR REPLACE FUNCTION audit_is_exempt(table_name text) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT table_name IN ('audit_log', 'audit_chain', 'audit_seals', 'audit_archives',
                                'security_log', 'user_sessions', 'access_log', 'alert_cursor')
                 OR table_name LIKE 'audit\_log\_%'
                 OR table_name LIKE 'procrastinate\_%' $$;
"""

# What 0081 left, put back by the downgrade.
PREVIOUS_AUDIT_IS_EXEMPT = r"""
CREATE OR REPLACE FUNCTION audit_is_exempt(table_name text) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT table_name IN ('audit_log', 'audit_chain', 'audit_seals', 'audit_archives',
                                'security_log', 'user_sessions', 'access_log')
                 OR table_name LIKE 'audit\_log\_%'
                 OR table_name LIKE 'procrastinate\_%' $$;
"""

UPGRADE = r"""
CREATE OR REPLACE FUNCTION alert_emails_are_valid(emails text[]) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT coalesce(bool_and(e ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'), true) FROM unnest(emails) AS e $$;

CREATE TABLE alert_rules (
    id                  bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code                varchar(40) NOT NULL,
    is_enabled          boolean     NOT NULL DEFAULT true,
    severity            varchar(10) NOT NULL,
    settings            jsonb       NOT NULL DEFAULT '{}',
    recipient_roles     text[]      NOT NULL DEFAULT '{Admin}',
    recipient_usernames text[]      NOT NULL DEFAULT '{}',
    recipient_emails    text[]      NOT NULL DEFAULT '{}',
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT alert_rules_code_key UNIQUE (code),
    CONSTRAINT alert_rules_code_check CHECK (code IN ('off_hours', 'mass_change', 'sensitive_field', 'new_patient',
                                                      'sensitive_deletion', 'privilege_change', 'outside_app')),
    CONSTRAINT alert_rules_severity_check CHECK (severity IN ('info', 'warning', 'critical')),
    CONSTRAINT alert_rules_settings_check CHECK (jsonb_typeof(settings) = 'object'),
    CONSTRAINT alert_rules_recipient_emails_check CHECK (alert_emails_are_valid(recipient_emails))
);
COMMENT ON TABLE alert_rules IS 'Alert rules read by the engine: enabled, severity, settings, recipients';

INSERT INTO alert_rules (code, severity, settings) VALUES
    ('off_hours', 'warning', '{"hours": {"1": ["07:00", "19:00"], "2": ["07:00", "19:00"], "3": ["07:00", "19:00"],
                                         "4": ["07:00", "19:00"], "5": ["07:00", "19:00"], "6": null, "7": null},
                               "holidays": "FR", "extra_holidays": []}'),
    ('mass_change', 'warning', '{"max_patients": 20, "minutes": 10}'),
    ('sensitive_field', 'critical', '{"columns": {"public.patients": ["blood_group", "allergies", "nir"],
                                                  "public.prescription_items": ["medication_id", "dose", "dose_unit", "frequency"]}}'),
    ('new_patient', 'info', '{}'),
    ('sensitive_deletion', 'critical', '{"tables": ["public.patients"]}'),
    ('privilege_change', 'critical', '{}'),
    ('outside_app', 'critical', '{}');

CREATE TABLE alerts (
    id                 bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rule_code          varchar(40) NOT NULL,
    severity           varchar(10) NOT NULL,
    summary            text        NOT NULL,
    audit_entry_ids    bigint[]    NOT NULL,
    subject            text,
    occurred_at        timestamptz NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    status             varchar(12) NOT NULL DEFAULT 'new',
    acknowledged_by_id integer,
    acknowledged_at    timestamptz,
    ack_comment        text,
    CONSTRAINT alerts_rule_code_fkey FOREIGN KEY (rule_code) REFERENCES alert_rules (code),
    CONSTRAINT alerts_acknowledged_by_id_fkey FOREIGN KEY (acknowledged_by_id) REFERENCES ab_user (id),
    CONSTRAINT alerts_severity_check CHECK (severity IN ('info', 'warning', 'critical')),
    CONSTRAINT alerts_summary_check CHECK (btrim(summary) <> '' AND length(summary) <= 2000),
    CONSTRAINT alerts_audit_entry_ids_check CHECK (cardinality(audit_entry_ids) >= 1),
    CONSTRAINT alerts_status_check CHECK (status IN ('new', 'acknowledged')),
    CONSTRAINT alerts_acknowledgement_check CHECK (
        (status = 'new' AND acknowledged_by_id IS NULL AND acknowledged_at IS NULL AND ack_comment IS NULL)
        OR (status = 'acknowledged' AND acknowledged_by_id IS NOT NULL AND acknowledged_at IS NOT NULL)),
    CONSTRAINT alerts_ack_comment_check CHECK (length(ack_comment) <= 500)
);
COMMENT ON TABLE alerts IS 'Alerts raised by the rules from the audit stream, and their acknowledgement';
CREATE INDEX alerts_created_idx ON alerts (created_at DESC, id DESC);
CREATE INDEX alerts_new_idx ON alerts (id) WHERE status = 'new';
CREATE INDEX alerts_rule_subject_idx ON alerts (rule_code, subject, occurred_at);

CREATE TABLE alert_cursor (
    id            smallint    PRIMARY KEY DEFAULT 1,
    last_entry_id bigint      NOT NULL,
    pending_txids xid8[]      NOT NULL DEFAULT '{}',
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT alert_cursor_single_row CHECK (id = 1)
);
COMMENT ON TABLE alert_cursor IS 'How far the alert engine has read audit_log (moved with the alerts it produced)';
COMMENT ON COLUMN alert_cursor.pending_txids IS 'Transactions running when the cursor moved: their entries may appear below last_entry_id';
-- From now on: the history before the alerts existed raises none.
INSERT INTO alert_cursor (last_entry_id, pending_txids)
SELECT coalesce(max(id), 0), ARRAY(SELECT pg_snapshot_xip(pg_current_snapshot())) FROM audit_log;
GRANT SELECT, UPDATE ON alert_cursor TO caretrail_app;
"""


def upgrade():
    op.execute(AUDIT_IS_EXEMPT)
    op.execute(UPGRADE)
    attach_audit(op, "alert_rules")
    attach_audit(op, "alerts")


def downgrade():
    # Detaching drops each table's own capture function (release 0021), which dropping the table would not.
    for table in ("alerts", "alert_rules"):
        op.execute(f"SELECT audit_detach('public.{table}'::regclass)")
    op.execute("DROP TABLE IF EXISTS alert_cursor, alerts, alert_rules")
    op.execute("DROP FUNCTION IF EXISTS alert_emails_are_valid(text[])")
    op.execute(PREVIOUS_AUDIT_IS_EXEMPT)
