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
    """The reception's home counts and lists them at every load (the index
    of migration 0042; 0121 had made a second one, which 0123 drops)."""
    where = sa.select(sa.func.count()).select_from(Appointment).where(*home_rules.TO_REBOOK)
    compiled = str(where.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    assert "appointments_needs_rebooking_idx" in plan(sql_conn, compiled)


def test_no_index_repeats_another(sql_conn):
    """Two indexes on the same columns, the same way, with the same
    predicate: every write keeps both, no query is served better (0121
    repeated 0042's index on the appointments to rebook)."""
    repeated = sql_conn.execute(
        "SELECT array_agg(i.indexrelid::regclass::text ORDER BY i.indexrelid::regclass::text)"
        " FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid"
        " WHERE t.relnamespace = 'public'::regnamespace"
        " GROUP BY i.indrelid, i.indkey::text, i.indclass::text, i.indcollation::text, i.indoption::text,"
        " i.indisunique, pg_get_expr(i.indexprs, i.indrelid), pg_get_expr(i.indpred, i.indrelid)"
        " HAVING count(*) > 1"
    ).fetchall()
    # FAB's own model declares lookup_hash unique and indexes it unique too
    # (flask_appbuilder/security/sqla/models.py, ApiKey); migration 0001
    # follows the model FAB's code expects, on a table of a few rows.
    fabs = ["ab_api_key_lookup_hash_key", "idx_api_key_lookup_hash"]
    assert [names for (names,) in repeated if names != fabs] == []
