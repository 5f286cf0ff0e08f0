"""Audit release 0085: the same entries, cheaper per audited row.

Revision ID: 0085
Revises: 0084
Create Date: 2026-12-06

Installs triggers/0085/ (bench/audit_instructions, figures in the README):
- who acts is read from ONE setting, caretrail.context, a public.audit_context
  record the application sets (app/core/db_context.py), parsed once per row
  instead of six settings read and compared one by one; believed only from
  the application's role and the owner, as before.  Sessions that set the
  settings one by one (psql, scripts, the migrations) are still read;
- statement_id is written as 0: the statement is occurred_at with txid
  (statement_id was the same instant in microseconds).  Older entries keep
  theirs, the seal's canonical content is unchanged, every link verifies;
- row_pk and patient_id come from the row's own columns (NEW.id::text),
  not from its JSON (same text for integer and text columns; the JSON is
  still used for other types and masked columns);
- old_row and new_row are json, written by row_to_json() (to_jsonb() for a
  table with masked columns); the seal hashes them as JSONB, so every link
  verifies; the views over audit_log are made again (json_object_keys),
  restore and verify read the rows as jsonb.
Every table is re-attached (audit_attach writes the new template).
Downgrade: the rows back to jsonb, release 0084's capture, seal and views
(0021's restore), every table re-attached, the context type and
audit_column_text() dropped.
"""

from alembic import op

from app.audit_sql import install_frozen

revision = "0085"
down_revision = "0084"
branch_labels = None
depends_on = None


def upgrade():
    install_frozen(op, "0085")
    op.execute("SELECT audit_attach_all()")


HISTORY_VIEWS = "patient_history, staff_history, room_history, user_and_role_history"


def downgrade():
    op.execute(
        f"""
        DROP VIEW {HISTORY_VIEWS}, audit_log_readable;
        ALTER TABLE audit_log ALTER COLUMN old_row TYPE jsonb USING old_row::jsonb,
                              ALTER COLUMN new_row TYPE jsonb USING new_row::jsonb;
        COMMENT ON COLUMN audit_log.old_row IS 'The whole row before the change (masked columns show as "[masked]")';
        COMMENT ON COLUMN audit_log.new_row IS 'The whole row after the change (masked columns show as "[masked]")';
        """
    )
    install_frozen(op, "0084", only=("audit_capture.sql", "audit_seal.sql", "audit_views.sql"))
    install_frozen(op, "0021", only=("audit_restore.sql",))
    op.execute(
        f"""
        GRANT SELECT ON audit_log_readable, {HISTORY_VIEWS} TO caretrail_auditor, caretrail_app;
        SELECT audit_attach_all();
        DROP FUNCTION audit_column_text(text, regclass, text[], text[]);
        DROP TYPE public.audit_context;
        COMMENT ON COLUMN audit_log.statement_id IS 'The client statement that wrote the entry (its start, in microseconds since 1970); with txid it groups the rows of one statement';
        """
    )
