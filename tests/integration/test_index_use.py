"""Queries the busiest pages run on every load go through an index, whatever
the table's size (EXPLAIN with sequential scans priced out, as on a large
table): a plan that would walk or scan comes back as a failure here."""

from datetime import UTC, datetime

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


def test_the_recycle_bin_reads_the_deletions_newest_first_and_asks_patients_by_key(sql_conn):
    """The bin's pages walk audit_log_deletions_idx (migration 0126; on each
    partition it is named after its columns) and look each patient up by
    primary key: the whole log read and every patient's id hashed took 0.9
    to 1.9 s a page at 4.8 million entries."""
    from app.audit import deleted_patients

    # As on a large log: each deletion looked up, not every patient hashed.
    sql_conn.execute("SET enable_hashjoin = off")
    sql_conn.execute("SET enable_mergejoin = off")
    sql_conn.execute("SET enable_material = off")
    pages = {
        "first": (deleted_patients.FIRST_PAGE, {"limit": 51}),
        "next": (
            deleted_patients.NEXT_PAGE,
            {"limit": 51, "before_at": datetime(2026, 12, 1, tzinfo=UTC), "before_id": 10**9},
        ),
    }
    for name, (statement, params) in pages.items():
        compiled = statement.bindparams(**params).compile(
            dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
        )
        found = plan(sql_conn, str(compiled))
        assert "table_name_occurred_at_id_idx" in found, (name, found)
        assert "Index Cond: (id = (a.row_pk)::bigint)" in found, (name, found)
        assert "Seq Scan on audit_log" not in found, (name, found)
