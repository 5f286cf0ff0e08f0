"""Live notifications and each user's interface preferences.

Revision ID: 0115
Revises: 0095
Create Date: 2026-12-06

- alerts and appointments NOTIFY caretrail_live with ids only
  (triggers/0115/01_live_notify.sql); every web process LISTENs once and
  fans the news out to its open pages (app/live/).
- user_preferences: the language and the theme a user chose (none: the
  hospital's language, the system's light or dark setting).
"""

from alembic import op

from app.audit_sql import attach_audit, install_frozen

revision = "0115"
down_revision = "0095"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE TABLE user_preferences (
    user_id    integer     PRIMARY KEY,
    locale     varchar(5),
    theme      varchar(5),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT user_preferences_user_id_fkey FOREIGN KEY (user_id) REFERENCES ab_user (id) ON DELETE CASCADE,
    CONSTRAINT user_preferences_locale_check CHECK (locale IN ('en', 'fr')),
    CONSTRAINT user_preferences_theme_check CHECK (theme IN ('light', 'dark'))
);
COMMENT ON TABLE user_preferences IS 'Interface language and theme chosen by each user (none: the defaults)';
"""


def upgrade():
    op.execute(UPGRADE)
    attach_audit(op, "user_preferences")
    install_frozen(op, "0115")


def downgrade():
    op.execute("DROP TRIGGER IF EXISTS appointments_notify_live ON appointments")
    op.execute("DROP TRIGGER IF EXISTS alerts_notify_live ON alerts")
    op.execute("DROP FUNCTION IF EXISTS notify_live_change()")
    op.execute("SELECT audit_detach('public.user_preferences'::regclass)")
    op.execute("DROP TABLE IF EXISTS user_preferences")
