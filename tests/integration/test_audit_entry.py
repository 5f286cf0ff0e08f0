"""An audit entry opened (/audit/entry/<id>): what the list shows when an
entry is opened, fetched then (the list reads no row), or a page of its own.
Who may open which entry, what they see of it, and bad input."""

import re
from html import unescape

import pytest

from tests.conftest import browser_login
from tests.integration.test_audit_search import as_user, new_patient


def entry_of(conn, table: str, row_pk, operation: str = "INSERT") -> dict:
    entry_id, occurred_at = conn.execute(
        "SELECT id, occurred_at FROM audit_log WHERE table_name = %s AND row_pk = %s AND operation = %s"
        " ORDER BY id DESC LIMIT 1",
        [f"public.{table}", str(row_pk), operation],
    ).fetchone()
    return {"id": entry_id, "occurred_at": occurred_at}


def opened(client, entry: dict, **params):
    return client.get(
        f"/audit/entry/{entry['id']}", query_string={"at": entry["occurred_at"].isoformat(), "partial": "1", **params}
    )


@pytest.fixture
def rows(sql_conn):
    as_user(sql_conn, "secretary")
    mine, other = new_patient(sql_conn, "Garnier", "Luc"), new_patient(sql_conn, "Perrin", "Zoé")
    sql_conn.execute("UPDATE patients SET allergies = 'Arachide', city = 'Tours' WHERE id = %s", [mine])
    return mine, other


@pytest.fixture
def entries(sql_conn, rows):
    mine, other = rows
    return {"mine": entry_of(sql_conn, "patients", mine, "UPDATE"), "other": entry_of(sql_conn, "patients", other)}


def test_an_auditor_opens_any_entry_with_the_fields_their_role_may_read(client, login, entries):
    login("auditor")
    answer = opened(client, entries["mine"])
    assert answer.status_code == 200 and answer.mimetype == "text/html"
    detail = answer.get_data(as_text=True)
    assert "<td" in detail and "Garnier" in detail  # the identity is theirs to read
    assert (
        "Arachide" not in detail and "Tours" not in detail and "[hidden]" in detail
    )  # the medical and contact are not
    assert "Same transaction" in detail and "Restore the state before" not in detail  # restoring is the admins'


def test_a_doctor_opens_the_entries_of_a_patients_history_only(client, login, rows, entries):
    mine, _other = rows
    login("doctor")
    answer = opened(client, entries["mine"], patient=mine)
    assert answer.status_code == 200
    detail = answer.get_data(as_text=True)
    assert "Arachide" in detail  # a doctor reads the allergies
    assert "Same transaction" not in detail  # the whole log is not theirs to browse
    assert opened(client, entries["mine"]).status_code == 403  # not naming the patient: the whole log
    assert opened(client, entries["other"], patient=mine).status_code == 404  # another patient's row
    # The history page's entries carry the patient in their link.
    history = client.get(f"/audit/patient/{mine}").get_data(as_text=True)
    links = [unescape(link) for link in re.findall(r'data-detail-url="([^"]+)"', history)]
    assert links and all(f"patient={mine}" in link for link in links)
    assert client.get(links[0] + "&partial=1").status_code == 200


def test_those_without_the_history_may_open_no_entry(app, entries):
    secretary = app.test_client()
    browser_login(secretary, "secretary")
    assert opened(secretary, entries["mine"]).status_code == 403


def test_an_entry_is_found_by_its_id_alone_too_and_a_missing_one_is_a_404(client, login, entries):
    login("admin")
    entry = entries["other"]
    assert client.get(f"/audit/entry/{entry['id']}?partial=1").status_code == 200
    assert opened(client, {**entry, "id": entry["id"] + 10_000_000}).status_code == 404
    # A right id at the wrong time is no entry either.
    assert opened(client, {**entry, "occurred_at": entry["occurred_at"].replace(year=2001)}).status_code == 404


@pytest.mark.parametrize(
    ("params", "field"),
    [({"at": "yesterday"}, "at"), ({"patient": "x"}, "patient"), ({"patient": "12; drop table"}, "patient")],
)
def test_bad_input_is_a_400_naming_the_field(client, login, entries, params, field):
    login("admin")
    answer = client.get(f"/audit/entry/{entries['other']['id']}", query_string=params)
    assert answer.status_code == 400 and answer.get_data(as_text=True).startswith(f"{field}:")


def test_the_restores_come_back_to_the_list_and_never_elsewhere(client, login, entries):
    login("admin")
    detail = opened(client, entries["mine"], next="/audit/?table=patients").get_data(as_text=True)
    assert "next=/audit/?table%3Dpatients" in unescape(detail)
    for outside in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        detail = unescape(opened(client, entries["mine"], next=outside).get_data(as_text=True))
        assert "evil" not in detail and "next=/audit/" in detail


def test_names_in_an_entry_are_escaped_even_under_a_delegation(client, login, sql_conn):
    """The actor under a delegation ("a on behalf of b") was a lazy text,
    whose __html__ passed the names it holds unescaped: in the list and on
    the restore page."""
    entry = sql_conn.execute(
        "INSERT INTO audit_log (occurred_at, statement_id, table_name, operation, row_pk, new_row, app_username,"
        " on_behalf_of, reason) VALUES (now(), 0, 'public.rooms', 'INSERT', '1', %s, %s, %s, %s) RETURNING id",
        ['{"name": "<b>room</b>"}', "<img src=x onerror=alert(1)>", "<script>boss</script>", "<i>why</i>"],
    ).fetchone()[0]
    login("admin")
    page = client.get("/audit/", query_string={"table": "rooms"}).get_data(as_text=True)
    item = page.split(f'data-entry-id="{entry}"')[1].split("</li>")[0]
    assert "<img" not in item and "<script>" not in item and "<i>" not in item
    assert "&lt;img src=x onerror=alert(1)&gt;" in item and "&lt;script&gt;boss&lt;/script&gt;" in item
    detail = unescape(re.search(r'data-detail-url="([^"]+)"', item)[1])
    fields = client.get(detail + "&partial=1").get_data(as_text=True)
    assert "<b>" not in fields and "&lt;b&gt;room&lt;/b&gt;" in fields
    restore = client.get(f"/audit/restore/{entry}?mode=before").get_data(as_text=True)
    assert "<script>boss" not in restore and "&lt;script&gt;boss&lt;/script&gt;" in restore
