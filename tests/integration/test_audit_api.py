"""The audit REST API (/api/audit/): search, patient history, paging, permissions, bad input."""

import pytest

from tests.integration.test_audit_search import as_user, new_patient, synthetic_entry

READ_ENDPOINTS = [
    ("get", "/api/audit/patients", None),
    ("get", "/api/audit/patients/1", None),
    ("post", "/api/audit/search", {}),
    ("get", "/api/audit/stats", None),
]


def call(client, method, url, headers, body=None, **params):
    if method == "get":
        return client.get(url, headers=headers, query_string=params)
    return client.post(url, headers=headers, json=body)


def test_patients_endpoint_lists_patient_entries_with_filters(client, api, sql_conn):
    as_user(sql_conn, "secretary")
    patient = new_patient(sql_conn, "Api", "Jeanne")
    sql_conn.execute("UPDATE patients SET city = 'Lille' WHERE id = %s", [patient])
    as_user(sql_conn, "doctor")
    sql_conn.execute("INSERT INTO rooms (code, name, kind) VALUES ('API-1', 'Api room', 'other')")
    headers = api("admin")

    everything = client.get("/api/audit/patients", headers=headers).get_json()
    assert {e["table_name"] for e in everything["entries"]} == {"public.patients"}

    mine = client.get(
        "/api/audit/patients", headers=headers, query_string={"user": "secretary", "action": "UPDATE"}
    ).get_json()
    assert [(e["operation"], e["row_pk"]) for e in mine["entries"]] == [("UPDATE", str(patient))]
    entry = mine["entries"][0]
    assert entry["old_row"]["city"] is None and entry["new_row"]["city"] == "Lille"
    assert entry["changed_columns"] == ["city", "updated_at", "version"] and entry["app_username"] == "secretary"

    nothing = client.get(
        "/api/audit/patients", headers=headers, query_string={"from": "2000-01-01", "to": "2000-01-02"}
    ).get_json()
    assert nothing == {"entries": [], "next_cursor": None, "page_size": 50}


def test_patient_history_includes_its_rows_and_survives_deletion(client, api, sql_conn):
    sql_conn.execute(
        "CREATE TABLE visits_test (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
        "patient_id bigint REFERENCES patients ON DELETE CASCADE, note text)"
    )
    sql_conn.execute("SELECT audit_attach('public.visits_test')")
    patient = new_patient(sql_conn, "Histoire")
    sql_conn.execute("INSERT INTO visits_test (patient_id, note) VALUES (%s, 'first visit')", [patient])
    sql_conn.execute("DELETE FROM patients WHERE id = %s", [patient])

    body = client.get(f"/api/audit/patients/{patient}", headers=api("admin")).get_json()
    assert sorted((e["table_name"], e["operation"]) for e in body["entries"]) == [
        ("public.patients", "DELETE"),
        ("public.patients", "INSERT"),
        ("public.visits_test", "DELETE"),
        ("public.visits_test", "INSERT"),
    ]
    assert [e["id"] for e in body["entries"]] == sorted((e["id"] for e in body["entries"]), reverse=True)


def test_search_pages_with_cursor_until_the_end(client, api, sql_conn):
    for n in range(5):
        new_patient(sql_conn, f"Curseur{n}")
    headers = api("admin")
    seen, cursor = [], None
    for _ in range(10):
        body = {"table": "patients", "text": "Curseur", "page_size": 2}
        if cursor:
            body["cursor"] = cursor
        page = client.post("/api/audit/search", headers=headers, json=body).get_json()
        seen += [e["new_row"]["last_name"] for e in page["entries"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [f"Curseur{n}" for n in reversed(range(5))]


def test_search_body_filters_combine(client, api, sql_conn):
    synthetic_entry(sql_conn, "2026-05-04 10:00:00+02", table="public.rooms", operation="INSERT", username="nurse")
    synthetic_entry(sql_conn, "2026-05-04 11:00:00+02", table="public.rooms", operation="INSERT", username="doctor")
    synthetic_entry(sql_conn, "2026-05-06 10:00:00+02", table="public.rooms", operation="INSERT", username="nurse")
    body = {"from": "2026-05-04", "to": "2026-05-04", "user": "nurse", "action": ["INSERT"]}
    page = client.post("/api/audit/search", headers=api("admin"), json=body).get_json()
    assert [e["app_username"] for e in page["entries"]] == ["nurse"]
    assert page["entries"][0]["occurred_at"].startswith("2026-05-04T10:00:00")


@pytest.mark.parametrize(
    ("method", "url", "payload", "field"),
    [
        ("get", "/api/audit/patients", {"from": "31/12/2026"}, "from"),
        ("get", "/api/audit/patients", {"page_size": "1000"}, "page_size"),
        ("get", "/api/audit/patients", {"cursor": "zzz"}, "cursor"),
        ("get", "/api/audit/patients", {"flavour": "x"}, "flavour"),
        ("get", "/api/audit/patients", {"table": "rooms"}, "table"),
        ("get", "/api/audit/patients/3", {"patient": "4"}, "patient"),
        ("post", "/api/audit/search", {"action": "UPSERT"}, "action"),
        ("post", "/api/audit/search", {"cursor": 12}, "cursor"),
        ("post", "/api/audit/search", {"page_size": True}, "page_size"),
        ("post", "/api/audit/search", ["not", "an", "object"], "body"),
        ("get", "/api/audit/stats", {"from": "2026-13-01"}, "from"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(client, api, method, url, payload, field):
    headers = api("admin")
    if method == "get":
        response = client.get(url, headers=headers, query_string=payload)
    else:
        response = client.post(url, headers=headers, json=payload)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert field in response.get_json()["message"]


@pytest.mark.parametrize(
    ("payload", "field", "reason"),
    [
        ({"page_size": "9" * 21}, "page_size", "between 1 and 500"),
        ({"page_size": "0"}, "page_size", "between 1 and 500"),
        ({"page_size": "ten"}, "page_size", "must be a whole number"),
        ({"txid": "9" * 20}, "txid", "is too large"),
        ({"txid": "-4"}, "txid", "must be a whole number"),
    ],
)
def test_a_number_out_of_range_is_told_so_not_called_no_number(client, api, payload, field, reason):
    """Twenty-one digits are a whole number, too large: the answer says what
    would do (a page size between 1 and 500), not that it is no number."""
    response = client.get("/api/audit/patients", headers=api("admin"), query_string=payload)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.get_json()["message"] == {field: [reason]}


@pytest.mark.parametrize("username", ["doctor", "nurse", "secretary", "radiologist"])
def test_care_roles_cannot_read_the_audit(client, api, username):
    """Doctors read one patient's history (issue 18), never the whole log."""
    headers = api(username)
    for method, url, body in READ_ENDPOINTS:
        expected = 200 if username == "doctor" and url == "/api/audit/patients/1" else 403
        assert call(client, method, url, headers, body).status_code == expected, url


def test_without_a_token_it_is_401(client):
    for method, url, body in READ_ENDPOINTS:
        assert call(client, method, url, {}, body).status_code == 401, url


def test_openapi_spec_documents_the_audit_api(client, api):
    spec = client.get("/api/v1/_openapi", headers=api("admin")).get_json()
    for path in ("/api/audit/patients", "/api/audit/patients/{patient_id}", "/api/audit/search", "/api/audit/stats"):
        assert path in spec["paths"], path
    assert "AuditPage" in spec["components"]["schemas"]
    assert spec["paths"]["/api/audit/search"]["post"]["tags"] == ["Audit"]
