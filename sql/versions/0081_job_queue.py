"""The background job queue: procrastinate's tables and functions.

Revision ID: 0081
Revises: 0072
Create Date: 2026-12-06

- procrastinate 3.10.0's schema (its jobs, events, periodic defers and
  workers tables, its enum types and PL/pgSQL functions), installed from the
  copy frozen in the repository, sql/procrastinate/procrastinate--3.10.0.sql:
  a later procrastinate brings its own migration, never a silent change here.
- The queue's tables are machinery, not records: they are left out of the
  audit (audit_is_exempt() learns the `procrastinate_` prefix). Auditing them
  would write an entry for each job's every state change, and the alert
  engine, which reads the audit, would wake itself up for ever.
- The application's role (caretrail_app) reads and writes the queue (the
  web process enqueues, the worker fetches and finishes jobs): the default
  privileges of migration 0003 grant the tables and sequences.
"""

from pathlib import Path

from alembic import op

from app.audit_sql import install_frozen

revision = "0081"
down_revision = "0072"
branch_labels = None
depends_on = None

SCHEMA_SQL = Path(__file__).resolve().parent.parent / "procrastinate" / "procrastinate--3.10.0.sql"

AUDIT_IS_EXEMPT = r"""
CREATE OR REPLACE FUNCTION audit_is_exempt(table_name text) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT table_name IN ('audit_log', 'audit_chain', 'audit_seals', 'audit_archives',
                                'security_log', 'user_sessions', 'access_log')
                 OR table_name LIKE 'audit\_log\_%'
                 OR table_name LIKE 'procrastinate\_%' $$;
"""


def upgrade():
    op.execute(AUDIT_IS_EXEMPT)
    op.execute(SCHEMA_SQL.read_text(encoding="utf-8"))
    op.execute(
        "GRANT SELECT, INSERT, UPDATE, DELETE ON procrastinate_jobs, procrastinate_events,"
        " procrastinate_periodic_defers, procrastinate_workers TO caretrail_app"
    )


def downgrade():
    op.execute(
        "DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs,"
        " procrastinate_workers CASCADE"
    )
    op.execute(
        """
        DO $$
        DECLARE f regprocedure;
        BEGIN
            FOR f IN SELECT p.oid::regprocedure FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                      WHERE n.nspname = 'public' AND p.proname LIKE 'procrastinate\\_%'
            LOOP
                EXECUTE format('DROP FUNCTION %s CASCADE', f);
            END LOOP;
        END
        $$;
        DROP TYPE IF EXISTS procrastinate_job_to_defer_v1, procrastinate_job_event_type, procrastinate_job_status;
        """
    )
    install_frozen(op, "0071")  # 0071's audit_is_exempt, without procrastinate's tables
