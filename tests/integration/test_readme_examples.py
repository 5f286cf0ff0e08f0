"""README.md's examples, run as written against the demo hospital (issue 15
point 22): the patient search it shows finds who it says, the REST API's
filter, login and error examples answer what it shows, and what it says of
the OpenAPI spec and the Swagger UI is what happens.  An example edited in
the README is tested as edited."""

import json
import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from app.demo.hospital import seed_demo_data
from tests.conftest import TEST_PASSWORD, api_token, browser_logout
from tests.factories import patient_payload

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
# "`lefevre` finds *Juliette Lefèvre*"
SEARCHES = re.findall(r"`([^`]+)`\s+finds\s+\*([^*]+)\*", README)
ROW_NAMES = re.compile(r'<a[^>]+href="/patients/show/\d+"[^>]*>([^<]+)</a>')


@pytest.fixture
def demo(app):
    """The demo hospital loaded into this test's database (its 200 patients)."""
    with app.app_context():
        seed_demo_data(app.appbuilder, password="Demo-pass-1")


def test_the_readme_has_examples_to_run():
    assert len(SEARCHES) >= 2, SEARCHES
    assert "Records → Patients" in README


@pytest.mark.parametrize(("typed", "expected"), SEARCHES)
def test_the_patient_search_finds_who_the_readme_says(demo, client, login, typed, expected):
    login("admin")
    html = client.get("/patients/list/", query_string={"_flt_0_last_name": typed}).get_data(as_text=True)
    first, last = expected.rsplit(" ", 1)
    assert last in html and first in html, (typed, expected)
    # and the README's screen path leads there
    assert "/patients/list/" in client.get("/").get_data(as_text=True)


def test_the_api_filter_example_finds_the_same_patient(demo, client, api):
    (rison,) = re.findall(r"`q=(\(filters:[^`]*\))`", README)
    answer = client.get("/api/v1/patients/", query_string={"q": unquote(rison)}, headers=api("doctor"))
    assert answer.status_code == 200, answer.get_json()
    found = {(p["first_name"], p["last_name"]) for p in answer.get_json()["result"]}
    value = re.search(r"value:'([^']+)'", rison)[1]
    expected = dict(SEARCHES)[value]
    assert tuple(expected.rsplit(" ", 1)) in found, (value, found)


def test_the_login_and_error_examples_answer_as_shown(demo, client, api):
    assert '"provider": ...' in README or '"provider": "db"' in README
    login = client.post(
        "/api/v1/security/login", json={"username": "secretary", "password": TEST_PASSWORD, "provider": "db"}
    )
    assert login.status_code == 200 and login.get_json()["access_token"]
    (shown,) = re.findall(r'`(\{"message": \{"nir": [^`]*\})`', README)
    # The README's NIR key error: 1 85 05 78 006 084 with key 92 instead of 91.
    payload = patient_payload(sex="M", birth_date="1985-05-17", nir="185057800608492")
    refused = client.post("/api/v1/patients/", json=payload, headers=api("secretary"))
    assert refused.status_code == 422
    assert refused.get_json() == json.loads(shown)


def test_what_the_readme_says_of_the_openapi_spec_is_true(demo, client, login):
    assert "`GET /api/v1/_openapi` needs an administrator's JWT" in README
    assert client.get("/api/v1/_openapi").status_code == 401
    assert (
        client.get("/api/v1/_openapi", headers={"Authorization": f"Bearer {api_token(client, 'admin')}"}).status_code
        == 200
    )
    for username in ("doctor", "nurse", "secretary", "radiologist", "auditor"):
        answer = client.get("/api/v1/_openapi", headers={"Authorization": f"Bearer {api_token(client, username)}"})
        assert answer.status_code == 403, username
    assert "Swagger UI at\n  `/swagger/v1` needs an administrator's browser login" in README
    assert client.get("/swagger/v1").status_code in (302, 401, 403)
    login("doctor")
    assert client.get("/swagger/v1").status_code in (302, 403)
    browser_logout(client)
    login("admin")
    assert client.get("/swagger/v1").status_code == 200


def test_the_document_api_examples_issue_what_they_say(demo, client, api, sql_conn):
    """The README's certificate example named a field (rest_days) template 3 does not have."""
    bodies = [json.loads(body) for body in re.findall(r'`(\{"kind": "(?:certificate|patient_record)"[^`]*\})`', README)]
    assert {body["kind"] for body in bodies} == {"certificate", "patient_record"}
    (patient,) = sql_conn.execute("SELECT id FROM patients ORDER BY id LIMIT 1").fetchone()
    (doctor,) = sql_conn.execute("SELECT id FROM ab_user WHERE username = 'doctor'").fetchone()
    # the test's doctor login, linked to a demo doctor (the demo links its own logins only)
    sql_conn.execute(
        "UPDATE staff SET user_id = %s WHERE id = (SELECT min(id) FROM staff WHERE profession = 'doctor'"
        " AND is_active AND user_id IS NULL) AND NOT EXISTS (SELECT 1 FROM staff WHERE user_id = %s)",
        [doctor, doctor],
    )
    for body in bodies:
        answer = client.post(f"/api/v1/patients/{patient}/documents", json=body, headers=api("doctor"))
        assert answer.status_code == 201, (body, answer.get_json())
