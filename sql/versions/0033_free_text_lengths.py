"""A length for every free-text column: a 30 MB note is refused by the
database too (it was stored, and copied into the audit).

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-06

The columns typed `text` without a bound get a CHECK named
<table>_<column>_length (the varchar columns are bounded by their type).
The limits are those the screens and the API already apply or now apply
(app/core/lengths.py reads them from the models' column info): a refusal is
a 422 naming the field at every door.  Rows already longer keep their place
(the constraint is then left NOT VALID, named in a NOTICE) and are asked to
be shortened at their next change.
"""

from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

# (table, column, most characters)
LENGTHS = (
    ("patients", "allergies", 2000),
    ("patients", "notes", 10000),
    ("appointments", "notes", 2000),
    ("drug_interactions", "message", 2000),
    ("patient_allergies", "description", 500),
    ("prescriptions", "notes", 5000),
    ("prescription_items", "instructions", 2000),
)


def upgrade():
    for table, column, most in LENGTHS:
        name = f"{table}_{column}_length"
        op.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK (char_length({column}) <= {most}) NOT VALID;"
            f" DO $$ BEGIN ALTER TABLE {table} VALIDATE CONSTRAINT {name};"
            f" EXCEPTION WHEN check_violation THEN"
            f" RAISE NOTICE '{name} left NOT VALID: longer rows exist (shortened at their next change)';"
            f" END $$;"
        )


def downgrade():
    for table, column, _most in LENGTHS:
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {table}_{column}_length")
