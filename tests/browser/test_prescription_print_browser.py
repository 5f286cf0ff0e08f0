"""The issue's "two clicks", in a real browser: a doctor opens a signed
prescription and clicks Print; a new tab receives the archived PDF (with the
hospital's logo), and printing again gives the very same bytes."""

import hashlib

from tests.documents import make_chart, pdf_image_count, pdf_text


def click_print(page) -> tuple[int, str, str]:
    """Clicks Print; (status, content type, SHA-256 header) of what the new tab received
    (Chromium's PDF viewer keeps the body to itself)."""
    # The PDF arrives in the new tab (the context sees every tab's responses).
    pdf_arrives = page.context.expect_event("response", lambda r: "/documents/" in r.url)
    with page.expect_popup() as popup_opened, pdf_arrives as answered:
        page.click(".ct-print-prescription button")
    response = answered.value
    received = (response.status, response.headers["content-type"], response.headers["x-document-sha256"])
    popup_opened.value.close()
    return received


def test_a_doctor_prints_a_prescription_in_two_clicks(sign_in, live_server, sql_conn):
    chart = make_chart(sql_conn)
    page = sign_in("doctor")
    page.goto(f"{live_server}/prescriptions/show/{chart['prescription']}")  # click 1: the prescription
    status, content_type, sha256 = click_print(page)  # click 2: Print
    assert (status, content_type) == (200, "application/pdf")
    query = "SELECT sha256, content FROM documents WHERE prescription_id = %s"
    (archived, content) = sql_conn.execute(query, [chart["prescription"]]).fetchone()
    assert sha256 == archived.hex() == hashlib.sha256(content).hexdigest()
    assert "Warfarin 5 mg" in pdf_text(content) and "Dr Paul MARTIN" in pdf_text(content)
    assert pdf_image_count(content) >= 1  # the hospital's logo
    # Printing again opens the same archived document.
    assert click_print(page)[2] == sha256
    prints = sql_conn.execute("SELECT count(*) FROM document_accesses WHERE action = 'print'").fetchone()[0]
    assert prints == 2
