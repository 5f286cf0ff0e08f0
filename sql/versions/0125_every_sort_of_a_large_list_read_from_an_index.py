"""Every order a patients' or appointments' list offers, read from an index.

Revision ID: 0125
Revises: 0124
Create Date: 2026-12-07

The patient list (screen and API) may be sorted by first name, city or
last change, and the appointments' by status, duration, end or last change:
none had an index in its order, so each such page sorted the whole table
to show 25 rows.  At 500,200 patients and 307,000 appointments: 160-200 ms
a page for the patients, 80-125 ms for the appointments, where a page in
an indexed order takes 1-3 ms.  Each index is (column, id): a list's order
is its column, then the primary key (FAB's), so the index gives the page
in its order, forwards or backwards, and is read for those rows only.

Seven indexes, each kept by every write of its table.  Measured on that
database, each twice, in one run: 5,000 patients inserted in 283-344 ms
with them, 235-281 without; 5,000 appointments updated (audited, their
updated_at changed) in 806-846 ms, 652-714 without: 10 to 30 microseconds
more per row written, against the whole table sorted at each click on a
column.
tests/integration/test_list_order_plans.py checks every order the two
tables' lists offer, so a column made sortable without its index fails.

Built in the migrations' one transaction (sql/env.py), as every index:
writes to the two tables wait while they build (a few seconds at the size
above).
"""

from alembic import op

revision = "0125"
down_revision = "0124"
branch_labels = None
depends_on = None

INDEXES = {
    "patients_first_name_order_idx": "patients (first_name, id)",
    "patients_city_order_idx": "patients (city, id)",
    "patients_updated_at_order_idx": "patients (updated_at, id)",
    "appointments_status_order_idx": "appointments (status, id)",
    "appointments_duration_order_idx": "appointments (duration_minutes, id)",
    "appointments_ends_at_order_idx": "appointments (ends_at, id)",
    "appointments_updated_at_order_idx": "appointments (updated_at, id)",
}


def upgrade():
    for name, columns in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON {columns}")


def downgrade():
    for name in INDEXES:
        op.execute(f"DROP INDEX {name}")
