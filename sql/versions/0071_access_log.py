"""The journal of reads: who opened which patient's record, when, how, from
where, on whose behalf and why (GDPR art. 15, HDS traceability).

Revision ID: 0071
Revises: 0051
Create Date: 2026-12-06

- access_log: one row per read of a patient's record (its page or API read,
  an export, a print, its history of changes).  Append-only: the
  application's role may INSERT and SELECT only, and a trigger refuses
  UPDATE, DELETE and TRUNCATE to everyone, owner included.
- No foreign keys: the journal outlives the patient and the user it names
  (a deleted patient's readers stay listed; a cascade would be refused).
- NOT audited by the change audit (no audit_attach): a read is not a change,
  and the journal is its own append-only record.  Reading it is what
  auditors do, so caretrail_auditor may SELECT it.
"""

from alembic import op

from app.audit_sql import install_frozen

revision = "0071"
down_revision = "0051"
branch_labels = None
depends_on = None

ACCESS_ACTIONS = ("view", "export", "print", "history")
ACCESS_DOORS = ("screen", "api", "document", "cli")

UPGRADE = rf"""
CREATE TABLE access_log (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    accessed_at  timestamptz NOT NULL DEFAULT now(),
    user_id      integer,
    username     text        NOT NULL,
    patient_id   bigint      NOT NULL,
    action       text        NOT NULL,
    door         text        NOT NULL,
    client_addr  inet,
    on_behalf_of text,
    reason       text,
    CONSTRAINT access_log_action_check CHECK (action IN {ACCESS_ACTIONS!r}),
    CONSTRAINT access_log_door_check CHECK (door IN {ACCESS_DOORS!r}),
    CONSTRAINT access_log_reason_length CHECK (char_length(reason) <= 500)
);
COMMENT ON TABLE access_log IS
    'Journal of reads of patient records: who, when, which patient, what, from where, why (append-only)';
CREATE INDEX access_log_patient_idx ON access_log (patient_id, accessed_at DESC);
CREATE INDEX access_log_user_idx ON access_log (user_id, accessed_at DESC);
CREATE INDEX access_log_accessed_at_idx ON access_log (accessed_at DESC);

CREATE FUNCTION access_log_refuse_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    RAISE EXCEPTION 'access_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'The journal of reads is never changed nor emptied.';
END
$$;
CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION access_log_refuse_change();
CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION access_log_refuse_change();

-- The default privileges of migration 0003 gave the app UPDATE and DELETE.
REVOKE ALL ON access_log FROM caretrail_app;
GRANT SELECT, INSERT ON access_log TO caretrail_app;
GRANT SELECT ON access_log TO caretrail_auditor;
"""

DOWNGRADE = """
DROP TABLE access_log;
DROP FUNCTION access_log_refuse_change();
"""


def upgrade():
    # triggers/0071/01_audit_exempt.sql: access_log joins the tables the audit leaves out.
    install_frozen(op, "0071")
    op.execute(UPGRADE)


def downgrade():
    op.execute(DOWNGRADE)
    install_frozen(op, "0051")
