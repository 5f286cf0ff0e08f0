"""The patient list and one doctor's calendar week read their rows from an
index in the order they show them (migration 0124): at 500,200 patients
the list sorted the 902 namesakes of its first surname to show 20, and a
doctor's week was found among all the doctors' (4,256 rows read for 71).

Each page is called as a user would, its statement captured and EXPLAINed
with sequential scans priced out, as on a large table."""

import pytest

from tests.agenda import book, make_patient
from tests.agenda_screens import at, make_clinic, wall
from tests.statements import statements_of


def captured(app, client, path: str, params: dict, wanted: str) -> list[tuple[str, dict]]:
    statements = statements_of(app, client, path, params, lambda statement: wanted in statement)
    assert statements, f"{path}: no statement with {wanted!r}"
    return statements


def plan(sql_conn, statement: str, parameters) -> str:
    return "\n".join(row[0] for row in sql_conn.execute("EXPLAIN " + statement, parameters).fetchall())


def test_namesakes_are_listed_by_first_name(client, login, sql_conn):
    for first_name in ("Paul", "Anne", "Marc"):
        make_patient(sql_conn, "Aaberg", first_name)
    login("secretary")

    def rows(params: dict) -> str:
        page = client.get("/patients/list/", query_string=params).get_data(as_text=True)
        return page[page.index("<tbody") :]

    forwards = rows({})
    assert forwards.index("Anne") < forwards.index("Marc") < forwards.index("Paul")
    backwards = rows({"_oc_PatientView": "last_name", "_od_PatientView": "desc"})
    assert backwards.index("Paul") < backwards.index("Marc") < backwards.index("Anne")


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_the_patient_list_reads_its_page_in_order_from_the_name_index(app, client, login, sql_conn, direction):
    for first_name in ("Paul", "Anne"):
        make_patient(sql_conn, "Aaberg", first_name)
    sql_conn.execute("ANALYZE patients")
    login("secretary")
    params = {"_oc_PatientView": "last_name", "_od_PatientView": direction}
    statements = captured(app, client, "/patients/list/", params, "ORDER BY patients.last_name")
    sql_conn.execute("SET enable_sort = off")
    sql_conn.execute("SET enable_seqscan = off")
    for statement, parameters in statements:
        found = plan(sql_conn, statement, parameters)
        assert "patients_name_order_idx" in found and "Sort" not in found, f"{statement}\n{found}"


def test_one_doctors_week_is_read_through_the_doctors_index(app, client, login, sql_conn):
    clinic = make_clinic(sql_conn)
    book(sql_conn, clinic["dubois"], clinic["martin"], at(10))
    book(sql_conn, clinic["durand"], clinic["petit"], at(10))
    sql_conn.execute("ANALYZE appointments")
    login("secretary")
    params = {"start": wall(0), "end": wall(23, 59), "doctor_id": clinic["martin"]}
    statements = captured(app, client, "/calendar/events", params, "FROM appointments")
    sql_conn.execute("SET enable_seqscan = off")
    # Storage where a random read costs about a sequential one (an SSD, or
    # a database in memory), as PostgreSQL's documentation advises setting:
    # under the default 4, at 50 doctors, the planner still prefers reading
    # the week of all the doctors in the order of appointments_starts_at_idx.
    sql_conn.execute("SET random_page_cost = 1.1")
    for statement, parameters in statements:
        assert "appointments_doctor_starts_idx" in plan(sql_conn, statement, parameters), statement
