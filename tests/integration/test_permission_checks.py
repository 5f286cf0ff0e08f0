"""FAB's route and menu checks read the role matrix, the same one `roles
sync` writes to the database: they agree with the database on every pair,
and a page costs no query per menu entry or button."""

import pytest
from sqlalchemy import event

from app.core.extensions import db
from app.security.policy import role_may
from tests.agenda import make_patient
from tests.conftest import ROLE_USERS


def database_pairs(sql_conn, role: str) -> set[tuple[str, str]]:
    rows = sql_conn.execute(
        """
        SELECT p.name, v.name FROM ab_role r
          JOIN ab_permission_view_role pvr ON pvr.role_id = r.id
          JOIN ab_permission_view pv ON pv.id = pvr.permission_view_id
          JOIN ab_permission p ON p.id = pv.permission_id
          JOIN ab_view_menu v ON v.id = pv.view_menu_id
         WHERE r.name = %s
        """,
        [role],
    ).fetchall()
    return set(rows)


@pytest.mark.parametrize("role", sorted(set(ROLE_USERS.values())))
def test_the_matrix_in_python_agrees_with_the_synced_database_on_every_pair(sql_conn, role):
    every_pair = set(
        sql_conn.execute(
            "SELECT p.name, v.name FROM ab_permission_view pv JOIN ab_permission p ON p.id = pv.permission_id"
            " JOIN ab_view_menu v ON v.id = pv.view_menu_id"
        ).fetchall()
    )
    granted = database_pairs(sql_conn, role)
    assert {pair for pair in every_pair if role_may({role}, *pair)} == granted


def count_queries(app, client, path: str) -> int:
    queries = []

    def record(*_args):
        queries.append(1)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200, (path, response.status_code)
    return len(queries)


def test_pages_cost_no_query_per_menu_entry_or_button(app, client, login, sql_conn):
    pid = make_patient(sql_conn)
    login("admin")
    # Today 9, 19 and 10; FAB's per-button checks cost 46, 63 and 44.  Since
    # issue 18 every page also checks the session is alive (one query), and
    # the patient page journals the read and looks for records merged into
    # it; since issue 19 an admin's top bar counts the new alerts (one query);
    # since issue 21 the patient page's clinical section reads the latest
    # observations, the active problems and the recent consultations (three),
    # and its care section the vaccinations, the patient's age, the calendar
    # and the overdue care (four).
    assert count_queries(app, client, "/patients/list/") <= 10
    assert count_queries(app, client, f"/patients/show/{pid}") <= 26
    assert count_queries(app, client, "/audit/") <= 11
