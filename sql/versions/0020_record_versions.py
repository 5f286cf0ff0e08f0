"""Optimistic locking: a version on every record people edit, bumped by the
database itself at each real change, whoever writes (screen, API, psql).

Revision ID: 0020
Revises: 0011
Create Date: 2026-12-06

- `version integer NOT NULL DEFAULT 1` on patients, staff, rooms, working
  hours, absences, appointment types, appointments, medications, drug
  interactions, patient allergies, prescriptions, hospitalisation reports and
  the hospital settings (certificate templates keep the version they have,
  bumped when their text changes);
- trigger bump_row_version(): an UPDATE that changes the row sets version to
  the old one plus one, whatever value the writer sent; an UPDATE that
  changes nothing leaves it;
- the audit's restore no longer puts a version back (like updated_at, it is
  the database's own): restoring an entry is a new change, with a new version.
  (triggers/0020/01_audit_restore.sql; downgrade runs 0011's copy again).
Screens carry the version a form was opened at, the API gives it as an ETag
and honours If-Match (app/core/versions.py).
"""

from alembic import op

from app.audit_sql import install_frozen

revision = "0020"
down_revision = "0011"
branch_labels = None
depends_on = None

VERSIONED_TABLES = (
    "patients",
    "staff",
    "rooms",
    "doctor_schedule",
    "doctor_absence",
    "appointment_types",
    "appointments",
    "medications",
    "drug_interactions",
    "patient_allergies",
    "prescriptions",
    "hospitalisation_reports",
    "hospital_settings",
)

BUMP_ROW_VERSION = """
CREATE OR REPLACE FUNCTION bump_row_version() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    BEGIN
        -- The version is the database's: whatever the writer sent is ignored.
        NEW.version := OLD.version;
        IF NEW IS DISTINCT FROM OLD THEN
            NEW.version := OLD.version + 1;
        END IF;
        RETURN NEW;
    END
    $$;
COMMENT ON FUNCTION bump_row_version() IS
    'Optimistic locking: an UPDATE that changes the row bumps its version (the writer''s value is ignored)';
"""


def upgrade():
    op.execute(BUMP_ROW_VERSION)
    for table in VERSIONED_TABLES:
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN version integer NOT NULL DEFAULT 1"
            f" CONSTRAINT {table}_version_check CHECK (version >= 1);"
            f" COMMENT ON COLUMN {table}.version IS 'Bumped by the database at each change (optimistic locking)';"
            f" CREATE TRIGGER {table}_version BEFORE UPDATE ON {table}"
            f" FOR EACH ROW EXECUTE FUNCTION bump_row_version();"
        )
    install_frozen(op, "0020")


def downgrade():
    for table in VERSIONED_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_version ON {table}; ALTER TABLE {table} DROP COLUMN version;")
    op.execute("DROP FUNCTION IF EXISTS bump_row_version()")
    install_frozen(op, "0011", only=("audit_restore.sql",))
