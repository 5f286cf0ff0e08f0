"""Every name-search door sorts its matches: none lets PostgreSQL walk an
index in the list's order and filter every row (issue 22: 2 s for "moreau"
at 500,000 patients when the planner chose that walk).

Each door is called as a user would, its statements are captured, and each
statement that searches patients by name is EXPLAINed with sorting priced
out (enable_sort = off) and sequential scans too, as on a large table: if
an index could give the list's order, the planner would walk it rather than
sort, and the test fails."""

import pytest
import sqlalchemy as sa

from app.core.name_search import sort_keys
from tests.agenda import make_patient
from tests.statements import statements_of

DOORS = {
    "quick search": ("/patients/list/", {"_flt_0_last_name": "dupont"}),
    "last name filter": ("/patients/list/", {"_flt_1_last_name": "dupont"}),
    "last name filter, sorted by birth date": (
        "/patients/list/",
        {"_flt_1_last_name": "dupont", "_oc_PatientView": "birth_date", "_od_PatientView": "desc"},
    ),
    "picker": ("/patient-lookup/", {"q": "dupont"}),
    "global search": ("/api/v1/search", {"q": "dupont"}),
    "REST q=": ("/api/v1/patients/", {"q": "(filters:!((col:last_name,opr:name,value:dupont)),page_size:20)"}),
    "REST q=, by id": (
        "/api/v1/patients/",
        {"q": "(filters:!((col:last_name,opr:name,value:dupont)),order_column:id,order_direction:desc)"},
    ),
    "typo fallback": ("/patients/list/", {"_flt_0_last_name": "dupomt"}),
}


def searching_statements(app, client, path: str, params: dict) -> list[tuple[str, dict]]:
    return statements_of(
        app,
        client,
        path,
        params,
        lambda statement: "FROM patients" in statement and "ORDER BY" in statement and "search_text" in statement,
    )


@pytest.mark.parametrize("door", sorted(DOORS))
def test_a_name_search_sorts_its_matches_and_walks_no_index(app, client, login, sql_conn, door):
    for first_name in ("Marie", "Paul", "Anne"):
        make_patient(sql_conn, "Dupont", first_name)
    make_patient(sql_conn, "Moreau", "Luc")
    sql_conn.execute("ANALYZE patients")
    login("secretary")
    path, params = DOORS[door]
    statements = searching_statements(app, client, path, params)
    assert statements, f"{door}: no name search ran"
    sql_conn.execute("SET enable_sort = off")
    sql_conn.execute("SET enable_seqscan = off")
    for statement, parameters in statements:
        plan = "\n".join(row[0] for row in sql_conn.execute("EXPLAIN " + statement, parameters).fetchall())
        assert "Sort" in plan and "patients_name_order_idx" not in plan and "patients_birth_date_idx" not in plan, (
            f"{door}: an index walk instead of a sort\n{statement}\n{plan}"
        )


def test_the_sort_keys_keep_the_columns_order(sql_conn):
    """greatest(x) orders as x does: accents by the database's collation, NULLs last."""
    names = ["Émile", "Eric", "ada", None, "Zoé", "Ève"]
    rows = sql_conn.execute("SELECT v FROM unnest(%s::text[]) AS t(v) ORDER BY v", [names]).fetchall()
    keyed = sql_conn.execute("SELECT v FROM unnest(%s::text[]) AS t(v) ORDER BY greatest(v)", [names]).fetchall()
    assert keyed == rows
    assert str(sort_keys(sa.column("v"))[0]) == "greatest(v)"
