"""Every kind of document, with both engines: the PDF says what it should
(patient, doctor, items), carries the logo, numbers its pages, and neither
engine reaches the network or the file system."""

import http.server
import io
import re
import threading
from datetime import date

import pytest
from pypdf import PdfReader

from app.documents.render import render_pdf
from tests.documents import HOSPITAL, issue, make_appointments, make_chart, needs_wkhtmltopdf, pdf_pages, pdf_text

ENGINES = ["weasyprint", pytest.param("wkhtmltopdf", marks=needs_wkhtmltopdf)]


@pytest.fixture
def chart(sql_conn):
    return make_chart(sql_conn)


def logo_sizes(content: bytes) -> set[tuple[int, int]]:
    reader = PdfReader(io.BytesIO(content))
    return {(image.image.width, image.image.height) for page in reader.pages for image in page.images}


@pytest.mark.parametrize("engine", ENGINES)
def test_a_prescription_names_prescriber_patient_and_items_under_the_logo(app, chart, engine):
    document = issue(
        app, "doctor", patient_id=chart["dubois"], kind="prescription",
        fields={"prescription_id": chart["prescription"]}, engine=engine,
    )  # fmt: skip
    text = pdf_text(document.content)
    for expected in (
        HOSPITAL["name"], "FINESS 690000017", "Dr Paul MARTIN", "Cardiologie", "RPPS : 10101010101",
        "DUBOIS Hélène", "Née le 17/05/1980", "Warfarin 5 mg", "Paracetamol 1 g", "À renouveler 2 fois",
        f"Le {date.today():%d/%m/%Y}", "Signature",
    ):  # fmt: skip
        assert expected in text, expected
    # Warfarin is for the long-term condition: the two-zone form, ALD above.
    upper = text.index("AFFECTION DE LONGUE DURÉE RECONNUE")
    lower = text.index("SANS RAPPORT AVEC L'AFFECTION")
    assert upper < text.index("Warfarin") < lower < text.index("Paracetamol")
    assert (4, 3) in logo_sizes(document.content)  # the hospital's own logo, embedded
    assert document.engine == engine and document.kind == "prescription"


@pytest.mark.parametrize("engine", ENGINES)
def test_a_prescription_without_ald_lines_is_one_zone(app, sql_conn, chart, engine):
    from tests.prescribing import signed

    plain = signed(sql_conn, chart["dubois"], chart["martin"], [chart["med"]["AMOX"]])
    document = issue(
        app, "doctor", patient_id=chart["dubois"], kind="prescription", fields={"prescription_id": plain}, engine=engine
    )
    text = pdf_text(document.content)
    assert "Amoxicillin 1 g" in text and "AFFECTION" not in text


@pytest.mark.parametrize("engine", ENGINES)
def test_the_patient_record_shows_identity_allergies_treatments_and_appointments(app, chart, engine):
    document = issue(app, "doctor", patient_id=chart["dubois"], kind="patient_record", fields={}, engine=engine)
    text = pdf_text(document.content)
    for expected in (
        "Dossier patient", "DUBOIS", "Hélène", "17/05/1980", "3 place Bellecour", "penicillin", "urticaire",
        "Warfarin 5 mg", "Dr Paul MARTIN", "Rendez-vous à venir", "Rendez-vous récents", "Urgence",
    ):  # fmt: skip
        assert expected in text, expected
    assert (4, 3) in logo_sizes(document.content)


def test_a_secretarys_patient_record_has_no_allergy_no_treatment_no_medical_field(app, sql_conn, chart):
    """The field matrix (app/security/roles.py) reaches the PDF: a secretary
    sees identity, contact and administrative data, never medical ones."""
    sql_conn.execute(
        "UPDATE patients SET blood_group = 'AB-', allergies = 'iode (note)', nir = %s WHERE id = %s",
        ["280056900100282", chart["dubois"]],
    )
    for_secretary = pdf_text(
        issue(app, "secretary", patient_id=chart["dubois"], kind="patient_record", fields={}).content
    )
    for_doctor = pdf_text(issue(app, "doctor", patient_id=chart["dubois"], kind="patient_record", fields={}).content)
    for text in (for_secretary, for_doctor):
        assert "DUBOIS" in text and "3 place Bellecour" in text and "280056900100282" in text
    for medical in (
        "Allergies",
        "penicillin",
        "urticaire",
        "Traitements en cours",
        "Warfarin",
        "Groupe sanguin",
        "AB-",
    ):
        assert medical in for_doctor, medical
        assert medical not in for_secretary, medical


@pytest.mark.parametrize("engine", ENGINES)
def test_the_hospitalisation_report_follows_its_form(app, chart, engine):
    document = issue(
        app, "doctor", patient_id=chart["dubois"], kind="hospitalisation_report",
        fields={"report_id": chart["report"]}, engine=engine,
    )  # fmt: skip
    text = pdf_text(document.content)
    for expected in (
        "Compte rendu d'hospitalisation", "DUBOIS", "Cardiologie", "(3 jours)", "Douleur thoracique",
        "Syndrome coronarien écarté.", "Aspirine 100 mg", "Consultation dans 1 mois", "RPPS 10101010101",
    ):  # fmt: skip
        assert expected in text, expected
    assert document.hospitalisation_report_id == chart["report"]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_certificate_fills_the_template_with_patient_doctor_and_typed_values(app, sql_conn, chart, engine):
    (template_id, version) = sql_conn.execute(
        "SELECT id, version FROM certificate_templates WHERE title = 'Avis d''arrêt de travail'"
    ).fetchone()
    document = issue(
        app, "doctor", patient_id=chart["dubois"], kind="certificate", engine=engine,
        fields={"template_id": template_id, "values": {"start_date": "2026-12-01", "end_date": "2026-12-05"}},
    )  # fmt: skip
    text = pdf_text(document.content)
    assert "Je soussigné(e), Dr Paul MARTIN, certifie que l'état de santé de Madame Hélène DUBOIS" in text
    assert "du 01/12/2026 au 05/12/2026 inclus" in text
    assert (document.template_id, document.template_version) == (template_id, version)
    assert document.fields == {
        "template_id": template_id,
        "values": {"start_date": "2026-12-01", "end_date": "2026-12-05", "outings": ""},
    }


@pytest.mark.parametrize("engine", ENGINES)
def test_the_audit_history_lists_who_changed_what(app, sql_conn, chart, engine):
    sql_conn.execute("UPDATE patients SET city = 'Villeurbanne' WHERE id = %s", [chart["dubois"]])
    document = issue(app, "admin", patient_id=chart["dubois"], kind="audit_history", fields={}, engine=engine)
    text = pdf_text(document.content)
    assert "Historique d'audit" in text
    # The psql change: the DB role, the field, old -> new.
    assert "ville : Lyon → Villeurbanne" in text  # in French, like the rest of the document
    assert "(base de données)" in text
    assert "penicillin" in text  # the allergy row belongs to the patient


def test_an_auditors_audit_history_hides_what_their_role_may_not_read_in_french(app, sql_conn, chart):
    sql_conn.execute("UPDATE patients SET city = 'Villeurbanne' WHERE id = %s", [chart["dubois"]])
    document = issue(app, "auditor", patient_id=chart["dubois"], kind="audit_history", fields={}, engine="weasyprint")
    text = pdf_text(document.content)
    assert "ville : [non visible pour votre rôle] → [non visible pour votre rôle]" in text
    assert "Villeurbanne" not in text and "[hidden]" not in text


def test_a_long_record_numbers_its_pages_and_repeats_letterhead_and_table_headers(app, sql_conn, chart):
    make_appointments(sql_conn, chart["dubois"], chart["martin"], 120, hour=14)
    document = issue(app, "doctor", patient_id=chart["dubois"], kind="patient_record", fields={}, engine="weasyprint")
    pages = pdf_pages(document.content)
    total = len(pages)
    assert total >= 3 and document.page_count == total
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} / {total}" in page
        assert HOSPITAL["name"] in page and HOSPITAL["footer"] in page
    # A table cut by a page break starts again with its header row.
    continued = [page for page in pages[1:] if "Urgence" in page]
    assert continued and all("Date Médecin Motif Salle Statut" in page for page in continued)


@needs_wkhtmltopdf
def test_debian_wkhtmltopdf_prints_the_letterhead_once_and_no_page_numbers(app, sql_conn, chart):
    """What README "PDF engines" says of wkhtmltopdf as Debian builds it
    (unpatched Qt: no header/footer options, no paged-media CSS)."""
    make_appointments(sql_conn, chart["dubois"], chart["martin"], 120, hour=14)
    document = issue(app, "doctor", patient_id=chart["dubois"], kind="patient_record", fields={}, engine="wkhtmltopdf")
    pages = pdf_pages(document.content)
    assert len(pages) >= 2 and document.page_count == len(pages)
    assert HOSPITAL["name"] in pages[0]
    assert not any(HOSPITAL["name"] in page for page in pages[1:])
    assert not any("Page 1 /" in page for page in pages)


class RecordingHandler(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):
        RecordingHandler.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *_args):
        pass


@pytest.fixture
def probe_server():
    RecordingHandler.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RecordingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.parametrize("engine", ENGINES)
def test_no_engine_fetches_from_the_network_or_the_file_system(probe_server, tmp_path, engine):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    html = f"""<!doctype html><html><head><meta charset="utf-8">
      <link rel="stylesheet" href="{probe_server}/style.css">
      <style>@import url("{probe_server}/import.css"); body {{ background: url("{probe_server}/bg.png"); }}</style>
      </head><body><p>Visible text</p>
      <img src="{probe_server}/logo.png"><img src="file://{secret}">
      <iframe src="file://{secret}"></iframe><object data="file://{secret}"></object>
      <script>document.write('SCRIPT-RAN'); new Image().src = "{probe_server}/js.png";</script>
      </body></html>"""
    rendered = render_pdf(html, engine)
    text = pdf_text(rendered.content)
    assert "Visible text" in text
    assert "TOP-SECRET-CONTENT" not in text and "SCRIPT-RAN" not in text
    assert RecordingHandler.requests == []


def test_inline_data_images_are_the_one_thing_rendered(tmp_path):
    import base64

    from tests.documents import tiny_png

    data_url = "data:image/png;base64," + base64.b64encode(tiny_png(7, 5)).decode()
    rendered = render_pdf(f'<html><body><img src="{data_url}"></body></html>', "weasyprint")
    assert (7, 5) in logo_sizes(rendered.content)


@pytest.mark.parametrize("engine", ENGINES)
def test_the_demo_svg_logo_renders(app, sql_conn, chart, engine):
    from app.demo.documents import DEMO_LOGO

    sql_conn.execute("UPDATE hospital_settings SET logo = %s, logo_media_type = 'image/svg+xml'", [DEMO_LOGO])
    document = issue(app, "doctor", patient_id=chart["dubois"], kind="patient_record", fields={}, engine=engine)
    drawn = PdfReader(io.BytesIO(document.content)).pages[0].get_contents().get_data()
    # Drawn as vector shapes by both engines: the logo's own blue (#1b6f8a) is on the page.
    assert re.search(rb"0\.10588\d* 0\.43529\d* 0\.54117\d* (rg|sc)", drawn)
    assert HOSPITAL["name"] in pdf_text(document.content)


@pytest.mark.parametrize("binary", ["/nonexistent/wkhtmltopdf", "/etc/hostname"])
def test_a_wkhtmltopdf_that_cannot_run_is_a_rendering_failure(binary):
    from app.documents.render import RenderingFailed

    with pytest.raises(RenderingFailed, match="could not be started"):
        render_pdf("<p>x</p>", "wkhtmltopdf", wkhtmltopdf_path=binary)


def test_the_patient_record_lists_a_renewed_treatment_once(app, sql_conn, chart):
    """Issue 15 point 19: warfarin was listed once per copy (original and renewals)."""
    from tests.prescribing import signed

    renewal = signed(sql_conn, chart["dubois"], chart["martin"], [chart["med"]["WARF"], chart["med"]["PARA"]],
                     renewal_of_id=chart["prescription"])  # fmt: skip
    document = issue(app, "doctor", patient_id=chart["dubois"], kind="patient_record", fields={})
    text = pdf_text(document.content)
    assert text.count("Warfarin 5 mg") == 1, text
    assert renewal


ENGLISH_WORDS = re.compile(
    r"\b(tablets?|times a day|once a day|in the evening|oral|Emergency|ATC class|database|IPP IPP)\b"
)


def test_every_document_speaks_french(app, sql_conn, chart):
    """Issue 15 point 18: "1 tablet, 3 times a day, voie oral" on the
    ordonnance, "IPP IPP00000204" on the report: each document speaks the
    hospital's language, whatever language the values were typed in."""
    from tests.prescribing import sign

    line = "SELECT id FROM medications WHERE code = 'PARA'"
    (para,) = sql_conn.execute(line).fetchone()
    prescription = sql_conn.execute(
        "INSERT INTO prescriptions (patient_id, prescriber_id) VALUES (%s, %s) RETURNING id",
        [chart["dubois"], chart["martin"]],
    ).fetchone()[0]
    sql_conn.execute(
        "INSERT INTO prescription_items (prescription_id, position, medication_id, dose, dose_unit, frequency,"
        " route, duration_days) VALUES (%s, 1, %s, 2, 'tablet', '3 times a day, in the evening', 'oral', 5),"
        " (%s, 2, %s, 0.5, 'ml', 'every 6 hours, as needed', 'oral', 1)",
        [prescription, para, prescription, para],
    )
    sign(sql_conn, prescription)
    sql_conn.execute(
        "INSERT INTO patient_allergies (patient_id, atc_code, severity) VALUES (%s, 'J01C', 'severe')",
        [chart["dubois"]],
    )
    sql_conn.execute("UPDATE patients SET city = 'Villeurbanne' WHERE id = %s", [chart["dubois"]])
    ordonnance = pdf_text(issue(app, "doctor", patient_id=chart["dubois"], kind="prescription",
                                fields={"prescription_id": prescription}).content)  # fmt: skip
    assert "2 comprimés, 3 fois par jour, le soir, voie orale, pendant 5 jours" in ordonnance, ordonnance
    assert "0,5 ml, toutes les 6 heures, si besoin, voie orale, pendant 1 jour" in ordonnance, ordonnance
    record = pdf_text(issue(app, "doctor", patient_id=chart["dubois"], kind="patient_record", fields={}).content)
    assert "1 comprimé, 1 fois par jour" in record and "classe ATC J01C" in record, record
    report = pdf_text(issue(app, "doctor", patient_id=chart["dubois"], kind="hospitalisation_report",
                            fields={"report_id": chart["report"]}).content)  # fmt: skip
    mrn = sql_conn.execute("SELECT mrn FROM patients WHERE id = %s", [chart["dubois"]]).fetchone()[0]
    assert f"n° de dossier {mrn}" in report, report
    history = pdf_text(issue(app, "admin", patient_id=chart["dubois"], kind="audit_history", fields={}).content)
    assert f"n° de dossier {mrn}" in history and "ville : Lyon → Villeurbanne" in history
    for text in (ordonnance, record, report, history):
        assert not ENGLISH_WORDS.search(text), ENGLISH_WORDS.search(text).group(0)
