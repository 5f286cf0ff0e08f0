"""Audit release 0021: closed to forgery, and cheaper per row.

Revision ID: 0021
Revises: 0042
Create Date: 2026-12-06

Installs triggers/0021/ (the audit SQL as this release shipped it):
- one capture function per audited table, made by audit_attach() with the
  table's name, key and masked columns written in; it refuses any other
  table (a temporary table of the same name included), and only the owner
  may execute it, so no login can attach it to a table of its own and forge
  sealed, trusted-looking entries.  The generic audit_capture() of earlier
  releases, executable by PUBLIC, is dropped once every table is
  re-attached;
- claims of roles that are neither the application's nor the owner's are
  not believed: besides the user (claimed_user, as before), their
  caretrail.client_addr, caretrail.request_id and application_name are not
  recorded (the address is the connection's own);
- the append-only guard has no exception any more (SET
  caretrail.audit_maintenance opened it to the owner and superusers): a
  month created late takes its entries out of the default partition by
  detaching it, archiving detaches and drops whole sealed months;
- EXECUTE on the maintenance functions (audit_ensure_partitions,
  audit_seal, audit_attach...) is revoked from PUBLIC, granted to
  caretrail_app where the application needs it;
- audit_verify() names, for an id held by two entries, the copy the chain
  does not vouch for.
Cheaper per audited row (bench/audit_instructions, figures in the README):
- the BRIN index on id is dropped: the seal finds what it has not sealed
  through the transaction index (audit_seals.next_xid, the xmax of its
  snapshot);
- audit_log.patient_id, copied from the row by the capture functions
  (filled in for earlier entries here; audit_verify() reports an entry
  whose patient_id disagrees with its row), with a plain partial btree,
  replaces the expression index on the rows' JSON (audit_log_patient_idx
  -> audit_log_patient_id_idx).
Downgrade: back to release 0020 (triggers/0011 then triggers/0020, each
table re-attached to the generic function, the BRIN and expression indexes
rebuilt); what 0021 added is dropped.
"""

from alembic import op

from app.audit_sql import install_frozen

revision = "0021"
down_revision = "0042"
branch_labels = None
depends_on = None


# The entries written before this release get their patient_id, through
# the maintenance door of release 0020's guard, used here one last time
# before release 0021 closes it.
BACKFILL_PATIENT_ID = """
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS patient_id text;
SELECT set_config('caretrail.audit_maintenance', 'on', true);
UPDATE audit_log SET patient_id = coalesce(new_row, old_row) ->> 'patient_id'
 WHERE coalesce(new_row, old_row) ? 'patient_id';
SELECT set_config('caretrail.audit_maintenance', 'off', true);
"""


def upgrade():
    op.execute(BACKFILL_PATIENT_ID)
    install_frozen(op, "0021")
    op.execute("SELECT audit_attach_all()")
    op.execute("DROP FUNCTION IF EXISTS audit_capture()")


def downgrade():
    # Detach with today's audit_detach (it drops each table's own function),
    # then put release 0020 back and re-attach every table to its generic function.
    op.execute(
        """
        DO $$
        DECLARE t regclass;
        BEGIN
            FOR t IN SELECT DISTINCT tgrelid::regclass FROM pg_trigger WHERE tgname = 'audit_insert' LOOP
                PERFORM audit_detach(t);
            END LOOP;
        END $$;
        DROP FUNCTION IF EXISTS audit_capture_source();
        DROP FUNCTION IF EXISTS audit_verify_position(bigint, integer, audit_log, jsonb);
        DROP INDEX IF EXISTS audit_log_patient_id_idx;
        ALTER TABLE audit_log DROP COLUMN IF EXISTS patient_id;
        ALTER TABLE audit_seals DROP COLUMN IF EXISTS next_xid;
        """
    )
    install_frozen(op, "0011")
    install_frozen(op, "0020")
    op.execute("SELECT audit_attach_all()")
    # Release 0020 left every function executable by PUBLIC but the restore
    # (0005 gave it to the app role only), and granted nothing else itself.
    op.execute(
        """
        GRANT EXECUTE ON FUNCTION audit_attach(regclass), audit_detach(regclass), audit_attach_all(),
                                  audit_refresh_masking(), audit_guard(regclass), audit_refuse_change(),
                                  audit_ensure_partitions(integer, date), audit_seal(), audit_verify(),
                                  audit_chain_origin()
            TO PUBLIC;
        REVOKE EXECUTE ON FUNCTION audit_restore(bigint, text, boolean, text), audit_restore_row(audit_log, text)
            FROM PUBLIC;
        DO $$
        BEGIN
            IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'caretrail_app') THEN
                REVOKE EXECUTE ON FUNCTION audit_ensure_partitions(integer, date), audit_seal(),
                                           audit_chain_origin(), audit_verify()
                    FROM caretrail_app;
            END IF;
            IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'caretrail_auditor') THEN
                REVOKE EXECUTE ON FUNCTION audit_chain_origin() FROM caretrail_auditor;
            END IF;
        END
        $$;
        """
    )
