"""Audit release 0084: on whose behalf a change was made.

Revision ID: 0084
Revises: 0083
Create Date: 2026-12-06

Installs triggers/0084/:
- audit_log.on_behalf_of (text, NULL when nobody is acted for): under a
  delegation the application sets caretrail.on_behalf_of
  (app/core/db_context.py) and every capture function copies it, believed
  only from the application's role and the schema's owner like the other
  claims (another role's claim goes to claimed_user, "... on behalf of X");
- the seal's canonical content appends on_behalf_of only when it is set:
  every entry sealed before keeps its link (audit verify stays intact),
  and setting, changing or clearing it afterwards is reported "modified";
- audit_log_readable (and the history views over it) end with on_behalf_of.
Every table is re-attached, so its capture function is made again from the
new template.
Downgrade: back to release 0021's capture, seal and views, the column dropped.
"""

import sqlalchemy as sa
from alembic import op

from app.audit_sql import install_frozen

revision = "0084"
down_revision = "0083"
branch_labels = None
depends_on = None

# The views over audit_log_readable were expanded when they were made: made
# again so that they carry on_behalf_of too (a column added at the end keeps
# their grants).
EXEMPT_DEFINITION = "SELECT pg_get_functiondef('public.audit_is_exempt(text)'::regprocedure)"
HISTORY_VIEWS = ("patient_history", "staff_history", "room_history", "user_and_role_history")


def upgrade():
    install_frozen(op, "0084")
    op.execute("SELECT audit_attach_all()")


def downgrade():
    # CREATE OR REPLACE VIEW cannot drop a column: the views are dropped and
    # made again from release 0021, with the grants release 0003 gave them.
    op.execute(f"DROP VIEW {', '.join(HISTORY_VIEWS)}, audit_log_readable")
    # 0021's capture file also holds audit_is_exempt(), which later
    # migrations extended: the definition in place is kept and put back.
    exempt = op.get_bind().execute(sa.text(EXEMPT_DEFINITION)).scalar_one()
    install_frozen(op, "0021", only=("audit_capture.sql", "audit_seal.sql", "audit_views.sql"))
    op.execute(exempt)
    op.execute(
        f"""
        GRANT SELECT ON audit_log_readable, {", ".join(HISTORY_VIEWS)} TO caretrail_auditor, caretrail_app;
        SELECT audit_attach_all();
        ALTER TABLE audit_log DROP COLUMN on_behalf_of;
        """
    )
