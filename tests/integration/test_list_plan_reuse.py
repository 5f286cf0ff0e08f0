"""A list the user filtered nothing is planned once per connection; a
search is planned for the words typed at each run (issue 22).

psycopg prepares a statement run five times on a connection; PostgreSQL
then plans it once for all runs (a generic plan) when that plan looks no
dearer than those made for each run's values.  With its LIMIT as a
parameter it never does: a generic plan expects a tenth of the table's
rows from any LIMIT.  The unfiltered patient list was planned anew at
every run (0.24 ms of PostgreSQL's time each, at 500,000 patients);
its page bounds are now written into the statement (app/core/datamodel.py,
apply_pagination).

Each list is opened as a user would, its page's statement captured, then
prepared and run on a connection of its own as the app's pool does, and
PostgreSQL's own count of the plans it made is read back."""

import psycopg
import pytest

from app.records.views import PatientView
from tests.statements import statements_of

PAGE_SIZE = PatientView.page_size

PATIENTS = 5_000  # enough rows for a generic plan's tenth to cost more than a page


@pytest.fixture
def many_patients(sql_conn):
    sql_conn.execute(
        "INSERT INTO patients (last_name, first_name, birth_date, sex)"
        " SELECT 'Nom' || i, 'Anne', DATE '1980-05-17', 'F' FROM generate_series(1, %s) AS i",
        [PATIENTS],
    )
    sql_conn.execute("ANALYZE patients")


def page_statement(app, client, params: dict) -> tuple[str, dict]:
    wanted = lambda statement: "FROM patients" in statement and "ORDER BY" in statement  # noqa: E731
    statements = statements_of(app, client, "/patients/list/", params, wanted)
    assert statements, f"{params}: no page statement"
    return statements[-1]


def plans_made(postgres_server, database_name, statement: str, parameters: dict, runs: int = 10) -> tuple[int, int]:
    """(generic, custom): the plans PostgreSQL made for the statement,
    prepared and run `runs` times on one connection."""
    with psycopg.connect(postgres_server.conninfo(database_name), autocommit=True) as conn:
        for _ in range(runs):
            conn.execute(statement, parameters, prepare=True).fetchall()
        return conn.execute("SELECT generic_plans, custom_plans FROM pg_prepared_statements").fetchone()


@pytest.mark.parametrize(
    ("arguments", "bounds"),
    [({}, f"LIMIT {PAGE_SIZE}"), ({"page_PatientView": "3"}, f"LIMIT {PAGE_SIZE} OFFSET {3 * PAGE_SIZE}")],
    ids=["first page", "a later page"],
)
def test_the_unfiltered_list_is_planned_once_for_all_its_runs(
    app, client, login, postgres_server, database_name, many_patients, arguments, bounds
):
    login("secretary")
    statement, parameters = page_statement(app, client, arguments)
    assert statement.rstrip().endswith(bounds), statement  # the page's bounds are in the statement
    assert "Nom" in client.get("/patients/list/", query_string=arguments).get_data(as_text=True)
    generic, custom = plans_made(postgres_server, database_name, statement, parameters)
    assert generic > 0, (generic, custom)


def test_a_search_is_planned_for_the_words_typed_at_each_run(
    app, client, login, postgres_server, database_name, many_patients
):
    login("secretary")
    statement, parameters = page_statement(app, client, {"_flt_0_last_name": "nom12"})
    generic, custom = plans_made(postgres_server, database_name, statement, parameters)
    assert (generic, custom) == (0, 10)
