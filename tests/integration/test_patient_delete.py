"""Deleting a patient: the confirmation page, its reason in the audit, the API's reason."""

import re

import pytest

from tests.conftest import csrf_token
from tests.integration.test_audit_search import new_patient

LIST = "/patients/list/"


def confirm_url(patient_id: int) -> str:
    return f"/patients/delete/{patient_id}/confirm"


@pytest.fixture
def notes(sql_conn):
    """A table whose rows belong to a patient and go with it (ON DELETE CASCADE),
    audited and writable by the app, as appointments will be."""
    sql_conn.execute(
        "CREATE TABLE care_notes_test (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
        "patient_id bigint NOT NULL REFERENCES patients ON DELETE CASCADE, body text NOT NULL)"
    )
    sql_conn.execute("SELECT audit_attach('public.care_notes_test')")
    sql_conn.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON care_notes_test TO caretrail_app")
    return "care_notes_test"


def add_notes(sql_conn, patient_id: int, count: int) -> None:
    for n in range(count):
        sql_conn.execute("INSERT INTO care_notes_test (patient_id, body) VALUES (%s, %s)", [patient_id, f"note {n}"])


def exists(sql_conn, patient_id: int) -> bool:
    return sql_conn.execute("SELECT 1 FROM patients WHERE id = %s", [patient_id]).fetchone() is not None


def deletions(sql_conn, txid=None) -> list[dict]:
    """The DELETE entries, oldest first (of one transaction when txid is given)."""
    query = (
        "SELECT table_name, row_pk, reason, app_username, txid::text AS txid FROM audit_log WHERE operation = 'DELETE'"
    )
    params = []
    if txid:
        query += " AND txid::text = %s"
        params.append(txid)
    cursor = sql_conn.execute(query + " ORDER BY id", params)
    return [dict(zip([d.name for d in cursor.description], row, strict=True)) for row in cursor]


def post_delete(client, patient_id: int, reason: str | None = None):
    page = client.get(confirm_url(patient_id))
    assert page.status_code == 200
    data = {"csrf_token": csrf_token(page.get_data(as_text=True))}
    if reason is not None:
        data["reason"] = reason
    return client.post(confirm_url(patient_id), data=data)


def test_the_page_says_who_and_what_is_deleted_and_deletes_nothing(client, login, sql_conn, notes):
    pid = new_patient(sql_conn, "Marchand", "Odile")
    add_notes(sql_conn, pid, 2)
    (mrn,) = sql_conn.execute("SELECT mrn FROM patients WHERE id = %s", [pid]).fetchone()
    login("admin")
    page = client.get(confirm_url(pid))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Marchand Odile" in html and mrn in html and "01/01/1990" in html
    effects = re.search(r'<li data-table="care_notes_test">(.*?)</li>', html, re.S)[1]
    assert "<strong>2 rows of care_notes_test</strong>" in effects and "deleted with the patient" in effects
    assert 'name="reason"' in html and 'maxlength="500"' in html and 'method="post"' in html
    csrf_token(html)  # the form carries a token
    assert exists(sql_conn, pid)


def test_the_page_names_what_goes_with_the_patient_in_the_users_words(app, client, login, sql_conn):
    """Allergies, not "patient_allergies": in English and in French."""
    pid = new_patient(sql_conn, "Marchand", "Odile")
    for substance in ("Pénicilline", "Latex"):
        sql_conn.execute("INSERT INTO patient_allergies (patient_id, substance) VALUES (%s, %s)", [pid, substance])
    login("admin")
    html = client.get(confirm_url(pid)).get_data(as_text=True)
    effects = re.search(r'<li data-table="patient_allergies">(.*?)</li>', html, re.S)[1]
    assert "<strong>2 allergies</strong>" in effects and "deleted with the patient" in effects
    assert client.get("/lang/fr").status_code == 302
    html = client.get(confirm_url(pid)).get_data(as_text=True)
    effects = re.search(r'<li data-table="patient_allergies">(.*?)</li>', html, re.S)[1]
    assert "<strong>2 allergies</strong>" in effects and "supprimé" in effects.lower()
    assert "patient_allergies" not in re.sub(r'data-table="[^"]*"', "", html)


def test_the_list_and_the_patient_page_lead_to_the_confirmation_page(client, login, sql_conn):
    pid = new_patient(sql_conn)
    login("admin")
    listing = client.get(LIST).get_data(as_text=True)
    assert f'href="{confirm_url(pid)}"' in listing
    assert "execute_single_delete" not in listing  # no more JavaScript confirm on patients
    show = client.get(f"/patients/show/{pid}").get_data(as_text=True)
    assert f'href="{confirm_url(pid)}"' in show


def test_a_secretary_sees_no_delete_button_and_is_refused_the_page(client, login, sql_conn):
    pid = new_patient(sql_conn)
    login("secretary")
    listing = client.get(LIST)
    html = listing.get_data(as_text=True)
    assert listing.status_code == 200 and confirm_url(pid) not in html
    assert confirm_url(pid) not in client.get(f"/patients/show/{pid}").get_data(as_text=True)
    assert client.get(confirm_url(pid)).status_code in (302, 403)
    refused = client.post(confirm_url(pid), data={"csrf_token": csrf_token(html), "reason": "try"})
    assert refused.status_code in (302, 403)
    assert exists(sql_conn, pid)


def test_a_reason_lands_on_every_entry_of_the_deletion(client, login, sql_conn, notes):
    """The patient's DELETE and its cascaded rows' DELETEs: one transaction,
    the admin's name and the reason on each."""
    pid = new_patient(sql_conn, "Doublon")
    add_notes(sql_conn, pid, 2)
    login("admin")
    done = post_delete(client, pid, "  duplicate of IPP 42  ")
    assert done.status_code == 302 and done.headers["Location"].endswith(LIST)
    assert not exists(sql_conn, pid)
    assert sql_conn.execute("SELECT count(*) FROM care_notes_test").fetchone() == (0,)
    [patient_entry] = [e for e in deletions(sql_conn) if e["table_name"] == "public.patients"]
    assert patient_entry["row_pk"] == str(pid)
    entries = deletions(sql_conn, patient_entry["txid"])
    assert sorted(e["table_name"] for e in entries) == ["public.care_notes_test"] * 2 + ["public.patients"]
    assert {(e["reason"], e["app_username"]) for e in entries} == {("duplicate of IPP 42", "admin")}


def test_without_a_reason_the_entry_has_none_and_the_message_points_to_the_bin(client, login, sql_conn):
    pid = new_patient(sql_conn, "Sansraison")
    login("admin")
    done = post_delete(client, pid, "   ")
    assert done.status_code == 302
    [entry] = deletions(sql_conn)
    assert (entry["reason"], entry["app_username"]) == (None, "admin")
    flashed = client.get(LIST).get_data(as_text=True)
    assert "Patient SANSRAISON Léa (IPP" in flashed
    assert 'restored from <a href="/audit/deleted-patients/">Audit → Deleted patients</a>' in flashed


def test_a_post_without_csrf_token_deletes_nothing(client, login, sql_conn):
    pid = new_patient(sql_conn)
    login("admin")
    refused = client.post(confirm_url(pid), data={"reason": "forged"})
    assert refused.status_code == 400
    assert exists(sql_conn, pid) and deletions(sql_conn) == []


def test_a_reason_over_500_characters_is_refused_and_kept_in_the_form(client, login, sql_conn):
    pid = new_patient(sql_conn)
    login("admin")
    refused = post_delete(client, pid, "x" * 501)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "A reason is at most 500 characters." in html
    assert "x" * 501 in html  # what was typed is still there
    assert exists(sql_conn, pid)
    assert post_delete(client, pid, "y" * 500).status_code == 302
    assert deletions(sql_conn)[0]["reason"] == "y" * 500


def test_rows_that_refuse_the_deletion_are_announced_and_nothing_is_deleted(client, login, sql_conn):
    sql_conn.execute(
        "CREATE TABLE invoices_test (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
        "patient_id bigint NOT NULL REFERENCES patients ON DELETE RESTRICT)"
    )
    sql_conn.execute("GRANT SELECT ON invoices_test TO caretrail_app")
    pid = new_patient(sql_conn)
    sql_conn.execute("INSERT INTO invoices_test (patient_id) VALUES (%s)", [pid])
    login("admin")
    html = client.get(confirm_url(pid)).get_data(as_text=True)
    assert "prevent the deletion" in re.search(r'<li data-table="invoices_test">(.*?)</li>', html, re.S)[1]
    assert "1 row of invoices_test refer to them" in html and "Mark the patient inactive" in html
    token = csrf_token(client.get(LIST).get_data(as_text=True))  # the page offers no delete form
    refused = client.post(confirm_url(pid), data={"csrf_token": token, "reason": "should fail"})
    # A Conflict (409), as the API answers it.
    assert refused.status_code == 409 and "This patient cannot be deleted" in refused.get_data(as_text=True)
    assert exists(sql_conn, pid) and deletions(sql_conn) == []


def test_an_already_deleted_patient_goes_back_to_the_list(client, login, sql_conn):
    pid = new_patient(sql_conn)
    sql_conn.execute("DELETE FROM patients WHERE id = %s", [pid])
    login("admin")
    response = client.get(confirm_url(pid))
    assert response.status_code == 302 and response.headers["Location"].endswith(LIST)


def test_the_deleted_patient_is_in_the_bin_with_its_reason(client, login, sql_conn):
    pid = new_patient(sql_conn, "Corbeille")
    login("admin")
    assert post_delete(client, pid, "left the hospital network").status_code == 302
    html = client.get("/audit/deleted-patients/").get_data(as_text=True)
    row = re.search(rf'<tr data-patient-id="{pid}">(.*?)</tr>', html, re.S)[1]
    assert "Corbeille" in row and "left the hospital network" in row and "admin" in row


def test_fab_delete_route_still_needs_post_and_a_token(client, login, sql_conn):
    pid = new_patient(sql_conn)
    login("admin")
    client.get(f"/patients/delete/{pid}")
    assert client.post(f"/patients/delete/{pid}").status_code == 400
    assert exists(sql_conn, pid)


@pytest.mark.parametrize(
    ("how", "expected"),
    [
        ({"headers": {"X-Audit-Reason": "merged into IPP 7"}}, "merged into IPP 7"),
        ({"query_string": {"reason": "fusionné avec le dossier 7"}}, "fusionné avec le dossier 7"),
        ({}, None),
    ],
)
def test_the_api_delete_takes_an_optional_reason(client, api, sql_conn, notes, how, expected):
    pid = new_patient(sql_conn)
    add_notes(sql_conn, pid, 1)
    headers = {**api("admin"), **how.get("headers", {})}
    response = client.delete(f"/api/v1/patients/{pid}", headers=headers, query_string=how.get("query_string"))
    assert response.status_code == 200, response.get_json()
    entries = deletions(sql_conn)
    assert len(entries) == 2 and {(e["reason"], e["app_username"]) for e in entries} == {(expected, "admin")}


def test_the_api_refuses_a_reason_over_500_characters(client, api, sql_conn):
    pid = new_patient(sql_conn)
    response = client.delete(f"/api/v1/patients/{pid}", headers=api("admin"), query_string={"reason": "x" * 501})
    assert response.status_code == 422  # as everywhere a reason is too long (screens, prescriptions, restore)
    assert response.get_json() == {"message": {"reason": ["A reason is at most 500 characters."]}}
    assert exists(sql_conn, pid)


def test_every_table_that_refers_to_a_patient_has_words(sql_conn):
    """A table a later issue adds with a key onto patients gets its words in
    ROW_WORDS, or the deletion page names it as the database does."""
    from app.records.deletion import ROW_WORDS

    tables = {
        row[0]
        for row in sql_conn.execute(
            "SELECT conrelid::regclass::text FROM pg_constraint"
            " WHERE contype = 'f' AND confrelid = 'public.patients'::regclass AND conparentid = 0"
        )
    }
    assert tables and tables <= ROW_WORDS.keys(), tables - ROW_WORDS.keys()
