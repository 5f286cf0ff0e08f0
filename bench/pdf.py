"""Pages per second of each PDF engine, on the real documents.

    .venv/bin/python -m bench.pdf [--database-url URL] [--rounds 5] [--prescriptions 100]

Two workloads, each built by the real build_document() (the HTML templates,
the records read from PostgreSQL) and rendered by render_pdf(), per engine:
- a patient record of about 10 pages (WeasyPrint's count: the patient's
  allergies and current prescriptions are added until it reaches 10;
  wkhtmltopdf lays the same HTML out on its own number of pages);
- 100 prescriptions (ordonnances) in a row, one after the other, as a
  doctor's day of printing.
Prints, side by side, the pages per second (median over `rounds`, with the
spread min - max), the seconds per document, and what the optional PAdES
signature adds per document (a demo certificate, RSA 3072).
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import psycopg

from bench._database import benchmark_database

ENGINES = ("weasyprint", "wkhtmltopdf")
TARGET_PAGES = 10
MEDICATIONS = 40
LINES_PER_PRESCRIPTION = 4


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="server to use (default: embedded PostgreSQL)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per workload and engine")
    parser.add_argument("--prescriptions", type=int, default=100, help="prescriptions printed in a row")
    args = parser.parse_args()

    with benchmark_database(args.database_url) as (url, conninfo):
        with psycopg.connect(conninfo, autocommit=True) as conn:
            ward = _ward(conn, args.prescriptions)
        app = _app(url)
        with app.app_context():
            record_pages = _calibrate_record(app, conninfo, ward)
            results = {engine: _measure(engine, ward, args) for engine in ENGINES}
            signing = _signing_cost(ward)
            from app.core.extensions import db

            db.engine.dispose()

    print(
        f"\nPatient record: {record_pages} pages with WeasyPrint; {args.prescriptions} prescriptions of"
        f" {LINES_PER_PRESCRIPTION} lines; {args.rounds} rounds per engine (build_document + render_pdf)\n"
    )
    header = f"{'':34}" + "".join(f"{engine:>26}" for engine in ENGINES)
    print(header)
    for label, key in (
        ("patient record: pages per second", "record"),
        (f"{args.prescriptions} prescriptions: pages/s", "prescriptions"),
    ):
        print(f"{label:34}" + "".join(f"{_spread(results[e][key]['pps']):>26}" for e in ENGINES))
        print(f"{'  seconds per document':34}" + "".join(f"{_spread(results[e][key]['spd'], 3):>26}" for e in ENGINES))
        print(f"{'  pages per document':34}" + "".join(f"{results[e][key]['pages']:>26}" for e in ENGINES))
    weasy = statistics.median(results["weasyprint"]["prescriptions"]["pps"])
    wk = statistics.median(results["wkhtmltopdf"]["prescriptions"]["pps"])
    record_ratio = statistics.median(results["weasyprint"]["record"]["pps"]) / statistics.median(
        results["wkhtmltopdf"]["record"]["pps"]
    )
    print(f"\nWeasyPrint / wkhtmltopdf, pages per second: record {record_ratio:.2f}, prescriptions {weasy / wk:.2f}")
    print(f"PAdES signature (pyHanko, RSA 3072): median {signing * 1000:.0f} ms per document, whatever the engine")


def _spread(values: list[float], digits: int = 1) -> str:
    return f"{statistics.median(values):.{digits}f} [{min(values):.{digits}f}-{max(values):.{digits}f}]"


def _app(url: str):
    import logging

    from app import create_app
    from config import Config

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    return create_app(Config, SQLALCHEMY_DATABASE_URI=url, MIGRATION_DATABASE_URL=None)


def _ward(conn, prescriptions: int) -> dict:
    """A doctor, a drug reference, a patient for the record, and `prescriptions`
    signed prescriptions for another patient."""
    (doctor,) = conn.execute(
        "INSERT INTO staff (last_name, first_name, profession, specialty, rpps)"
        " VALUES ('Martin', 'Paul', 'doctor', 'Médecine générale', '10101010101') RETURNING id"
    ).fetchone()
    medications = [
        conn.execute(
            "INSERT INTO medications (code, name, substances, atc_code, route) VALUES (%s, %s, %s, %s, 'oral')"
            " RETURNING id",
            [f"BENCH{n:03}", f"Médicament de banc n° {n}, 500 mg comprimé", [f"substance {n}"], f"N02BE{n % 90:02}"],
        ).fetchone()[0]
        for n in range(MEDICATIONS)
    ]
    record_patient, printed_patient = (
        conn.execute(
            "INSERT INTO patients (last_name, first_name, birth_date, sex) VALUES (%s, %s, '1950-03-14', 'F')"
            " RETURNING id",
            [last, first],
        ).fetchone()[0]
        for last, first in (("Dubois", "Hélène"), ("Durand", "Luc"))
    )
    printed = [_prescription(conn, printed_patient, doctor, medications, n) for n in range(prescriptions)]
    return {
        "doctor": doctor,
        "medications": medications,
        "record_patient": record_patient,
        "printed_patient": printed_patient,
        "prescriptions": printed,
    }


def _prescription(conn, patient: int, doctor: int, medications: list[int], n: int) -> int:
    (prescription,) = conn.execute(
        "INSERT INTO prescriptions (patient_id, prescriber_id, notes) VALUES (%s, %s, %s) RETURNING id",
        [patient, doctor, "À prendre au cours des repas. Renouvelable une fois."],
    ).fetchone()
    for position in range(1, LINES_PER_PRESCRIPTION + 1):
        conn.execute(
            "INSERT INTO prescription_items (prescription_id, position, medication_id, dose, dose_unit, frequency)"
            " VALUES (%s, %s, %s, 1, 'comprimé', 'matin, midi et soir pendant 7 jours')",
            [prescription, position, medications[(n * LINES_PER_PRESCRIPTION + position) % len(medications)]],
        )
    conn.execute("UPDATE prescriptions SET status = 'signed', override_reason = 'bench' WHERE id = %s", [prescription])
    return prescription


def _calibrate_record(app, conninfo: str, ward: dict) -> int:
    """Adds prescriptions and allergies to the record's patient until WeasyPrint lays it out on 10 pages."""
    pages = 0
    with psycopg.connect(conninfo, autocommit=True) as conn:
        n = 0
        while pages < TARGET_PAGES:
            for _ in range(4 if pages < TARGET_PAGES - 2 else 1):
                _prescription(conn, ward["record_patient"], ward["doctor"], ward["medications"], n)
                conn.execute(
                    "INSERT INTO patient_allergies (patient_id, substance, description) VALUES (%s, %s, %s)",
                    [ward["record_patient"], f"allergène {n}", "Urticaire généralisée après la prise, en 2019."],
                )
                n += 1
            pages = _render("weasyprint", ward, "patient_record", {}, ward["record_patient"]).page_count
    return pages


def _issuer():
    from app.documents.archive import Issuer

    return Issuer("bench", None, frozenset({"Admin"}))


def _render(engine: str, ward: dict, kind: str, fields: dict, patient_id: int):
    from flask import current_app

    from app.core.extensions import db
    from app.documents.kinds import build_document
    from app.documents.render import render_pdf
    from app.records.models import Patient

    patient = db.session.get(Patient, patient_id)
    draft = build_document(db.session, kind=kind, patient=patient, fields=fields, issuer=_issuer(), engine=engine)
    rendered = render_pdf(draft.html, engine, wkhtmltopdf_path=current_app.config.get("WKHTMLTOPDF_PATH"))
    db.session.rollback()
    return rendered


def _measure(engine: str, ward: dict, args) -> dict:
    record = {"pps": [], "spd": [], "pages": 0}
    prescriptions = {"pps": [], "spd": [], "pages": 0}
    _render(engine, ward, "patient_record", {}, ward["record_patient"])  # warm up (fonts, templates)
    for _ in range(args.rounds):
        started = time.perf_counter()
        rendered = _render(engine, ward, "patient_record", {}, ward["record_patient"])
        elapsed = time.perf_counter() - started
        record["pps"].append(rendered.page_count / elapsed)
        record["spd"].append(elapsed)
        record["pages"] = rendered.page_count
        started, pages = time.perf_counter(), 0
        for prescription in ward["prescriptions"]:
            fields = {"prescription_id": prescription}
            pages += _render(engine, ward, "prescription", fields, ward["printed_patient"]).page_count
        elapsed = time.perf_counter() - started
        prescriptions["pps"].append(pages / elapsed)
        prescriptions["spd"].append(elapsed / len(ward["prescriptions"]))
        prescriptions["pages"] = f"{pages / len(ward['prescriptions']):g}"
    print(f"[bench] {engine}: done", flush=True)
    return {"record": record, "prescriptions": prescriptions}


def _signing_cost(ward: dict) -> float:
    from app.documents.signing import configured_certificate, make_demo_certificate, sign_pdf

    with tempfile.TemporaryDirectory() as directory:
        path = make_demo_certificate(Path(directory) / "bench.p12", "bench", "CareTrail bench")
        certificate = configured_certificate(
            {"DOCUMENT_SIGNING_P12": str(path), "DOCUMENT_SIGNING_PASSPHRASE": "bench"}
        )
        fields = {"prescription_id": ward["prescriptions"][0]}
        pdf = _render("weasyprint", ward, "prescription", fields, ward["printed_patient"])
        sign_pdf(pdf.content, certificate)
        times = []
        for _ in range(20):
            started = time.perf_counter()
            sign_pdf(pdf.content, certificate)
            times.append(time.perf_counter() - started)
    return statistics.median(times)


if __name__ == "__main__":
    main()
