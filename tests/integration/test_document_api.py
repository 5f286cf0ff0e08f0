"""/api/v1/patients/<id>/documents and /api/v1/documents/: issuing a document
(both engines), downloading the archived bytes (journaled), listing and
showing; who may do what; bad input is a 4xx naming the field, a failing
engine a 503, never a 500."""

import hashlib
import io
import json

import pytest
from pypdf import PdfReader

from tests.conftest import dispose, make_test_app
from tests.documents import needs_wkhtmltopdf
from tests.prescribing import make_ward, signed

DOCUMENTS = "/api/v1/documents/"


def issue_url(patient_id: int) -> str:
    return f"/api/v1/patients/{patient_id}/documents"


@pytest.fixture
def ward(sql_conn):
    """Dr Paul Martin (the `doctor` login), patients Hélène Dubois and Luc Durand, a small drug reference."""
    return make_ward(sql_conn)


@pytest.fixture
def prescription(ward):
    """A signed prescription of Dr Martin for Hélène Dubois: paracetamol and amoxicillin."""
    return signed(ward["conn"], ward["dubois"], ward["martin"], [ward["med"]["PARA"], ward["med"]["AMOX"]])


@pytest.fixture
def wkhtmltopdf_client(database_url):
    """A client of the app rendering with wkhtmltopdf (PDF_ENGINE=wkhtmltopdf)."""
    app = make_test_app(database_url, PDF_ENGINE="wkhtmltopdf")
    yield app.test_client()
    dispose(app)


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def count(conn, table: str = "documents") -> int:
    return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def accesses(conn, document_id: int) -> list[tuple[str, str]]:
    rows = conn.execute(
        "SELECT action, username FROM document_accesses WHERE document_id = %s ORDER BY id", [document_id]
    )
    return rows.fetchall()


def test_a_doctor_issues_a_prescription_and_downloads_the_archived_bytes(client, api, ward, prescription):
    headers = api("doctor")
    response = client.post(
        issue_url(ward["dubois"]), json={"kind": "prescription", "prescription_id": prescription}, headers=headers
    )
    assert response.status_code == 201, response.get_json()
    issued = response.get_json()
    assert (issued["kind"], issued["engine"], issued["signed_by"]) == ("prescription", "weasyprint", None)
    assert issued["title"].startswith("Ordonnance du") and "DUBOIS Hélène" in issued["title"]
    assert issued["download_url"] == f"{DOCUMENTS}{issued['id']}/download"
    download = client.get(issued["download_url"], headers=headers)
    assert download.status_code == 200
    assert download.mimetype == "application/pdf"
    pdf = download.get_data()
    assert hashlib.sha256(pdf).hexdigest() == issued["sha256"] == download.headers["X-Document-SHA256"]
    assert len(pdf) == issued["size_bytes"] and issued["page_count"] == len(PdfReader(io.BytesIO(pdf)).pages)
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename=prescription-{issued['id']}-ordonnance-du-" in disposition and "dubois-helene" in disposition
    text = text_of(pdf)
    assert "DUBOIS" in text.upper() and "Hélène" in text
    assert "Paracetamol 1 g" in text and "Amoxicillin 1 g" in text and "Dr Paul MARTIN" in text
    assert accesses(ward["conn"], issued["id"]) == [("download", "doctor")]
    again = client.get(issued["download_url"], headers=headers).get_data()
    assert again == pdf


@needs_wkhtmltopdf
def test_the_wkhtmltopdf_engine_issues_a_patient_record(wkhtmltopdf_client, ward):
    from tests.conftest import api_token

    headers = {"Authorization": f"Bearer {api_token(wkhtmltopdf_client, 'secretary')}"}
    response = wkhtmltopdf_client.post(issue_url(ward["durand"]), json={"kind": "patient_record"}, headers=headers)
    assert response.status_code == 201, response.get_json()
    issued = response.get_json()
    assert issued["engine"] == "wkhtmltopdf" and issued["kind"] == "patient_record"
    pdf = wkhtmltopdf_client.get(issued["download_url"], headers=headers).get_data()
    assert pdf.startswith(b"%PDF-") and hashlib.sha256(pdf).hexdigest() == issued["sha256"]
    assert "Durand" in text_of(pdf) or "DURAND" in text_of(pdf)
    row = ward["conn"].execute("SELECT engine, issued_by FROM documents WHERE id = %s", [issued["id"]]).fetchone()
    assert row == ("wkhtmltopdf", "secretary")


def test_a_certificate_is_issued_from_a_template_with_the_doctors_values(client, api, ward):
    template = (
        ward["conn"]
        .execute(
            "INSERT INTO certificate_templates (title, body, fields) VALUES (%s, %s, %s) RETURNING id",
            [
                "Arrêt de travail",
                "Je soussigné {{ doctor.name }} prescris à {{ patient.first_name }}"
                " {{ values.rest_days }} jours de repos.",
                json.dumps([{"name": "rest_days", "label": "Jours", "type": "number", "required": True}]),
            ],
        )
        .fetchone()[0]
    )
    headers = api("doctor")
    missing = client.post(
        issue_url(ward["dubois"]), json={"kind": "certificate", "template_id": template, "values": {}}, headers=headers
    )
    assert missing.status_code == 422 and "values.rest_days" in missing.get_json()["message"]
    response = client.post(
        issue_url(ward["dubois"]),
        json={"kind": "certificate", "template_id": template, "values": {"rest_days": 3}},
        headers=headers,
    )
    assert response.status_code == 201, response.get_json()
    pdf = client.get(response.get_json()["download_url"], headers=headers).get_data()
    assert "Hélène 3 jours de repos" in " ".join(text_of(pdf).split())
    row = (
        ward["conn"]
        .execute(
            "SELECT template_id, template_version, fields FROM documents WHERE id = %s", [response.get_json()["id"]]
        )
        .fetchone()
    )
    assert row == (template, 1, {"template_id": template, "values": {"rest_days": "3"}})


def test_an_inline_download_is_journaled_as_a_print_and_shown_with_the_document(client, api, ward, prescription):
    doctor, nurse = api("doctor"), api("nurse")
    issued = client.post(
        issue_url(ward["dubois"]), json={"kind": "prescription", "prescription_id": prescription}, headers=doctor
    ).get_json()
    printed = client.get(f"{issued['download_url']}?disposition=inline", headers=nurse)
    assert printed.status_code == 200 and printed.headers["Content-Disposition"].startswith("inline;")
    client.get(issued["download_url"], headers=doctor)
    shown = client.get(f"{DOCUMENTS}{issued['id']}", headers=api("auditor"))
    assert shown.status_code == 200
    result = shown.get_json()["result"]
    assert (result["prescription_id"], result["issued_by"], result["sha256"]) == (
        prescription,
        "doctor",
        issued["sha256"],
    )
    assert [(a["action"], a["username"]) for a in result["accesses"]] == [("print", "nurse"), ("download", "doctor")]
    assert "content" not in result
    bad = client.get(f"{issued['download_url']}?disposition=sideways", headers=doctor)
    assert bad.status_code == 400 and "disposition" in bad.get_json()["message"]


def test_bad_bodies_are_4xx_naming_the_problem_and_archive_nothing(client, api, ward):
    headers = api("doctor")
    url = issue_url(ward["dubois"])
    unknown = client.post(url, json={"kind": "horoscope"}, headers=headers)
    assert unknown.status_code == 422 and list(unknown.get_json()["message"]) == ["kind"]
    no_kind = client.post(url, json={}, headers=headers)
    assert no_kind.status_code == 422 and "kind" in no_kind.get_json()["message"]
    missing = client.post(url, json={"kind": "prescription"}, headers=headers)
    assert missing.status_code == 422 and missing.get_json()["message"] == {
        "prescription_id": ["This field is required."]
    }
    not_json = client.post(url, data="kind=prescription", headers=headers)
    assert not_json.status_code == 400 and "JSON" in not_json.get_json()["message"]
    a_list = client.post(url, json=["patient_record"], headers=headers)
    assert a_list.status_code == 400
    extra = client.post(url, json={"kind": "patient_record", "colour": "red"}, headers=headers)
    assert extra.status_code == 422 and "colour" in extra.get_json()["message"]
    assert count(ward["conn"]) == 0


def test_who_may_issue_and_read_which_kind(client, api, ward, prescription):
    body = {"kind": "prescription", "prescription_id": prescription}
    refused = client.post(issue_url(ward["dubois"]), json=body, headers=api("secretary"))
    assert refused.status_code == 403 and "may not" in refused.get_json()["message"]
    issued = client.post(issue_url(ward["dubois"]), json=body, headers=api("doctor")).get_json()
    assert client.get(issued["download_url"], headers=api("secretary")).status_code == 403
    assert client.get(f"{DOCUMENTS}{issued['id']}", headers=api("secretary")).status_code == 403
    assert accesses(ward["conn"], issued["id"]) == []
    certificate = client.post(
        issue_url(ward["dubois"]), json={"kind": "certificate", "template_id": 1}, headers=api("nurse")
    )
    assert certificate.status_code == 403
    assert client.get(issued["download_url"]).status_code == 401


def test_unknown_patient_or_document_is_404(client, api, ward):
    headers = api("doctor")
    assert client.post(issue_url(999_999), json={"kind": "patient_record"}, headers=headers).status_code == 404
    assert client.get(f"{DOCUMENTS}999999/download", headers=headers).status_code == 404
    assert client.get(f"{DOCUMENTS}999999", headers=headers).status_code == 404


def test_the_list_filters_by_patient_and_kind_and_shows_only_readable_kinds(client, api, ward, prescription):
    doctor = api("doctor")
    dubois, durand = ward["dubois"], ward["durand"]
    client.post(issue_url(dubois), json={"kind": "prescription", "prescription_id": prescription}, headers=doctor)
    record = client.post(issue_url(dubois), json={"kind": "patient_record"}, headers=doctor).get_json()
    other = client.post(issue_url(durand), json={"kind": "patient_record"}, headers=doctor).get_json()
    listed = client.get(f"{DOCUMENTS}?patient_id={dubois}", headers=doctor).get_json()
    assert listed["count"] == 2 and [d["kind"] for d in listed["result"]] == ["patient_record", "prescription"]
    records = client.get(f"{DOCUMENTS}?kind=patient_record", headers=doctor).get_json()
    assert [d["id"] for d in records["result"]] == [other["id"], record["id"]]
    secretary = client.get(f"{DOCUMENTS}?patient_id={dubois}", headers=api("secretary")).get_json()
    assert [d["kind"] for d in secretary["result"]] == ["patient_record"]
    page = client.get(f"{DOCUMENTS}?page_size=1&page=1", headers=doctor).get_json()
    assert page["count"] == 3 and [d["id"] for d in page["result"]] == [record["id"]]
    assert client.get(f"{DOCUMENTS}?kind=horoscope", headers=doctor).status_code == 400
    assert client.get(f"{DOCUMENTS}?patient_id=x", headers=doctor).status_code == 400


def test_a_failing_engine_is_a_503_and_archives_nothing(database_url, ward):
    """wkhtmltopdf that exits without a PDF (/bin/false stands in for a crash)."""
    from tests.conftest import api_token

    app = make_test_app(database_url, PDF_ENGINE="wkhtmltopdf", WKHTMLTOPDF_PATH="/bin/false")
    try:
        client = app.test_client()
        headers = {"Authorization": f"Bearer {api_token(client, 'doctor')}"}
        response = client.post(issue_url(ward["dubois"]), json={"kind": "patient_record"}, headers=headers)
        assert response.status_code == 503 and "wkhtmltopdf failed" in response.get_json()["message"]
    finally:
        dispose(app)
    assert count(ward["conn"]) == 0


def test_the_openapi_spec_lists_the_document_endpoints(client, api):
    spec = client.get("/api/v1/_openapi", headers=api("admin")).get_json()
    paths = {path.removeprefix("/api/v1") for path in spec["paths"]}
    assert {
        "/patients/{pk}/documents",
        "/documents/",
        "/documents/{pk}",
        "/documents/{pk}/download",
    } <= paths
    assert "requestBody" in spec["paths"]["/api/v1/patients/{pk}/documents"]["post"]
    assert "application/pdf" in spec["paths"]["/api/v1/documents/{pk}/download"]["get"]["responses"]["200"]["content"]


def test_a_sick_leave_ending_before_it_starts_is_refused_and_not_archived(client, api, ward):
    """Issue 15 point 16: "du 10/12/2026 au 05/12/2026" was printed and archived for good."""
    answer = client.post(
        issue_url(ward["dubois"]),
        json={
            "kind": "certificate",
            "template_id": 2,
            "values": {"start_date": "2026-12-10", "end_date": "2026-12-05"},
        },
        headers=api("doctor"),
    )
    assert answer.status_code == 422
    assert answer.get_json()["message"] == {"values.end_date": ["Au (inclus): cannot be before Du (10/12/2026)."]}
    assert ward["conn"].execute("SELECT count(*) FROM documents").fetchone()[0] == 0
