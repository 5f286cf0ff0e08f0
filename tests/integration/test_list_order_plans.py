"""Every order the patients' and the appointments' lists offer (screens and
API, both directions) reads its page from an index in that order, never
by sorting the table (migration 0125): at 500,200 patients a list sorted by
city sorted them all to show 25 (180 ms).  The orders are read from the
views themselves, so a column made sortable without its index fails here.

Each list is called as a user would, its page's statement captured and
EXPLAINed with sequential scans and sorts priced out, as on a large table:
an index in the order serves it; without one, the plan still sorts.  (An
index on the column alone, the primary key after it sorted within each
value as it comes, an Incremental Sort, serves it too.)"""

import re

import pytest

from app.agenda.api import AppointmentApi
from app.agenda.views.appointments import AppointmentView
from app.records.api import PatientApi
from app.records.views import PatientView
from tests.agenda import book, make_patient
from tests.agenda_screens import at, make_clinic
from tests.statements import statements_of

SCREENS = [
    (PatientView, "/patients/list/", "FROM patients"),
    (AppointmentView, "/appointments/list/", "FROM appointments"),
]
APIS = [
    (PatientApi, "/api/v1/patients/", "FROM patients"),
    (AppointmentApi, "/api/v1/appointments/", "FROM appointments"),
]


def orders(lists):
    return [
        pytest.param(view, path, table, column, direction, id=f"{path}{column}-{direction}")
        for view, path, table in lists
        for column in view.order_columns
        for direction in ("asc", "desc")
    ]


@pytest.fixture
def filled(sql_conn):
    clinic = make_clinic(sql_conn)
    for hour, name in ((9, "Aubert"), (10, "Roux"), (11, "Petit")):
        book(sql_conn, make_patient(sql_conn, name, "Anne"), clinic["martin"], at(hour))
    sql_conn.execute("ANALYZE patients")
    sql_conn.execute("ANALYZE appointments")
    return clinic


def page_plans(app, client, sql_conn, path, params, table, headers=None) -> list[str]:
    wanted = lambda statement: table in statement and "ORDER BY" in statement  # noqa: E731
    statements = statements_of(app, client, path, params, wanted, headers=headers)
    assert statements, f"{path} {params}: no page statement"
    sql_conn.execute("SET enable_seqscan = off")
    sql_conn.execute("SET enable_sort = off")
    plans = []
    for statement, parameters in statements:
        rows = sql_conn.execute("EXPLAIN " + statement, parameters).fetchall()
        plans.append("\n".join(row[0] for row in rows))
    return plans


def sorts_the_table(plan: str) -> bool:
    """A Sort node (not an Incremental Sort, nor a "Sort Key:" line)."""
    return re.search(r"^\s*(->\s+)?Sort\s+\(", plan, re.MULTILINE) is not None


@pytest.mark.parametrize(("view", "path", "table", "column", "direction"), orders(SCREENS))
def test_each_order_of_a_large_list_screen_is_read_from_an_index(
    app, client, login, sql_conn, filled, view, path, table, column, direction
):
    login("secretary")
    name = view.__name__
    params = {f"_oc_{name}": column, f"_od_{name}": direction}
    for plan in page_plans(app, client, sql_conn, path, params, table):
        assert not sorts_the_table(plan), plan


@pytest.mark.parametrize(("view", "path", "table", "column", "direction"), orders(APIS))
def test_each_order_of_a_large_api_list_is_read_from_an_index(
    app, client, api, sql_conn, filled, view, path, table, column, direction
):
    headers = api("secretary")
    params = {"q": f"(order_column:{column},order_direction:{direction})"}
    for plan in page_plans(app, client, sql_conn, path, params, table, headers=headers):
        assert not sorts_the_table(plan), plan
