"""The audit log's search as you type (static/js/audit_log.js), in a real browser."""

from urllib.parse import parse_qs

from tests.integration.test_audit_search import new_patient

SHOWN_IDS = "() => [...document.querySelectorAll('#audit-results [data-entry-id]')].map(e => Number(e.dataset.entryId))"


def entry_ids(sql_conn, where: str, params=()) -> list[int]:
    """Audit entries, newest first, as the screen lists them."""
    rows = sql_conn.execute(f"SELECT id FROM audit_log WHERE {where} ORDER BY occurred_at DESC, id DESC", params)
    return [row[0] for row in rows]


def wait_for_entries(page, expected: list[int]) -> None:
    page.wait_for_function(f"expected => JSON.stringify(({SHOWN_IDS})()) === JSON.stringify(expected)", arg=expected)


def test_typing_a_filter_refreshes_the_entries_without_reloading_the_page(sign_in, live_server, sql_conn):
    wanted = new_patient(sql_conn, "Zyxomir", "Ada")
    sql_conn.execute("UPDATE patients SET city = 'Quimper' WHERE id = %s", [wanted])
    other = new_patient(sql_conn, "Martin", "Paul")
    expected = entry_ids(sql_conn, "table_name = 'public.patients' AND row_pk = %s", [str(wanted)])
    assert len(expected) == 2  # its INSERT and its UPDATE

    page = sign_in("admin")
    page.goto(f"{live_server}/audit/")
    before = page.evaluate(SHOWN_IDS)
    assert set(expected) <= set(before)
    assert set(entry_ids(sql_conn, "row_pk = %s AND table_name = 'public.patients'", [str(other)])) <= set(before)

    page.evaluate("window.__marker = 1")  # a full page load would wipe it
    with page.expect_response(lambda r: "partial=1" in r.url and "text=zyxomir" in r.url) as answer:
        page.locator("#audit-text").press_sequentially("zyxomir", delay=40)
    assert answer.value.status == 200
    wait_for_entries(page, expected)

    assert page.evaluate("window.__marker") == 1
    assert parse_qs(page.evaluate("location.search").lstrip("?")) == {"text": ["zyxomir"]}
    assert page.locator("#audit-results").inner_text().count("patients #") == 2


def test_choosing_an_action_and_pressing_enter_refresh_in_place(sign_in, live_server, sql_conn):
    kept = new_patient(sql_conn, "Reste")
    gone = new_patient(sql_conn, "Parti")
    sql_conn.execute("DELETE FROM patients WHERE id = %s", [gone])
    deletion = entry_ids(sql_conn, "operation = 'DELETE' AND table_name = 'public.patients'")
    assert len(deletion) == 1

    page = sign_in("admin")
    page.goto(f"{live_server}/audit/?table=public.patients")
    assert len(page.evaluate(SHOWN_IDS)) == 3  # two INSERTs and the DELETE
    page.evaluate("window.__marker = 1")
    page.select_option("#audit-action", "DELETE")
    wait_for_entries(page, deletion)
    query = parse_qs(page.evaluate("location.search").lstrip("?"))
    assert query == {"table": ["public.patients"], "action": ["DELETE"]}

    # Enter submits the form: the script answers in place too.
    page.fill("#audit-record", str(kept))
    page.locator("#audit-record").press("Enter")
    page.wait_for_selector("#audit-results :text('No audit entry matches.')")
    assert page.evaluate("window.__marker") == 1
    assert parse_qs(page.evaluate("location.search").lstrip("?"))["record"] == [str(kept)]


def test_opening_an_entry_fetches_its_fields_once_also_after_a_search(sign_in, live_server, sql_conn):
    """The list reads no row: an entry opened shows its fields, where the
    change came from and the restores, fetched then (and not again when it
    is closed and reopened); entries drawn by a search as you type too."""
    patient = new_patient(sql_conn, "Quenelle", "Ada")
    sql_conn.execute("UPDATE patients SET city = 'Quimper' WHERE id = %s", [patient])
    update = entry_ids(
        sql_conn, "table_name = 'public.patients' AND row_pk = %s AND operation = 'UPDATE'", [str(patient)]
    )

    page = sign_in("admin")
    page.goto(f"{live_server}/audit/")
    entry = page.locator(f'[data-entry-id="{update[0]}"]')
    assert entry.locator("td").count() == 0
    fetched = []
    page.on("request", lambda request: fetched.append(request.url) if "/audit/entry/" in request.url else None)
    entry.locator("summary").first.click()
    entry.locator("td.audit-new", has_text="Quimper").wait_for()
    assert entry.locator("a", has_text="Restore the state before").count() == 1
    entry.locator("summary").first.click()
    entry.locator("summary").first.click()
    assert len(fetched) == 1 and "partial=1" in fetched[0]

    page.locator("#audit-text").press_sequentially("quenelle", delay=40)
    wait_for_entries(page, entry_ids(sql_conn, "table_name = 'public.patients' AND row_pk = %s", [str(patient)]))
    fresh = page.locator(f'[data-entry-id="{update[0]}"]')
    fresh.locator("summary").first.click()
    fresh.locator("td.audit-new", has_text="Quimper").wait_for()
