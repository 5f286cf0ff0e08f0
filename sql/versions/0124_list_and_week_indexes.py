"""The patient list's order and one doctor's appointments, each read from an index.

Revision ID: 0124
Revises: 0123
Create Date: 2026-12-07

The patient list, in last-name order, now shows namesakes by first name,
then by id (app/records/models.py, Patient.list_order_ties).  The name
order index was (last_name, first_name): a page in the list's old order
(last_name, id) read all the patients of the first last name shown and sorted them
(902 rows for 20 at 500,200 patients, 1.5 ms of every unfiltered list).
With the id in it, the index gives the page in its order and is read for
those rows only; it still serves all that (last_name, first_name) served.

One doctor's calendar week, and the doctor's day, asked for the week's
appointments of all the doctors through appointments_starts_at_idx and
kept one doctor's (71 of 4,256 rows a week: 1.3 ms of each page).
(doctor_id, starts_at) reads that doctor's only.  The doctor overlap
index (GiST, on the range) is not one the plain starts_at/ends_at
conditions of those pages can use.

Built in the migrations' one transaction (sql/env.py), as every index:
at 500,200 patients and 307,000 appointments, 1.4 s of writes held
on those two tables while they build.
"""

from alembic import op

revision = "0124"
down_revision = "0123"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("DROP INDEX patients_name_order_idx")
    op.execute("CREATE INDEX patients_name_order_idx ON patients (last_name, first_name, id)")
    op.execute("CREATE INDEX appointments_doctor_starts_idx ON appointments (doctor_id, starts_at)")


def downgrade():
    op.execute("DROP INDEX appointments_doctor_starts_idx")
    op.execute("DROP INDEX patients_name_order_idx")
    op.execute("CREATE INDEX patients_name_order_idx ON patients (last_name, first_name)")
