"""The compte rendu d'hospitalisation, from its structured form
(hospitalisation_reports): stay, reason, summary, treatment at discharge,
follow-up, signed off by its author."""

from app.documents.errors import DocumentInputError
from app.documents.kinds.draft import Draft, no_other_fields, render_document_html, required_id
from app.documents.models import HospitalisationReport


def build(session, *, patient, fields, issuer, engine) -> Draft:
    no_other_fields(fields, ("report_id",))
    report_id = required_id(fields, "report_id")
    report = session.get(HospitalisationReport, report_id)
    if report is None or report.patient_id != patient.id:
        raise DocumentInputError("report_id", "No such hospitalisation report for this patient.")
    title = f"Compte rendu d'hospitalisation du {report.admitted_on:%d/%m/%Y} — {patient.full_name}"
    html = render_document_html(
        "hospitalisation_report.html",
        session=session,
        title=title,
        engine=engine,
        patient=patient,
        report=report,
        length_of_stay=(report.discharged_on - report.admitted_on).days,
    )
    return Draft(title=title, html=html, hospitalisation_report_id=report.id, recorded_fields={"report_id": report.id})
