"""Queries the busiest pages run on every load go through an index, whatever
the table's size (EXPLAIN with sequential scans priced out, as on a large
table): a plan that would walk or scan comes back as a failure here."""

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from app.agenda.models import Appointment
from app.home import rules as home_rules


def plan(sql_conn, statement: str, params=None) -> str:
    sql_conn.execute("SET enable_seqscan = off")
    return "\n".join(row[0] for row in sql_conn.execute("EXPLAIN " + statement, params or []).fetchall())


def test_the_appointments_to_rebook_are_read_through_their_partial_index(sql_conn):
    """The reception's home counts and lists them at every load (migration 0121)."""
    where = sa.select(sa.func.count()).select_from(Appointment).where(*home_rules.TO_REBOOK)
    compiled = str(where.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    assert "appointments_to_rebook_idx" in plan(sql_conn, compiled)
