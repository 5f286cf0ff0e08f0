"""The audit log screen and its search: every filter, keyset pages, diffs, exports, bad input."""

import csv
import io
import json
import re
from html import unescape

import pytest
import sqlalchemy as sa

from app.audit.models import audit_log
from tests.conftest import browser_logout

PASSWORD_CHANGE = "UPDATE ab_user SET password = 'scrypt:new-hash' WHERE username = 'nurse'"


def as_user(conn, username: str | None, reason: str | None = None) -> None:
    """What the application does at the start of a transaction (here: for the session)."""
    conn.execute("SELECT set_config('caretrail.username', %s, false)", [username or ""])
    conn.execute("SELECT set_config('caretrail.reason', %s, false)", [reason or ""])


def new_patient(conn, last_name="Roux", first_name="Léa") -> int:
    return conn.execute(
        "INSERT INTO patients (last_name, first_name, birth_date, sex) VALUES (%s, %s, '1990-01-01', 'F') RETURNING id",
        [last_name, first_name],
    ).fetchone()[0]


def synthetic_entry(conn, occurred_at: str, table="public.rooms", operation="INSERT", username="secretary", **row):
    """An entry at a chosen time (real changes are stamped now)."""
    values = json.dumps(row or {"id": 1})
    side = "old_row" if operation == "DELETE" else "new_row"
    return conn.execute(
        f"INSERT INTO audit_log (occurred_at, statement_id, table_name, operation, row_pk, {side}, app_username) "
        "VALUES (%s, 0, %s, %s, '1', %s, %s) RETURNING id",
        [occurred_at, table, operation, values, username],
    ).fetchone()[0]


def shown_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-entry-id="(\d+)"', html)]


def opened(client, html: str, entry_id: int) -> str:
    """What the list shows when the entry is opened (audit_log.js fetches it)."""
    item = html.split(f'data-entry-id="{entry_id}"')[1].split("data-entry-id")[0]
    url = unescape(re.search(r'data-detail-url="([^"]+)"', item)[1])
    answer = client.get(url + "&partial=1")
    assert answer.status_code == 200 and answer.mimetype == "text/html"
    return answer.get_data(as_text=True)


@pytest.fixture
def admin_client(client, login):
    login("admin")
    return client


@pytest.fixture
def start_id(sql_conn) -> int:
    return sql_conn.execute("SELECT coalesce(max(id), 0) FROM audit_log").fetchone()[0]


def search(client, **params):
    response = client.get("/audit/", query_string=params)
    return response, response.get_data(as_text=True)


def test_the_list_shows_every_change_newest_first_with_its_diff(admin_client, sql_conn, start_id):
    as_user(sql_conn, "secretary")
    patient = new_patient(sql_conn, "Dubois", "Anne")
    sql_conn.execute("UPDATE patients SET city = 'Lyon' WHERE id = %s", [patient])
    sql_conn.execute("UPDATE patients SET city = 'Nantes' WHERE id = %s", [patient])

    response, html = search(admin_client, table="patients", record=str(patient))
    assert response.status_code == 200
    ids = shown_ids(html)
    assert len(ids) == 3 and ids == sorted(ids, reverse=True)
    newest = html.split(f'data-entry-id="{ids[0]}"')[1].split("data-entry-id")[0]
    assert '<strong class="audit-actor">secretary</strong>' in newest
    assert "city" in re.search(r'<span class="audit-changed">([^<]*)</span>', newest)[1].split(", ")
    # The list reads no row: an entry's fields come when it is opened.
    assert "Nantes" not in newest and "audit-diff" not in newest
    detail = opened(admin_client, html, ids[0])
    # Changed fields only by default, old -> new.
    assert '<td class="audit-old">Lyon</td>' in detail and '<td class="audit-new">Nantes</td>' in detail
    assert "Whole row" in detail and "Dubois" in detail  # the whole row is one click away
    assert "txid=" in detail
    # Without JavaScript the entry's link opens it on a page of its own, and leads back.
    link = unescape(re.search(r'data-detail-url="([^"]+)"', newest)[1])
    page = admin_client.get(link).get_data(as_text=True)
    assert "<details open>" in page and '<td class="audit-new">Nantes</td>' in page
    assert f'href="/audit/?table=patients&amp;record={patient}"' in page


def test_masked_columns_show_as_masked(admin_client, sql_conn, start_id):
    sql_conn.execute(PASSWORD_CHANGE)
    _, html = search(admin_client, table="ab_user", column="password")
    detail = opened(admin_client, html, shown_ids(html)[0])
    assert "[masked]" in detail and "scrypt:new-hash" not in detail


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"user": "doctor"}, {"doctor-room"}),
        ({"db_role": "nobody_here"}, set()),
        ({"action": "DELETE"}, {"deleted"}),
        ({"action": "insert,delete"}, {"doctor-room", "secretary-room", "deleted"}),
        ({"table": "rooms", "record": "SEARCH-2"}, set()),
        ({"column": "name"}, {"renamed", "percent"}),
        ({"column": "kind"}, set()),
        ({"text": "Cardio"}, {"doctor-room", "renamed"}),
        ({"text": "50%"}, {"percent", "deleted"}),
        ({"text": "5_%"}, set()),  # LIKE wildcards are searched for literally
        ({"user": "secretary", "action": "UPDATE"}, {"renamed", "percent"}),
    ],
)
def test_each_filter_and_their_combination(admin_client, sql_conn, start_id, params, expected):
    labels = {}
    as_user(sql_conn, "doctor")
    room = sql_conn.execute(
        "INSERT INTO rooms (code, name, kind) VALUES ('SEARCH-1', 'Cardio 1', 'consultation') RETURNING id"
    ).fetchone()[0]
    labels["doctor-room"] = room
    as_user(sql_conn, "secretary")
    other = sql_conn.execute(
        "INSERT INTO rooms (code, name, kind) VALUES ('SEARCH-3', 'Radio', 'imaging') RETURNING id"
    ).fetchone()[0]
    labels["secretary-room"] = other
    sql_conn.execute("UPDATE rooms SET name = 'Cardio 2' WHERE id = %s", [room])
    labels["renamed"] = room
    sql_conn.execute("UPDATE rooms SET name = 'Radio 50%%' WHERE id = %s", [other])
    labels["percent"] = other
    sql_conn.execute("DELETE FROM rooms WHERE id = %s", [other])
    labels["deleted"] = other
    rows = sql_conn.execute(
        "SELECT id, operation, row_pk, changed_columns FROM audit_log WHERE id > %s AND table_name = 'public.rooms' "
        "ORDER BY id",
        [start_id],
    ).fetchall()
    by_label = {
        "doctor-room": rows[0][0],
        "secretary-room": rows[1][0],
        "renamed": rows[2][0],
        "percent": rows[3][0],
        "deleted": rows[4][0],
    }
    response, html = search(admin_client, **{"table": "rooms", **params})
    assert response.status_code == 200, html
    got = {label for label, entry_id in by_label.items() if entry_id in shown_ids(html)}
    assert got == expected


def test_date_range_and_its_bounds(admin_client, sql_conn):
    inside = synthetic_entry(sql_conn, "2026-03-10 09:30:00+01")
    before = synthetic_entry(sql_conn, "2026-03-09 23:59:00+01")
    last_minute = synthetic_entry(sql_conn, "2026-03-12 23:59:00+01")
    after = synthetic_entry(sql_conn, "2026-03-13 00:00:00+01")
    _, html = search(admin_client, **{"from": "2026-03-10", "to": "2026-03-12"})
    ids = shown_ids(html)
    assert inside in ids and last_minute in ids  # a date alone as 'to' includes that whole day
    assert before not in ids and after not in ids
    _, html = search(admin_client, **{"from": "2026-03-10T09:00", "to": "2026-03-10T10:00"})
    assert shown_ids(html) == [inside]


def test_patient_filter_includes_rows_that_belong_to_the_patient(admin_client, sql_conn, start_id):
    sql_conn.execute(
        "CREATE TABLE patient_notes_test (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
        "patient_id bigint REFERENCES patients ON DELETE CASCADE, body text)"
    )
    sql_conn.execute("SELECT audit_attach('public.patient_notes_test')")
    patient = new_patient(sql_conn)
    stranger = new_patient(sql_conn, "Autre")
    sql_conn.execute("INSERT INTO patient_notes_test (patient_id, body) VALUES (%s, 'mine')", [patient])
    sql_conn.execute("INSERT INTO patient_notes_test (patient_id, body) VALUES (%s, 'not mine')", [stranger])
    sql_conn.execute("DELETE FROM patients WHERE id = %s", [patient])  # cascades to its note

    _, html = search(admin_client, patient=str(patient))
    rows = sql_conn.execute(
        "SELECT id FROM audit_log WHERE id > %s AND (row_pk = %s AND table_name = 'public.patients' "
        "OR coalesce(new_row, old_row) ->> 'patient_id' = %s)",
        [start_id, str(patient), str(patient)],
    ).fetchall()
    assert sorted(shown_ids(html)) == sorted(r[0] for r in rows)
    assert len(rows) == 4  # patient insert + delete, note insert + cascaded delete
    assert "not mine" not in html

    # The same from the patient's own history page, which survives the deletion.
    page = admin_client.get(f"/audit/patient/{patient}")
    assert page.status_code == 200
    assert sorted(shown_ids(page.get_data(as_text=True))) == sorted(r[0] for r in rows)


def test_transaction_filter_groups_the_entries_of_one_transaction(admin_client, sql_conn, start_id):
    with sql_conn.transaction():
        first = new_patient(sql_conn, "Un")
        new_patient(sql_conn, "Deux")
    new_patient(sql_conn, "Trois")
    txid = sql_conn.execute(
        "SELECT txid::text FROM audit_log WHERE table_name = 'public.patients' AND row_pk = %s", [str(first)]
    ).fetchone()[0]
    _, html = search(admin_client, txid=txid)
    assert len(shown_ids(html)) == 2 and "Trois" not in html


def test_keyset_pages_cover_everything_once_newest_first(admin_client, sql_conn, start_id):
    for n in range(7):
        new_patient(sql_conn, f"Page{n}")
    expected = [
        r[0]
        for r in sql_conn.execute(
            "SELECT id FROM audit_log WHERE id > %s AND table_name = 'public.patients' "
            "ORDER BY occurred_at DESC, id DESC",
            [start_id],
        )
    ]
    seen, cursor = [], None
    while True:
        params = {"table": "patients", "page_size": "3", "from": "2000-01-01"}
        if cursor:
            params["cursor"] = cursor
        _, html = search(admin_client, **params)
        page_ids = shown_ids(html)
        assert len(page_ids) <= 3
        seen += page_ids
        found = re.search(r'cursor=([A-Za-z0-9_-]+)"', html)
        if not found:
            break
        cursor = found.group(1)
        assert "from=2000-01-01" in html  # the next-page link keeps the filters
    assert seen[: len(expected)] == expected


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"colour": "red"}, "colour"),
        ({"from": "yesterday"}, "from"),
        ({"from": "2026-02-30"}, "from"),
        ({"from": "2026-03-02", "to": "2026-03-01"}, "to"),
        ({"page_size": "501"}, "page_size"),
        ({"page_size": "0"}, "page_size"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"action": "MERGE"}, "action"),
        ({"table": "patients; DROP TABLE patients"}, "table"),
        ({"txid": "-1"}, "txid"),
        ({"patient": "abc"}, "patient"),
    ],
)
def test_bad_filters_are_a_400_naming_the_field(admin_client, params, field):
    response, html = search(admin_client, **params)
    assert response.status_code == 400
    assert f'data-field="{field}"' in html


def test_partial_refresh_returns_only_the_results(admin_client, sql_conn):
    new_patient(sql_conn, "Partiel")
    response = admin_client.get("/audit/", query_string={"text": "Partiel", "partial": "1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="audit-results"') and "<html" not in html
    assert len(shown_ids(html)) == 1


def test_the_page_ships_the_search_as_you_type_script(admin_client):
    html = admin_client.get("/audit/").get_data(as_text=True)
    assert "/static/js/audit_log.js" in html
    script = admin_client.get("/static/js/audit_log.js")
    assert script.status_code == 200 and b"partial=1" in script.data


@pytest.mark.parametrize("username", ["doctor", "nurse", "secretary", "radiologist"])
def test_only_audit_readers_see_the_log(client, login, username):
    login(username)
    urls = ["/audit/", "/audit/export.csv", "/audit/export.jsonl"]
    if username != "doctor":  # doctors read one patient's history (issue 18: can_history), not the log
        urls.append("/audit/patient/1")
    for url in urls:
        response = client.get(url)
        assert response.status_code in (302, 403), (url, response.status_code)
        assert b"audit-results" not in response.data


def test_csv_export_streams_the_filtered_entries(admin_client, sql_conn, start_id):
    as_user(sql_conn, "secretary", reason="phone call")
    patient = new_patient(sql_conn, "Export", "Zoé")
    sql_conn.execute("UPDATE patients SET city = 'Brest' WHERE id = %s", [patient])
    new_patient(sql_conn, "Other")
    response = admin_client.get("/audit/export.csv", query_string={"table": "patients", "record": str(patient)})
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["operation"] for r in rows] == ["UPDATE", "INSERT"]
    assert rows[0]["changed_columns"] == "city updated_at version" and rows[0]["reason"] == "phone call"
    assert json.loads(rows[0]["new_row"])["city"] == "Brest"


def test_jsonl_export_and_bad_filters(admin_client, sql_conn):
    new_patient(sql_conn, "Jsonl")
    response = admin_client.get("/audit/export.jsonl", query_string={"text": "Jsonl"})
    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert len(lines) == 1 and lines[0]["new_row"]["last_name"] == "Jsonl"
    bad = admin_client.get("/audit/export.csv", query_string={"from": "nope"})
    assert bad.status_code == 400 and b"from" in bad.data


def test_export_reads_through_a_server_side_cursor(app, sql_conn, postgres_server, database_name):
    """Millions of entries never sit in memory: rows come in batches (FETCH)."""
    from app.audit.search import AuditFilters, iter_entries

    for n in range(12):
        new_patient(sql_conn, f"Batch{n}")
    with app.app_context():
        entries = iter_entries(AuditFilters(table="public.patients"), batch_size=5)
        first = next(entries)
        assert first.table_name == "public.patients"
        fetching = sql_conn.execute(
            "SELECT query FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND query ILIKE 'FETCH%%'"
        ).fetchall()
        rest = list(entries)
    assert fetching, "the export did not read through a server-side cursor"
    assert len(rest) >= 11


def test_the_patient_page_links_to_its_history_for_audit_readers_only(client, login, sql_conn):
    patient = new_patient(sql_conn, "Lien")
    login("admin")
    page = client.get(f"/patients/show/{patient}").get_data(as_text=True)
    assert f"/audit/patient/{patient}" in page
    browser_logout(client)
    login("secretary")
    page = client.get(f"/patients/show/{patient}")
    assert page.status_code == 200 and f"/audit/patient/{patient}" not in page.get_data(as_text=True)


def test_the_column_filter_can_use_the_partial_gin_index(app, sql_conn):
    """Only UPDATE entries are in audit_log_changed_columns_idx (WHERE
    changed_columns IS NOT NULL): the planner still picks it for the column
    filter, whose containment test implies that predicate."""
    from app.audit.search import AuditFilters
    from app.core.extensions import db

    with app.app_context():
        query = sa.select(sa.literal(1)).select_from(audit_log).where(*AuditFilters(column="blood_group").conditions())
        compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
    sql_conn.execute("SET enable_seqscan = off")
    plan = "\n".join(row[0] for row in sql_conn.execute(f"EXPLAIN {compiled}").fetchall())
    assert "changed_columns_idx" in plan
