"""Who may do what, field by field (issue 18): the role x resource matrix
through every generated screen and API, generated from the registered
views; and the patients' field groups on API answers, pages, forms, inputs,
filters and the audit's diff."""

import json
import re
from pathlib import Path

import pytest
from flask_appbuilder import ModelRestApi, ModelView

from app.core.actor import Actor
from app.security.matrix import RESOURCES, matrix_markdown
from app.security.policy import READ, WRITE, readable_fields, role_may, writable_fields
from app.security.roles import FIELD_GROUPS, PATIENTS
from tests.conftest import ROLE_USERS, browser_login, csrf_token

README = Path(__file__).resolve().parents[2] / "README.md"
PATIENT_FIELDS = {field for fields in FIELD_GROUPS[PATIENTS].values() for field in fields}
# Distinctive values, to find (or not) in every answer.
VALUES = {
    "nir": "185057800608491",
    "phone": "+33612345678",
    "city": "Vierzon",
    "blood_group": "AB-",
    "allergies": "Pénicilline-XYZ",
    "notes": "Note-médicale-42",
}


def actor(role: str) -> Actor:
    return Actor(role.lower(), 1, frozenset({role}))


@pytest.fixture
def patient(sql_conn) -> int:
    """A patient with a value in every group."""
    return sql_conn.execute(
        "INSERT INTO patients (last_name, first_name, birth_date, sex, nir, phone, city, blood_group, allergies, notes)"
        " VALUES ('Garnier', 'Luc', '1985-05-17', 'M', %(nir)s, %(phone)s, %(city)s, %(blood_group)s,"
        " %(allergies)s, %(notes)s) RETURNING id",
        VALUES,
    ).fetchone()[0]


def generated_operations(app):
    """(kind, url, resource, action) for every registered generated screen and
    API: its list (read) and, for screens, its add form (write)."""
    operations = []
    with app.test_request_context():
        for view in app.appbuilder.baseviews:
            resource = view.class_permission_name
            if resource not in RESOURCES:
                continue  # FAB's own security screens: administrators'
            if isinstance(view, ModelView):
                operations.append(("screen", f"{view.route_base}/list/", resource, READ))
                if f"{view.endpoint}.add" in app.view_functions:
                    operations.append(("screen", f"{view.route_base}/add", resource, WRITE))
            elif isinstance(view, ModelRestApi):
                operations.append(("api", f"/api/v1/{view.resource_name}/", resource, READ))
    return operations


def expected_status(role: str, resource: str, action: str, url: str) -> bool:
    allowed = role_may({role}, action, resource)
    if allowed and url == "/patients/add":
        # Creating a patient needs the identity group (a nurse writes care fields only).
        allowed = {"last_name", "first_name", "birth_date", "sex"} <= writable_fields(actor(role), PATIENTS)
    return allowed


@pytest.mark.parametrize("username", sorted(ROLE_USERS))
def test_every_generated_screen_and_api_obeys_the_matrix(app, client, login, api, username):
    role = ROLE_USERS[username]
    operations = generated_operations(app)
    assert len(operations) > 30
    login(username)
    headers = api(username)
    wrong = []
    for kind, url, resource, action in operations:
        answer = client.get(url, headers=headers if kind == "api" else None)
        allowed = expected_status(role, resource, action, url)
        if allowed != (answer.status_code == 200) or (not allowed and answer.status_code not in (302, 401, 403)):
            wrong.append((kind, url, action, answer.status_code))
    assert wrong == []


@pytest.mark.parametrize("username", ["admin", "doctor", "nurse", "secretary", "radiologist"])
def test_the_api_answers_only_the_fields_the_role_reads(client, api, patient, username):
    role = ROLE_USERS[username]
    readable = readable_fields(actor(role), PATIENTS)
    shown = client.get(f"/api/v1/patients/{patient}", headers=api(username))
    assert shown.status_code == 200
    result = shown.get_json()["result"]
    assert set(result) & PATIENT_FIELDS == readable & PATIENT_FIELDS  # the keys are absent, not null
    listed = client.get("/api/v1/patients/", headers=api(username)).get_json()
    assert set(listed["result"][0]) & PATIENT_FIELDS <= readable
    answered = json.dumps(shown.get_json(), ensure_ascii=False)
    for name, value in VALUES.items():
        assert (value in answered) == (name in readable), name


@pytest.mark.parametrize("username", ["admin", "doctor", "nurse", "secretary", "radiologist"])
def test_the_patient_page_shows_only_the_fields_the_role_reads(client, login, patient, username):
    role = ROLE_USERS[username]
    readable = readable_fields(actor(role), PATIENTS)
    login(username)
    page = client.get(f"/patients/show/{patient}").get_data(as_text=True)
    assert "GARNIER" in page.upper()
    for name, value in VALUES.items():
        assert (value in page) == (name in readable), name


@pytest.mark.parametrize("username", ["admin", "doctor", "nurse", "secretary"])
def test_the_edit_form_holds_only_the_fields_the_role_writes(client, login, patient, username):
    role = ROLE_USERS[username]
    login(username)
    page = client.get(f"/patients/edit/{patient}").get_data(as_text=True)
    inputs = set(re.findall(r'name="([a-z_]+)"', page)) & PATIENT_FIELDS
    assert inputs == writable_fields(actor(role), PATIENTS) & PATIENT_FIELDS - {"mrn"}  # the IPP is generated


def test_a_hidden_field_posted_to_the_form_is_refused(client, login, patient, sql_conn):
    login("secretary")
    page = client.get(f"/patients/edit/{patient}").get_data(as_text=True)
    assert 'name="allergies"' not in page
    form = {"last_name": "Garnier", "first_name": "Luc", "birth_date": "1985-05-17", "sex": "M"}
    refused = client.post(f"/patients/edit/{patient}", data={**form, "allergies": "", "csrf_token": csrf_token(page)})
    assert refused.status_code == 403
    assert (
        sql_conn.execute("SELECT allergies FROM patients WHERE id = %s", [patient]).fetchone()[0] == VALUES["allergies"]
    )


def test_a_nurse_writes_care_fields_but_not_the_last_name(client, api, patient, sql_conn):
    headers = api("nurse")
    refused = client.put(f"/api/v1/patients/{patient}", headers=headers, json={"last_name": "Martin"})
    assert refused.status_code == 403
    assert "last_name" in refused.get_json()["message"]
    # The same value is refused too: the answer must not depend on what the field holds.
    same = client.put(f"/api/v1/patients/{patient}", headers=headers, json={"last_name": "Garnier"})
    assert same.status_code == 403
    assert client.put(f"/api/v1/patients/{patient}", headers=headers, json={"allergies": "Latex"}).status_code == 200
    row = sql_conn.execute("SELECT last_name, allergies FROM patients WHERE id = %s", [patient]).fetchone()
    assert row == ("Garnier", "Latex")
    assert client.post("/api/v1/patients/", headers=headers, json={"last_name": "X"}).status_code == 403


def test_a_secretary_may_not_write_medical_fields_through_the_api(client, api, patient, sql_conn):
    headers = api("secretary")
    refused = client.put(f"/api/v1/patients/{patient}", headers=headers, json={"city": "Bourges", "notes": "x"})
    assert refused.status_code == 403 and "notes" in refused.get_json()["message"]
    assert sql_conn.execute("SELECT city FROM patients WHERE id = %s", [patient]).fetchone()[0] == "Vierzon"
    answer = client.put(f"/api/v1/patients/{patient}", headers=headers, json={"city": "Bourges"})
    assert answer.status_code == 200 and "notes" not in answer.get_json()["result"]


def test_the_rule_refuses_an_unwritable_change_from_any_door(app, patient):
    """No door in front: the rule itself refuses."""
    from app.core.errors import Forbidden
    from app.core.extensions import db
    from app.records.models import Patient
    from app.records.rules import PATIENT_RULES

    with app.app_context():
        item = db.session.get(Patient, patient)
        with pytest.raises(Forbidden):
            PATIENT_RULES.update(db.session, actor("Secretary"), item, {"blood_group": "O+"})
        db.session.rollback()


def test_filters_and_orders_on_unreadable_fields_are_refused(client, login, api, patient):
    headers = api("radiologist")
    by_phone = "(filters:!((col:phone,opr:ct,value:'3361')))"
    assert client.get(f"/api/v1/patients/?q={by_phone}", headers=headers).status_code == 403
    assert client.get("/api/v1/patients/?q=(order_column:city,order_direction:asc)", headers=headers).status_code == 403
    assert client.get(f"/api/v1/patients/?q={by_phone}", headers=api("secretary")).status_code == 200
    login("radiologist")
    assert client.get("/patients/list/?_flt_0_phone=3361").status_code == 403
    assert client.get("/patients/list/?_flt_0_last_name=garnier").status_code == 200


def test_the_audit_diff_hides_what_the_role_may_not_read(client, api, patient, sql_conn):
    sql_conn.execute("UPDATE patients SET allergies = 'Arachide', city = 'Tours' WHERE id = %s", [patient])
    for username, allergies_shown in (("doctor", True), ("auditor", False)):
        answer = client.get(f"/api/audit/patients/{patient}", headers=api(username))
        assert answer.status_code == 200, username
        update = next(e for e in answer.get_json()["entries"] if e["operation"] == "UPDATE")
        assert "allergies" in update["changed_columns"]
        assert (update["new_row"]["allergies"] == "Arachide") == allergies_shown, username
        assert update["new_row"]["last_name"] == "Garnier"
        if not allergies_shown:
            assert update["new_row"]["allergies"] == "[hidden]" and update["new_row"]["city"] == "[hidden]"


def test_doctors_read_a_patients_history_not_the_whole_audit(app, client, login, patient):
    login("doctor")
    page = client.get(f"/patients/show/{patient}").get_data(as_text=True)
    assert f"/audit/patient/{patient}" in page
    history = client.get(f"/audit/patient/{patient}")
    assert history.status_code == 200 and "export.csv" not in history.get_data(as_text=True)
    assert client.get("/audit/").status_code == 403
    assert client.get("/audit/export.csv").status_code == 403
    secretary = app.test_client()
    browser_login(secretary, "secretary")
    assert secretary.get(f"/audit/patient/{patient}").status_code == 403


def test_the_matrix_grid_is_for_administrators(app, client, login):
    login("admin")
    page = client.get("/security/matrix/").get_data(as_text=True)
    assert 'data-role="Secretary"' in page and "medical" in page
    doctor = app.test_client()
    browser_login(doctor, "doctor")
    assert doctor.get("/security/matrix/").status_code == 403


def test_readme_shows_the_matrix_the_code_enforces():
    """README's tables between the role-matrix markers are generated by
    app.security.matrix.matrix_markdown(): regenerate them, never edit by hand."""
    text = README.read_text(encoding="utf-8")
    start, end = "<!-- role-matrix:start (generated) -->\n", "<!-- role-matrix:end -->"
    assert start in text and end in text
    assert text.split(start)[1].split(end)[0] == matrix_markdown()


def test_a_patient_record_is_read_only_by_who_may_read_what_it_shows(client, api, sql_conn):
    """A secretary does not download the sheet a doctor printed (allergies,
    treatments); the one she printed herself, anyone reading patients may."""
    from tests.documents import make_chart

    chart = make_chart(sql_conn, appointments=0)
    url = f"/api/v1/patients/{chart['dubois']}/documents"
    by_doctor = client.post(url, headers=api("doctor"), json={"kind": "patient_record"}).get_json()
    by_secretary = client.post(url, headers=api("secretary"), json={"kind": "patient_record"}).get_json()
    assert by_secretary["id"] and by_doctor["id"]
    expected = {
        ("secretary", by_doctor["id"]): 403,
        ("secretary", by_secretary["id"]): 200,
        ("nurse", by_doctor["id"]): 200,
        ("doctor", by_secretary["id"]): 200,
    }
    for (username, document_id), status in expected.items():
        answer = client.get(f"/api/v1/documents/{document_id}/download", headers=api(username))
        assert answer.status_code == status, (username, document_id)
    assert (
        client.post(
            url, headers=api("secretary"), json={"kind": "hospitalisation_report", "report_id": chart["report"]}
        ).status_code
        == 403
    )


@pytest.mark.parametrize("username", ["doctor", "secretary", "radiologist"])
def test_the_patient_export_holds_only_the_columns_the_role_reads(app, sql_conn, patient, username):
    role = ROLE_USERS[username]
    browser = app.test_client()
    browser_login(browser, username)
    assert "/patients/export.csv" in browser.get("/patients/list/").get_data(as_text=True)
    exported = browser.get("/patients/export.csv?_flt_0_last_name=garnier")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    header, row = exported.get_data(as_text=True).splitlines()
    readable = readable_fields(actor(role), PATIENTS)
    assert set(header.split(",")) == readable & PATIENT_FIELDS
    for name, value in VALUES.items():
        assert (value in row) == (name in readable), name
    journaled = sql_conn.execute(
        "SELECT username, action FROM access_log WHERE patient_id = %s AND action = 'export'", [patient]
    ).fetchall()
    assert journaled == [(username, "export")]


def test_a_role_that_may_not_read_the_nir_does_not_find_a_patient_by_it(app, api, client, patient):
    """The quick search matches the NIR too: not for a radiologist."""
    for username, found in (("secretary", True), ("radiologist", False)):
        browser = app.test_client()
        browser_login(browser, username)
        by_nir = browser.get("/patients/list/?_flt_0_last_name=185057800608491").get_data(as_text=True)
        by_name = browser.get("/patients/list/?_flt_0_last_name=garnier").get_data(as_text=True)
        assert ("Garnier" in by_nir) == found, username
        assert "Garnier" in by_name, username
        query = "(filters:!((col:last_name,opr:name,value:'185057800608491')))"
        listed = client.get(f"/api/v1/patients/?q={query}", headers=api(username)).get_json()
        assert (listed["count"] == 1) == found, username


def test_a_role_reading_every_field_gets_the_api_answer_as_written(client, api, patient, monkeypatch):
    """Narrowing re-reads and re-writes the whole JSON answer: only for a
    role with fields to take out (a doctor reads them all, a secretary not)."""
    import app.records.api as records_api

    narrowed = []
    visible = records_api.visible_patient_data

    def counted(actor, data):
        narrowed.append(actor.username)
        return visible(actor, data)

    monkeypatch.setattr(records_api, "visible_patient_data", counted)
    for username in ("doctor", "secretary"):
        answer = client.get(f"/api/v1/patients/{patient}", headers=api(username))
        assert answer.status_code == 200
        assert ("blood_group" in answer.get_json()["result"]) == (username == "doctor")
    assert set(narrowed) == {"secretary"}
