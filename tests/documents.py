"""A patient with everything documents show, written in SQL (as a DBA would),
and helpers to issue documents and read the PDFs back."""

import io
import shutil
import struct
import zlib
from datetime import date, timedelta

import pytest
from pypdf import PdfReader

from app.core.actor import Actor
from app.core.extensions import db
from app.documents.archive import issue_document
from tests.prescribing import draft, make_ward, sign

# wkhtmltopdf is the optional engine: without it its tests are skipped, as the
# browser tests are without Chromium (.ci/run installs both).
needs_wkhtmltopdf = pytest.mark.skipif(
    shutil.which("wkhtmltopdf") is None, reason="wkhtmltopdf is not installed (apt-get install wkhtmltopdf)"
)

HOSPITAL = {
    "name": "Centre Hospitalier de Valmont",
    "address": "12 rue des Tilleuls\n69000 Lyon",
    "phone": "+33472000000",
    "finess": "690000017",
    "footer": "Urgences 24h/24 : +33472000099",
}


def tiny_png(width: int = 4, height: int = 3, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A real PNG (no Pillow needed to make it)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def set_letterhead(conn, *, logo: bytes | None = None, media_type: str = "image/png") -> None:
    conn.execute(
        "UPDATE hospital_settings SET name = %s, address = %s, phone = %s, finess = %s, footer = %s,"
        " logo = %s, logo_media_type = %s WHERE id = 1",
        [*HOSPITAL.values(), logo, media_type if logo else None],
    )


def make_chart(conn, *, appointments: int = 3) -> dict:
    """make_ward() plus: Dr Martin's RPPS and specialty, the letterhead with a
    logo, an allergy, a signed prescription (one ALD line), appointments
    (past and upcoming), a hospitalisation report."""
    ward = make_ward(conn)
    conn.execute("UPDATE staff SET rpps = '10101010101', specialty = 'Cardiologie' WHERE id = %s", [ward["martin"]])
    set_letterhead(conn, logo=tiny_png())
    patient = ward["dubois"]
    conn.execute(
        "UPDATE patients SET address = '3 place Bellecour', postal_code = '69002', city = 'Lyon',"
        " phone = '+33600000001' WHERE id = %s",
        [patient],
    )
    conn.execute(
        "INSERT INTO patient_allergies (patient_id, substance, reaction, severity)"
        " VALUES (%s, 'penicillin', 'urticaire', 'severe')",
        [patient],
    )
    med = ward["med"]
    prescription = draft(conn, patient, ward["martin"], [med["WARF"], med["PARA"]], renewals_allowed=2)
    # Warfarin for the long-term condition: the two-zone layout.
    conn.execute(
        "UPDATE prescription_items SET is_ald = true WHERE prescription_id = %s AND medication_id = %s",
        [prescription, med["WARF"]],
    )
    sign(conn, prescription)
    ward["prescription"] = prescription
    ward["report"] = conn.execute(
        "INSERT INTO hospitalisation_reports (patient_id, author_id, service, admitted_on, discharged_on, reason,"
        " summary, discharge_treatment, follow_up) VALUES (%s, %s, 'Cardiologie', %s, %s,"
        " 'Douleur thoracique', 'Syndrome coronarien écarté.', 'Aspirine 100 mg', 'Consultation dans 1 mois')"
        " RETURNING id",
        [patient, ward["martin"], date.today() - timedelta(days=5), date.today() - timedelta(days=2)],
    ).fetchone()[0]
    make_appointments(conn, patient, ward["martin"], appointments)
    return ward


def make_appointments(conn, patient_id: int, doctor_id: int, count: int, *, hour: int = 10) -> None:
    """`count` appointments a day apart, half past, half to come; written as
    emergencies so working hours need not be set up."""
    (type_id,) = conn.execute("SELECT id FROM appointment_types WHERE code = 'emergency'").fetchone()
    start = date.today() - timedelta(days=count // 2)
    for day in range(count):
        conn.execute(
            "INSERT INTO appointments (patient_id, doctor_id, type_id, starts_at, duration_minutes, override_reason)"
            " VALUES (%s, %s, %s, (%s::date + make_time(%s, 0, 0)) AT TIME ZONE 'Europe/Paris', 30, 'test')",
            [patient_id, doctor_id, type_id, start + timedelta(days=day), hour],
        )


def issue(app, username: str, **kwargs):
    """issue_document as `username` (its roles), committed; the Document."""
    from app.documents.models import Document

    with app.app_context():
        user = app.appbuilder.sm.find_user(username=username)
        document = issue_document(db.session, Actor.of(user), **kwargs)
        db.session.commit()
        document_id = document.id
        db.session.expunge_all()
        return db.session.get(Document, document_id, options=[db.undefer(Document.content)])


def pdf_text(content: bytes) -> str:
    """The text of every page, pages joined by form feeds; spaces normalised."""
    reader = PdfReader(io.BytesIO(content))
    return "\f".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def pdf_pages(content: bytes) -> list[str]:
    return pdf_text(content).split("\f")


def pdf_image_count(content: bytes) -> int:
    reader = PdfReader(io.BytesIO(content))
    return sum(len(page.images) for page in reader.pages)
