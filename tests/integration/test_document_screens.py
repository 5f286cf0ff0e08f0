"""The documents screens: printing a signed prescription in two clicks (the
same bytes every time), the archive with its filters and access journal,
issuing from the patient's page (patient record, certificate, report),
certificate templates (a broken one shows its line), hospitalisation
reports; and who sees and issues what."""

import hashlib
import json
import re

import pytest

from tests.conftest import browser_logout, csrf_token
from tests.prescribing import draft, make_ward, signed

SICK_NOTE = "Je soussigné {{ doctor.name }} certifie que l'état de {{ patient.civility }} {{ patient.last_name }}\n"
SICK_NOTE += "nécessite un arrêt de travail de {{ values.rest_days }} jours."
SICK_NOTE_FIELDS = [{"name": "rest_days", "label": "Days off", "type": "number", "required": True}]


@pytest.fixture
def ward(sql_conn):
    """Dr Martin (the `doctor` login) and Dr Petit, patients Dubois and Durand, a small drug reference."""
    return make_ward(sql_conn)


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def form_action(html: str, css_class: str) -> str:
    match = re.search(rf'<form method="post" action="([^"]+)"[^>]*class="[^"]*{css_class}', html)
    assert match, f"no {css_class} form in the page"
    return match.group(1)


def documents(conn):
    return conn.execute("SELECT id, kind, issued_by, prescription_id FROM documents ORDER BY id").fetchall()


def accesses(conn, document_id: int):
    return [
        row[0]
        for row in conn.execute(
            "SELECT action FROM document_accesses WHERE document_id = %s ORDER BY id", [document_id]
        ).fetchall()
    ]


def add_template(conn, title="Arrêt de travail (test)", body=SICK_NOTE, fields=SICK_NOTE_FIELDS, is_active=True) -> int:
    return conn.execute(
        "INSERT INTO certificate_templates (title, body, fields, is_active) VALUES (%s, %s, %s, %s) RETURNING id",
        [title, body, json.dumps(fields), is_active],
    ).fetchone()[0]


def add_report(conn, patient_id: int, author_id: int) -> int:
    return conn.execute(
        "INSERT INTO hospitalisation_reports (patient_id, author_id, service, admitted_on, discharged_on, reason,"
        " summary) VALUES (%s, %s, 'Cardiology', DATE '2026-11-02', DATE '2026-11-09', 'Chest pain',"
        " 'Uneventful stay.') RETURNING id",
        [patient_id, author_id],
    ).fetchone()[0]


def print_prescription(client, pk: int):
    """Click 2: the Print button of the prescription's page (click 1: opening it)."""
    html = page(client, f"/prescriptions/show/{pk}")
    return client.post(
        form_action(html, "ct-print-prescription"), data={"csrf_token": csrf_token(html)}, follow_redirects=True
    )


def test_a_signed_prescription_prints_in_two_clicks_and_reprints_the_same_bytes(client, login, ward):
    conn = ward["conn"]
    pk = signed(conn, ward["dubois"], ward["martin"], [ward["med"]["AMOX"], ward["med"]["PARA"]])
    login("doctor")
    first = print_prescription(client, pk)
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert first.data.startswith(b"%PDF-") and first.headers["Content-Disposition"].startswith("inline")
    [(document_id, kind, issued_by, prescription_id)] = documents(conn)
    assert (kind, issued_by, prescription_id) == ("prescription", "doctor", pk)
    second = print_prescription(client, pk)
    assert second.mimetype == "application/pdf" and second.data == first.data
    assert len(documents(conn)) == 1
    assert accesses(conn, document_id) == ["print", "print"]
    (stored,) = conn.execute("SELECT sha256 FROM documents WHERE id = %s", [document_id]).fetchone()
    assert bytes(stored) == hashlib.sha256(first.data).digest()


def test_a_draft_has_no_print_button_and_cannot_be_printed(client, login, ward):
    conn = ward["conn"]
    pk = draft(conn, ward["dubois"], ward["martin"], [ward["med"]["PARA"]])
    login("doctor")
    html = page(client, f"/prescriptions/show/{pk}")
    assert "ct-print-prescription" not in html
    response = client.post(
        f"/issue-document/prescription/{pk}", data={"csrf_token": csrf_token(html)}, follow_redirects=True
    )
    assert "Only a signed prescription is printed" in response.get_data(as_text=True)
    assert documents(conn) == []


def test_a_nurse_prints_a_prescription_a_secretary_cannot(client, login, ward):
    conn = ward["conn"]
    pk = signed(conn, ward["dubois"], ward["martin"], [ward["med"]["PARA"]])
    login("nurse")
    assert print_prescription(client, pk).mimetype == "application/pdf"
    browser_logout(client)
    login("secretary")
    token = csrf_token(page(client, f"/patients/show/{ward['dubois']}"))
    response = client.post(f"/issue-document/prescription/{pk}", data={"csrf_token": token})
    assert response.status_code == 403
    assert len(documents(conn)) == 1


def test_the_archive_shows_only_the_kinds_a_user_may_read(client, login, ward):
    """A secretary lists and opens the patient record, never the prescription's document."""
    conn = ward["conn"]
    pk = signed(conn, ward["dubois"], ward["martin"], [ward["med"]["PARA"]])
    login("doctor")
    print_prescription(client, pk)
    html = page(client, f"/patients/show/{ward['dubois']}")
    client.post(form_action(html, "ct-inline-form"), data={"csrf_token": csrf_token(html)})
    (prescription_doc, _, _, _), (record_doc, record_kind, _, _) = documents(conn)
    assert record_kind == "patient_record"
    browser_logout(client)
    login("secretary")
    listing = page(client, "/documents/list/")
    assert f"/documents/show/{record_doc}" in listing and f"/documents/show/{prescription_doc}" not in listing
    assert client.get(f"/documents/show/{prescription_doc}").status_code == 404
    assert client.get(f"/documents/{prescription_doc}/download").status_code == 403
    assert client.get(f"/documents/{prescription_doc}/print").status_code == 403
    patient_page = page(client, f"/patients/show/{ward['dubois']}")
    assert f'data-document-id="{record_doc}"' in patient_page
    assert f'data-document-id="{prescription_doc}"' not in patient_page
    assert accesses(conn, prescription_doc) == ["print"]  # refusals are not journaled as reads


def test_a_download_is_journaled_and_gives_the_archived_bytes(client, login, ward, sql_conn):
    login("secretary")
    html = page(client, f"/patients/show/{ward['dubois']}")
    issued = client.post(
        form_action(html, "ct-inline-form"), data={"csrf_token": csrf_token(html)}, follow_redirects=True
    )
    assert issued.mimetype == "application/pdf"
    [(document_id, kind, issued_by, _)] = documents(sql_conn)
    assert (kind, issued_by) == ("patient_record", "secretary")
    download = client.get(f"/documents/{document_id}/download")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"] == f'attachment; filename="patient-record-{document_id}.pdf"'
    assert download.data == issued.data
    assert download.headers["X-Document-SHA256"] == hashlib.sha256(download.data).hexdigest()
    assert accesses(sql_conn, document_id) == ["print", "download"]
    show = page(client, f"/documents/show/{document_id}")
    assert hashlib.sha256(download.data).hexdigest() in show
    # the page's access log, one row each (the patient banner above has a print action of its own)
    assert show.count('<tr data-action="download"') == 1 and show.count('<tr data-action="print"') == 1


def test_documents_have_no_add_edit_or_delete_route(client, login, ward):
    login("admin")
    html = page(client, f"/patients/show/{ward['dubois']}")
    client.post(form_action(html, "ct-inline-form"), data={"csrf_token": csrf_token(html)})
    [(document_id, *_)] = documents(ward["conn"])
    token = csrf_token(html)
    assert client.get("/documents/add").status_code == 404
    assert client.get(f"/documents/edit/{document_id}").status_code == 404
    assert client.post(f"/documents/delete/{document_id}", data={"csrf_token": token}).status_code == 404
    listing = page(client, "/documents/list/")
    assert f"/documents/edit/{document_id}" not in listing and "/documents/delete/" not in listing
    assert len(documents(ward["conn"])) == 1


def test_the_archive_filters_by_patient_and_kind(client, login, ward):
    conn = ward["conn"]
    login("admin")
    for patient in ("dubois", "durand"):
        html = page(client, f"/patients/show/{ward[patient]}")
        client.post(form_action(html, "ct-inline-form"), data={"csrf_token": csrf_token(html)})
    (dubois_doc, *_), (durand_doc, *_) = documents(conn)
    by_patient = page(client, f"/documents/list/?_flt_0_patient={ward['durand']}")
    assert f"/documents/show/{durand_doc}" in by_patient and f"/documents/show/{dubois_doc}" not in by_patient
    by_name = page(client, "/documents/list/?_flt_2_patient=dubois")
    assert f"/documents/show/{dubois_doc}" in by_name and f"/documents/show/{durand_doc}" not in by_name
    none_of_that_kind = page(client, "/documents/list/?_flt_0_kind=certificate")
    assert "/documents/show/" not in none_of_that_kind


def test_the_archive_filters_by_issuer_and_day(client, login, ward):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    conn = ward["conn"]
    for username, patient in (("admin", "dubois"), ("secretary", "durand")):
        browser_logout(client)
        login(username)
        html = page(client, f"/patients/show/{ward[patient]}")
        client.post(form_action(html, "ct-inline-form"), data={"csrf_token": csrf_token(html)})
    (by_admin, *_), (by_secretary, *_) = documents(conn)
    browser_logout(client)
    login("admin")
    secretary_only = page(client, "/documents/list/?_flt_0_issued_by=secretary")
    assert f"/documents/show/{by_secretary}" in secretary_only and f"/documents/show/{by_admin}" not in secretary_only
    # The hospital's tomorrow (the filters read days in its time zone, ahead of UTC).
    tomorrow = (datetime.now(ZoneInfo("Europe/Paris")).date() + timedelta(days=1)).isoformat()
    from_tomorrow = page(client, f"/documents/list/?_flt_0_issued_at={tomorrow}")
    assert "/documents/show/" not in from_tomorrow
    until_tomorrow = page(client, f"/documents/list/?_flt_1_issued_at={tomorrow}")
    assert f"/documents/show/{by_admin}" in until_tomorrow and f"/documents/show/{by_secretary}" in until_tomorrow


def test_the_patient_page_offers_what_each_role_may_issue(client, login, ward):
    add_template(ward["conn"])
    add_report(ward["conn"], ward["dubois"], ward["martin"])
    url = f"/patients/show/{ward['dubois']}"
    login("doctor")
    html = page(client, url)
    assert "ct-issue-patient-record" in html and "ct-issue-certificate" in html and "ct-issue-report" in html
    assert "ct-issue-audit-history" not in html
    browser_logout(client)
    login("secretary")
    html = page(client, url)
    assert "ct-issue-patient-record" in html and "ct-issue-report" not in html  # no clinical document
    assert "ct-issue-certificate" not in html and "ct-issue-audit-history" not in html
    browser_logout(client)
    login("admin")
    assert "ct-issue-audit-history" in page(client, url)


def test_a_certificate_is_filled_in_from_its_template_fields_then_opens(client, login, ward):
    conn = ward["conn"]
    template_id = add_template(conn)
    login("doctor")
    form = page(client, f"/issue-document/patient/{ward['dubois']}/certificate?template_id={template_id}")
    assert 'name="value-rest_days" type="number"' in form and "required" in form
    url = f"/issue-document/patient/{ward['dubois']}/certificate"
    missing = client.post(url, data={"csrf_token": csrf_token(form), "template_id": template_id, "value-rest_days": ""})
    assert missing.status_code == 422 and "Days off: this field is required." in missing.get_data(as_text=True)
    assert documents(conn) == []
    issued = client.post(
        url,
        data={"csrf_token": csrf_token(form), "template_id": template_id, "value-rest_days": "3"},
        follow_redirects=True,
    )
    assert issued.mimetype == "application/pdf"
    [(document_id, kind, issued_by, _)] = documents(conn)
    assert (kind, issued_by) == ("certificate", "doctor")
    assert conn.execute("SELECT fields FROM documents WHERE id = %s", [document_id]).fetchone()[0] == {
        "template_id": template_id,
        "values": {"rest_days": "3"},
    }


def test_the_certificate_editor_is_refused_by_the_rule_to_who_may_not_issue_one(client, login, ward):
    """A nurse may issue documents, not a certificate: the editor asks
    documents.access.check_may_issue, the rule issue_document asks on every
    save (screen or API), and only answers the refusal."""
    template_id = add_template(ward["conn"])
    login("nurse")
    response = client.get(f"/issue-document/patient/{ward['dubois']}/certificate?template_id={template_id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/patients/show/{ward['dubois']}")
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Only a doctor issues a medical certificate." in shown
    assert documents(ward["conn"]) == []


def templates(conn):
    return conn.execute("SELECT title, version, is_active, fields FROM certificate_templates ORDER BY id").fetchall()


def test_an_admin_saves_a_template_and_a_broken_one_shows_its_line(client, login, sql_conn):
    before = templates(sql_conn)  # the migration's starting texts
    login("admin")
    form = page(client, "/certificate-templates/add")
    data = {
        "csrf_token": csrf_token(form),
        "title": "Attestation de consultation",
        "body": "Line one\nPresent on {{ values.day }}.\n{% if %}",
        "fields": json.dumps([{"name": "day", "label": "Day", "type": "date", "required": True}]),
        "is_active": "y",
    }
    broken = client.post("/certificate-templates/add", data=data)
    html = broken.get_data(as_text=True)
    assert broken.status_code == 200 and "line 3:" in html
    assert templates(sql_conn) == before
    undefined = client.post("/certificate-templates/add", data={**data, "body": "Hello\n{{ values.days }}"})
    assert "line 2:" in undefined.get_data(as_text=True)
    bad_json = client.post("/certificate-templates/add", data={**data, "body": "Fine", "fields": "[{"})
    assert "Not valid JSON" in bad_json.get_data(as_text=True)
    saved = client.post("/certificate-templates/add", data={**data, "body": "Present on {{ values.day }}."})
    assert saved.status_code == 302
    assert templates(sql_conn) == [
        *before,
        ("Attestation de consultation", 1, True, [{"name": "day", "label": "Day", "type": "date", "required": True}]),
    ]


def test_a_template_edited_gets_a_new_version_shown_read_only(client, login, sql_conn):
    template_id = add_template(sql_conn)
    login("admin")
    url = f"/certificate-templates/edit/{template_id}"
    form = page(client, url)
    assert re.search(r'name="version"[^>]*readonly', form) or re.search(r'readonly[^>]*name="version"', form)
    data = {
        "csrf_token": csrf_token(form),
        "title": "Arrêt de travail (test)",
        "version": "99",
        "body": SICK_NOTE + " Fait pour servir et valoir ce que de droit.",
        "fields": json.dumps(SICK_NOTE_FIELDS),
        "is_active": "y",
    }
    assert client.post(url, data=data).status_code == 302
    assert sql_conn.execute("SELECT version FROM certificate_templates WHERE id = %s", [template_id]).fetchone()[0] == 2


def test_a_template_used_by_a_certificate_is_not_deleted_but_deactivated(client, login, ward):
    conn = ward["conn"]
    template_id = add_template(conn)
    login("doctor")
    form = page(client, f"/issue-document/patient/{ward['dubois']}/certificate?template_id={template_id}")
    client.post(
        f"/issue-document/patient/{ward['dubois']}/certificate",
        data={"csrf_token": csrf_token(form), "template_id": template_id, "value-rest_days": "2"},
    )
    assert len(documents(conn)) == 1
    browser_logout(client)
    login("admin")
    token = csrf_token(page(client, f"/certificate-templates/edit/{template_id}"))
    response = client.post(
        f"/certificate-templates/delete/{template_id}", data={"csrf_token": token}, follow_redirects=True
    )
    assert "cannot be deleted" in response.get_data(as_text=True) and "Untick Active" in response.get_data(as_text=True)
    assert conn.execute("SELECT count(*) FROM certificate_templates WHERE id = %s", [template_id]).fetchone()[0] == 1


def test_doctors_read_templates_nurses_do_not_and_neither_writes_them(client, login, sql_conn):
    add_template(sql_conn)
    login("doctor")
    assert "Arrêt de travail (test)" in page(client, "/certificate-templates/list/")
    assert client.get("/certificate-templates/add").status_code == 403
    browser_logout(client)
    login("nurse")
    assert client.get("/certificate-templates/list/").status_code == 403
    assert client.get("/certificate-templates/add").status_code == 403


def test_a_doctor_writes_a_report_from_the_patient_page_as_its_author(client, login, ward):
    conn = ward["conn"]
    login("doctor")
    assert "/hospitalisation-reports/add?_flt_0_patient=" in page(client, f"/patients/show/{ward['dubois']}")
    url = f"/hospitalisation-reports/add?_flt_0_patient={ward['dubois']}"
    form = page(client, url)
    data = {
        "csrf_token": csrf_token(form),
        "author": str(ward["petit"]),  # not theirs to choose: ignored
        "service": "Cardiology",
        "admitted_on": "2026-11-02",
        "discharged_on": "2026-11-09",
        "reason": "Chest pain",
        "summary": "Uneventful stay.",
        "discharge_treatment": "",
        "follow_up": "",
    }
    refused = client.post(url, data={**data, "discharged_on": "2026-11-01", "author": str(ward["martin"])})
    assert "The discharge date cannot be before the admission." in refused.get_data(as_text=True)
    client.post(url, data={**data, "author": str(ward["martin"])})
    rows = conn.execute("SELECT patient_id, author_id, service FROM hospitalisation_reports").fetchall()
    assert rows == [(ward["dubois"], ward["martin"], "Cardiology")]


def test_a_doctor_does_not_edit_another_doctors_report(client, login, ward):
    report = add_report(ward["conn"], ward["dubois"], ward["petit"])
    login("doctor")
    response = client.get(f"/hospitalisation-reports/edit/{report}", follow_redirects=True)
    assert "You may only change your own hospitalisation reports." in response.get_data(as_text=True)


def test_the_editor_of_another_doctors_report_is_refused_by_the_rule(client, login, ward):
    """The report editor asks documents.reports.check_may_write_report, the
    rule every save asks (REPORT_RULES): the screen holds no check of its own."""
    report = add_report(ward["conn"], ward["dubois"], ward["petit"])
    login("doctor")
    response = client.get(f"/hospitalisation-reports/edit/{report}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/hospitalisation-reports/show/{report}")
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You may only change your own hospitalisation reports." in shown


def test_a_nurse_reads_and_prints_a_report_but_does_not_write_one(client, login, ward):
    conn = ward["conn"]
    report = add_report(conn, ward["dubois"], ward["martin"])
    login("nurse")
    show = page(client, f"/hospitalisation-reports/show/{report}")
    assert "Uneventful stay." in show
    assert client.get("/hospitalisation-reports/add").status_code == 403
    printed = client.post(
        form_action(show, "ct-print-report"), data={"csrf_token": csrf_token(show)}, follow_redirects=True
    )
    assert printed.mimetype == "application/pdf"
    [(document_id, kind, issued_by, _)] = documents(conn)
    assert (kind, issued_by) == ("hospitalisation_report", "nurse")
    assert accesses(conn, document_id) == ["print"]


def test_the_secretary_sees_no_template_nor_settings_menu(client, login):
    login("secretary")
    html = page(client, "/documents/list/")
    assert "/certificate-templates/list/" not in html and "/hospital-settings/" not in html
    # No clinical document either (issue 18): hospitalisation reports are for care roles.
    assert "/hospitalisation-reports/list/" not in html


def test_the_ald_flag_of_a_line_is_saved_from_the_editor_and_shown(client, login, ward):
    conn = ward["conn"]
    login("doctor")
    url = f"/prescriptions/add?patient_id={ward['dubois']}"
    html = page(client, url)
    assert 'name="items-0-is_ald"' in html
    line = {"medication_id": ward["med"]["PARA"], "dose": "1", "dose_unit": "g", "frequency": "3 times a day"}
    data = {"action": "save", "patient_id": ward["dubois"], "renewals_allowed": "0", "csrf_token": csrf_token(html)}
    data.update({f"items-0-{name}": value for name, value in line.items()})
    data.update({f"items-1-{name}": value for name, value in {**line, "medication_id": ward["med"]["AMOX"]}.items()})
    data["items-0-is_ald"] = "y"
    shown = client.post(url, data=data, follow_redirects=True).get_data(as_text=True)
    rows = conn.execute("SELECT position, is_ald FROM prescription_items ORDER BY position").fetchall()
    assert rows == [(1, True), (2, False)]
    assert shown.count('title="For the long-term condition (ALD)"') == 1


def test_an_auditor_prints_a_patients_audit_history_from_the_audit_page(app, client, login, sql_conn):
    from tests.documents import make_chart, pdf_text

    chart = make_chart(sql_conn)
    login("auditor")
    page = client.get(f"/audit/patient/{chart['dubois']}")
    assert page.status_code == 200 and "Audit history as PDF" in page.text
    response = client.post(
        f"/issue-document/patient/{chart['dubois']}/audit_history", data={"csrf_token": csrf_token(page.text)}
    )
    assert response.status_code == 303
    pdf = client.get(response.headers["Location"])
    assert pdf.mimetype == "application/pdf" and "Historique d'audit" in pdf_text(pdf.data)


def test_a_sick_leave_ending_before_it_starts_is_refused_on_the_form_and_a_yes_no_is_a_choice(client, login, ward):
    """Issue 15 point 16, on the screen: the end date's error under its field, nothing archived."""
    conn = ward["conn"]
    login("doctor")
    sport = page(client, f"/issue-document/patient/{ward['dubois']}/certificate?template_id=1")
    assert '<select class="form-control" id="value-competition" name="value-competition"' in sport
    form = page(client, f"/issue-document/patient/{ward['dubois']}/certificate?template_id=2")
    refused = client.post(
        f"/issue-document/patient/{ward['dubois']}/certificate",
        data={"csrf_token": csrf_token(form), "template_id": 2, "value-start_date": "2026-12-10",
              "value-end_date": "2026-12-05"},
    )  # fmt: skip
    assert refused.status_code == 422
    assert 'class="help-block ct-field-error">Au (inclus): cannot be before Du (10/12/2026).' in refused.get_data(
        as_text=True
    )
    assert documents(conn) == []
