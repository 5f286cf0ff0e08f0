"""The readers of a period of the audit have PostgreSQL plan each of their
statements for its values, never a generic plan, though the connections
keep their prepared statements (app/core/statement_plans.py); the other
statements keep the generic plans that spare their planning."""

import pytest
from sqlalchemy import text

from app.core.extensions import db
from tests.agenda import make_patient

BUSY_HOUR = (
    "INSERT INTO audit_log (occurred_at, statement_id, table_name, operation, row_pk, new_row, app_username)"
    " SELECT now() - interval '1 second' * (g % 60), 1, 'public.rooms', 'INSERT', '1', '{\"id\": 1}', 'importer'"
    " FROM generate_series(1, 50000) AS g"
)
# psycopg prepares a statement at its fifth run on a connection, PostgreSQL
# considers a generic plan after five plans made for the values; the pool
# hands its connections out in turn.
RUNS = 30


def plans_of(app, statement_like: str) -> tuple[int, int]:
    """(generic, custom) plans of the prepared statements like this, on every pooled connection."""
    with app.app_context():
        connections = [db.engine.connect() for _ in range(db.engine.pool.checkedin())]
        try:
            counts = [
                connection.execute(
                    text(
                        "SELECT coalesce(sum(generic_plans), 0), coalesce(sum(custom_plans), 0)"
                        " FROM pg_prepared_statements WHERE statement LIKE :like"
                    ),
                    {"like": statement_like},
                ).one()
                for connection in connections
            ]
        finally:
            for connection in connections:
                connection.close()
    return sum(generic for generic, _ in counts), sum(custom for _, custom in counts)


@pytest.mark.parametrize(
    ("path", "statement_like", "busy_hour"),
    [
        ("/api/v1/home/oversight", "%date_bin('1 hour', occurred_at%", True),
        ("/api/audit/stats", "%(occurred_at AT TIME ZONE%", True),
        ("/api/audit/patients", "SELECT audit_log.id,%", False),
    ],
    ids=["oversight home", "statistics", "search"],
)
def test_a_period_of_the_audit_is_planned_for_its_values(app, client, api, sql_conn, path, statement_like, busy_hour):
    """On a log where PostgreSQL would take the generic plan without the
    setting (checked: each case fails without it).  With an hour of
    50,000 entries, planned for its values, the count looks costly, and the
    generic plan, priced for a guessed few, cheaper."""
    make_patient(sql_conn)
    if busy_hour:
        sql_conn.execute(BUSY_HOUR)
        sql_conn.execute("ANALYZE audit_log")
    headers = api("admin")
    for _ in range(RUNS):
        assert client.get(path, headers=headers).status_code == 200
    generic, custom = plans_of(app, statement_like)
    assert custom >= 6, "the statement was never prepared: nothing was shown"
    assert generic == 0


def test_other_statements_keep_their_generic_plans(app, client, api, sql_conn):
    """The token's user, read at every request: planned once."""
    headers = api("admin")
    for _ in range(RUNS):
        assert client.get("/api/v1/home/oversight", headers=headers).status_code == 200
    generic, _custom = plans_of(app, "SELECT ab_user.id%")
    assert generic >= 1


def test_the_newest_entries_unfiltered_keep_their_generic_plan(app, client, login, sql_conn):
    """The audit list as it opens: the same plan whatever the values (each
    partition's index read backwards), so it is not planned again at each
    page.  On a log of 50,000 entries, where a generic plan priced for
    LIMIT $1 (a tenth of the log) would lose to the plans made for the
    values: fails with a search's settings, and with the page's size as a
    parameter."""
    make_patient(sql_conn)
    sql_conn.execute(BUSY_HOUR)
    sql_conn.execute("ANALYZE audit_log")
    login("auditor")
    for _ in range(RUNS):
        assert client.get("/audit/").status_code == 200
    generic, _custom = plans_of(app, "SELECT audit_log.id, audit_log.occurred_at, %ORDER BY%LIMIT%")
    assert generic >= 1
