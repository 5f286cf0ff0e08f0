"""The optional PAdES signature: documents issued with a configured PKCS#12
are signed (visible block, valid for pyHanko against that certificate); a
one-byte change fails both the SHA-256 and the signature; `flask documents
verify` says so with exit status 1, and is journaled; `demo-cert` makes a
usable self-signed certificate."""

import hashlib
import io

import pytest
from pypdf import PdfReader

from app.documents import signing
from tests.conftest import api_token, dispose, make_test_app
from tests.prescribing import make_ward, signed

PASSPHRASE = "demo passphrase, test only"
SIGNER = "Hôpital Démo CareTrail"


@pytest.fixture
def demo_certificate(tmp_path):
    """A self-signed PKCS#12 in a temporary directory."""
    return signing.make_demo_certificate(tmp_path / "demo.p12", PASSPHRASE, SIGNER)


@pytest.fixture
def signing_app(database_url, demo_certificate):
    """The app with DOCUMENT_SIGNING_P12 and DOCUMENT_SIGNING_PASSPHRASE set to the demo certificate."""
    app = make_test_app(
        database_url, DOCUMENT_SIGNING_P12=str(demo_certificate), DOCUMENT_SIGNING_PASSPHRASE=PASSPHRASE
    )
    yield app
    dispose(app)


@pytest.fixture
def ward(sql_conn):
    """Dr Paul Martin (the `doctor` login), patients Hélène Dubois and Luc Durand, a small drug reference."""
    return make_ward(sql_conn)


def issue(app, patient_id: int, body: dict, username: str = "doctor") -> tuple[dict, bytes]:
    """(the API's answer, the downloaded PDF)."""
    client = app.test_client()
    headers = {"Authorization": f"Bearer {api_token(client, username)}"}
    response = client.post(f"/api/v1/patients/{patient_id}/documents", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    issued = response.get_json()
    return issued, client.get(issued["download_url"], headers=headers).get_data()


def pyhanko_status(pdf: bytes, certificate_path):
    """pyHanko's own verdict, trusting the demo certificate only."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    certificate = signing.configured_certificate(
        {"DOCUMENT_SIGNING_P12": str(certificate_path), "DOCUMENT_SIGNING_PASSPHRASE": PASSPHRASE}
    )
    [embedded] = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    context = ValidationContext(trust_roots=[certificate.chain[0]])
    return signing.run_async(async_validate_pdf_signature, embedded, context)


def one_byte_changed(pdf: bytes, position: int) -> bytes:
    tampered = bytearray(pdf)
    tampered[position] = ord("1") if tampered[position] != ord("1") else ord("2")
    return bytes(tampered)


def verify_cli(app, document_id: int, *args: str):
    return app.test_cli_runner().invoke(args=["documents", "verify", str(document_id), *args])


def test_an_issued_document_is_signed_with_a_visible_block_and_validates(signing_app, ward, demo_certificate):
    prescription = signed(ward["conn"], ward["dubois"], ward["martin"], [ward["med"]["PARA"]])
    issued, pdf = issue(signing_app, ward["dubois"], {"kind": "prescription", "prescription_id": prescription})
    assert issued["signed_by"] == SIGNER
    assert hashlib.sha256(pdf).hexdigest() == issued["sha256"]
    status = pyhanko_status(pdf, demo_certificate)
    assert status.bottom_line and status.intact and status.valid and status.trusted
    assert status.coverage.name == "ENTIRE_FILE"
    assert status.signing_cert.subject.native["common_name"] == SIGNER
    # The visible block: a signature widget with an appearance, on the last page.
    last_page = PdfReader(io.BytesIO(pdf)).pages[-1]
    [widget] = [a.get_object() for a in last_page["/Annots"] if a.get_object().get("/FT") == "/Sig"]
    left, bottom, right, top = (float(v) for v in widget["/Rect"])
    assert right - left > 100 and top - bottom > 10 and "/AP" in widget
    assert left > float(last_page.mediabox.width) / 2 and top < 60  # bottom right, in the margin
    appearance = widget["/AP"]["/N"].get_object().get_data()
    assert b"lectroniquement par" in appearance and b"D\\351mo CareTrail" in appearance  # é, octal-escaped
    # Still one document of the page count the archive says, and its text intact.
    assert "Paracetamol 1 g" in "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_a_one_byte_change_fails_both_the_hash_and_the_signature(signing_app, ward, demo_certificate):
    issued, pdf = issue(signing_app, ward["dubois"], {"kind": "patient_record"}, "nurse")
    with signing_app.app_context():
        assert signing.verify_document_bytes(pdf, issued["sha256"], expect_signature=True).ok
        contents = pdf.index(b"/Contents <") + len(b"/Contents <")
        # In the page content, in the signature's own hex, in its zero padding, in the trailer.
        for position in (len(pdf) // 3, contents + 40, pdf.index(b"00000000>", contents) + 2, len(pdf) - 10):
            tampered = one_byte_changed(pdf, position)
            result = signing.verify_document_bytes(tampered, issued["sha256"], expect_signature=True)
            assert not result.hash_matches, position
            assert result.signature_ok is False, (position, result.report())
            assert not result.ok
            assert "FAILED" in result.report()[-1]


def test_without_the_configured_certificate_a_signature_is_intact_but_not_trusted(signing_app, ward):
    """Honest: with no trust root, verify cannot say whose signature it is, and fails."""
    issued, pdf = issue(signing_app, ward["dubois"], {"kind": "patient_record"}, "nurse")
    result = signing.verify_document_bytes(pdf, issued["sha256"], {}, expect_signature=True)
    [check] = result.signatures
    assert result.hash_matches and check.intact and check.valid and not check.trusted
    assert result.trust_unknown and not result.ok
    assert any("DOCUMENT_SIGNING_P12 is not set" in line for line in result.report())


def test_verify_passes_for_an_untouched_signed_document_and_is_journaled(signing_app, ward):
    issued, _pdf = issue(signing_app, ward["dubois"], {"kind": "patient_record"}, "secretary")
    result = verify_cli(signing_app, issued["id"], "--as", "auditor")
    assert result.exit_code == 0, result.output
    assert "SHA-256 matches" in result.output and f"Signature valid: signed by {SIGNER}" in result.output
    assert "SHA-256 at issue (audit): matches" in result.output
    assert "not a qualified eIDAS signature" in result.output and "OK: the document is as issued." in result.output
    journal = (
        ward["conn"]
        .execute(
            "SELECT action, username, user_id IS NOT NULL FROM document_accesses WHERE document_id = %s", [issued["id"]]
        )
        .fetchall()
    )
    assert ("verify", "auditor", True) in journal


def test_verify_an_unsigned_document_checks_its_hash(app, ward):
    issued, _pdf = issue(app, ward["durand"], {"kind": "patient_record"}, "doctor")
    result = verify_cli(app, issued["id"])
    assert result.exit_code == 0, result.output
    assert "SHA-256 matches" in result.output and "Not signed." in result.output
    assert verify_cli(app, 999_999).exit_code == 1


def test_a_superuser_who_rewrites_content_and_hash_is_caught(signing_app, ward, sql_conn):
    """The archive refuses an UPDATE (trigger), and its CHECK refuses bytes that
    do not match their hash.  A superuser can still bypass the trigger
    (session_replication_role = replica also silences the audit trigger) and
    rewrite one byte together with its SHA-256: the stored hash then agrees,
    but the signature, and the hash the audit recorded at issue, do not."""
    import psycopg

    issued, pdf = issue(signing_app, ward["dubois"], {"kind": "patient_record"}, "doctor")
    position = len(pdf) // 3
    new_byte = one_byte_changed(pdf, position)[position : position + 1]
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        sql_conn.execute("UPDATE documents SET title = 'changed' WHERE id = %s", [issued["id"]])
    tamper = "UPDATE documents SET content = overlay(content PLACING %s FROM %s FOR 1){hash} WHERE id = %s"
    with pytest.raises(psycopg.errors.CheckViolation), sql_conn.transaction():
        sql_conn.execute("SET LOCAL session_replication_role = replica")
        sql_conn.execute(tamper.format(hash=""), [new_byte, position + 1, issued["id"]])
    with sql_conn.transaction():
        sql_conn.execute("SET LOCAL session_replication_role = replica")
        sql_conn.execute(
            tamper.format(hash=", sha256 = sha256(overlay(content PLACING %s FROM %s FOR 1))"),
            [new_byte, position + 1, new_byte, position + 1, issued["id"]],
        )
    stored = sql_conn.execute("SELECT content, sha256 FROM documents WHERE id = %s", [issued["id"]]).fetchone()
    assert stored[0] == one_byte_changed(pdf, position) and stored[1] == hashlib.sha256(stored[0]).digest()

    result = verify_cli(signing_app, issued["id"])
    assert result.exit_code == 1, result.output
    assert "SHA-256 matches" in result.output  # the row agrees with itself ...
    assert "Signature INVALID" in result.output or "Signature: MISSING" in result.output  # ... not with its signature
    assert f"SHA-256 at issue (audit): DIFFERS, the audit recorded {issued['sha256']}" in result.output
    assert "FAILED: the document is not as issued." in result.output


def test_a_wrong_passphrase_issues_nothing(database_url, ward, demo_certificate, sql_conn):
    app = make_test_app(
        database_url, DOCUMENT_SIGNING_P12=str(demo_certificate), DOCUMENT_SIGNING_PASSPHRASE="Not-This-One-7"
    )
    try:
        client = app.test_client()
        headers = {"Authorization": f"Bearer {api_token(client, 'doctor')}"}
        response = client.post(
            f"/api/v1/patients/{ward['dubois']}/documents", json={"kind": "patient_record"}, headers=headers
        )
    finally:
        dispose(app)
    assert response.status_code == 503
    message = response.get_json()["message"]
    assert "wrong passphrase" in message and "Not-This-One-7" not in message
    assert sql_conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 0


def test_demo_cert_writes_a_private_usable_certificate(app, tmp_path):
    out = tmp_path / "certs" / "signing.p12"
    result = app.test_cli_runner().invoke(
        args=["documents", "demo-cert", "--out", str(out), "--passphrase", PASSPHRASE, "--common-name", "Dr Demo"]
    )
    assert result.exit_code == 0, result.output
    assert f"export DOCUMENT_SIGNING_P12={out.resolve()}" in result.output
    assert "export DOCUMENT_SIGNING_PASSPHRASE=" in result.output
    assert "NOT a qualified (eIDAS) signature" in result.output and PASSPHRASE not in result.output
    assert out.stat().st_mode & 0o777 == 0o600
    certificate = signing.configured_certificate(
        {"DOCUMENT_SIGNING_P12": str(out), "DOCUMENT_SIGNING_PASSPHRASE": PASSPHRASE}
    )
    assert certificate.name == "Dr Demo" and certificate.is_self_signed
    again = app.test_cli_runner().invoke(args=["documents", "demo-cert", "--out", str(out), "--passphrase", "x"])
    assert again.exit_code != 0 and "--force" in again.output


def test_signing_and_verifying_work_inside_a_running_event_loop(demo_certificate):
    """pyHanko's sync calls use asyncio.run(), which fails under a running loop
    (an async server; Playwright in this suite): signing must not."""
    import asyncio
    import concurrent.futures

    from app.documents.render import render_pdf

    config = {"DOCUMENT_SIGNING_P12": str(demo_certificate), "DOCUMENT_SIGNING_PASSPHRASE": PASSPHRASE}
    pdf = render_pdf("<p>Inside a loop</p>", "weasyprint").content

    async def sign_and_verify():
        content, signer = signing.sign_if_configured(pdf, config)
        return signer, signing.verify_document_bytes(
            content, hashlib.sha256(content).digest(), config, expect_signature=True
        )

    # On a thread of its own: this worker's main thread may hold Playwright's loop already.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        signer, verification = pool.submit(asyncio.run, sign_and_verify()).result()
    assert signer and verification.ok and verification.signature_ok
