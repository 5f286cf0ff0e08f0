"""Issuing documents from the screens: the patient's page (patient record,
certificate, hospitalisation report, audit history), the prescription's
page and the report's (Print).

Each issue archives the document (app/documents/archive.py) and sends the
browser to its print address, which journals the print and shows the PDF:
a signed prescription prints in two clicks (open it, Print), and printing
it again reopens the document already archived (byte-identical).  Who may
issue which kind: app/documents/access.py (the buttons follow it too).
"""

from types import SimpleNamespace

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext

from app.core.actor import Actor, current_actor
from app.core.answers import page_status
from app.core.errors import CareTrailError, Forbidden, NotFound
from app.core.extensions import db
from app.documents.access import check_may_issue, may_issue, readable_kinds
from app.documents.archive import issue_document
from app.documents.certificates import validate_fields_definition
from app.documents.errors import DocumentInputError
from app.documents.models import CertificateTemplate, Document, HospitalisationReport
from app.documents.views.archive import DOCUMENT_PERMISSIONS, kind_label
from app.prescribing.models import Prescription
from app.records.models import Patient
from app.records.page import json_rows, loaded, loaded_columns
from app.security.roles import DOCUMENTS

PATIENT_PAGE_DOCUMENTS = 20
# Issued straight from a button: no field to fill in.
ONE_CLICK_KINDS = ("patient_record", "audit_history")
PATIENT_PAGE_KINDS = ("patient_record", "certificate", "hospitalisation_report", "audit_history")
INPUT_TYPES = {"text": "text", "date": "date", "number": "number"}


def documents_page_reads(patient_id, actor: Actor) -> dict:
    """What the patient page's documents section reads, with the other
    sections: the latest documents of the kinds the user reads; the
    certificate templates in use (their id and title, for the menu) and the
    patient's hospitalisation reports, for who may issue them."""
    kinds = readable_kinds(actor)
    if not kinds:
        return {}
    reads = {
        "documents": json_rows(
            sa.select(*loaded_columns(Document)).where(Document.patient_id == patient_id, Document.kind.in_(kinds)),
            Document.issued_at.desc(),
            Document.id.desc(),
            limit=PATIENT_PAGE_DOCUMENTS,
        )
    }
    if may_issue(actor, "certificate"):
        # Reference data, read with the rest: no cache to keep in step with the templates' screen.
        in_use = sa.select(CertificateTemplate.id, CertificateTemplate.title).where(CertificateTemplate.is_active)
        reads["templates"] = json_rows(in_use, CertificateTemplate.title)
    if may_issue(actor, "hospitalisation_report"):
        reads["reports"] = json_rows(
            sa.select(HospitalisationReport).where(HospitalisationReport.patient_id == patient_id),
            HospitalisationReport.discharged_on.desc(),
            HospitalisationReport.id.desc(),
        )
    return reads


def documents_on_patient_page(patient_id: int, actor: Actor, read: dict):
    """The patient page's documents section (templates/pages/document_patient.html),
    or None for who may not read documents."""
    if "documents" not in read:
        return None
    documents = loaded(Document, read["documents"])
    return SimpleNamespace(
        documents=documents,
        more=len(documents) == PATIENT_PAGE_DOCUMENTS,
        may={kind: may_issue(actor, kind) for kind in PATIENT_PAGE_KINDS},
        templates=loaded(CertificateTemplate, read.get("templates")),
        reports=loaded(HospitalisationReport, read.get("reports")),
        kind_label=kind_label,
    )


class DocumentIssueView(BaseView):
    route_base = "/issue-document"
    patient_banner = True  # the certificate form under the patient's banner (app/home/banner.py)
    class_permission_name = DOCUMENTS
    method_permission_name = {
        "issue": "write",
        "certificate": "write",
        "prescription": "write",
        "report": "write",
        "chosen_report": "write",
    }
    base_permissions = DOCUMENT_PERMISSIONS

    @expose("/patient/<int:patient_id>/<kind>", methods=["POST"])
    @has_access
    def issue(self, patient_id: int, kind: str):
        """A patient record or a patient's audit history, in one click."""
        if kind not in ONE_CLICK_KINDS:
            abort(404)
        # Auditors print the history from the audit's patient page (they do not see the patient's).
        back = url_for("AuditLogView.patient", patient_id=patient_id) if kind == "audit_history" else None
        return self._issue(patient_id, kind, {}, back=back)

    @expose("/report", methods=["POST"])
    @has_access
    def chosen_report(self):
        """The hospitalisation report picked on the patient's page, printed."""
        report_id = request.form.get("report_id", type=int)
        if report_id is None:
            abort(400)
        return self.report(report_id)

    @expose("/report/<int:report_id>", methods=["POST"])
    @has_access
    def report(self, report_id: int):
        """A hospitalisation report, printed."""
        report = db.session.get(HospitalisationReport, report_id)
        if report is None:
            abort(404)
        return self._issue(report.patient_id, "hospitalisation_report", {"report_id": report.id})

    @expose("/prescription/<int:prescription_id>", methods=["POST"])
    @has_access
    def prescription(self, prescription_id: int):
        """A signed prescription, printed (issue_document reopens the archived one when it was printed before)."""
        prescription = db.session.get(Prescription, prescription_id)
        if prescription is None:
            abort(404)
        back = url_for("PrescriptionView.show", pk=prescription.id)
        return self._issue(prescription.patient_id, "prescription", {"prescription_id": prescription.id}, back=back)

    @expose("/patient/<int:patient_id>/certificate", methods=["GET", "POST"])
    @has_access
    def certificate(self, patient_id: int):
        """The chosen template's fields to fill in (the right input for each), then the certificate."""
        patient = db.session.get(Patient, patient_id)
        if patient is None:
            abort(404)
        try:
            check_may_issue(current_actor(), "certificate")
        except CareTrailError as refused:
            flash(refused.message, "danger")
            return redirect(url_for("PatientView.show", pk=patient_id))
        source = request.form if request.method == "POST" else request.args
        template_id = source.get("template_id", type=int)
        template = db.session.get(CertificateTemplate, template_id) if template_id else None
        if template is None or not template.is_active:
            flash("Choose a certificate template in use.", "warning")
            return redirect(url_for("PatientView.show", pk=patient_id))
        try:
            fields = validate_fields_definition(template.fields)
        except DocumentInputError:
            fields = []
        values = {spec["name"]: request.form.get(f"value-{spec['name']}", "") for spec in fields}
        errors, error = {}, None
        if request.method == "POST":
            try:
                document = issue_document(
                    db.session,
                    current_actor(),
                    patient_id=patient.id,
                    kind="certificate",
                    fields={"template_id": template.id, "values": values},
                )
            except CareTrailError as refused:
                name = (refused.field or "").removeprefix("values.")
                if name in values:
                    errors[name] = refused.message
                error = refused
            else:
                flash(gettext("%(name)s: issued and archived.", name=document.title), "success")
                return redirect(url_for("DocumentView.print_pdf", pk=document.id), code=303)
        return self.render_template(
            "pages/document_certificate.html",
            patient=patient,
            certificate_template=template,
            fields=fields,
            values=values,
            errors=errors,
            error=error.message if error else None,
            input_types=INPUT_TYPES,
        ), page_status(error)

    def _issue(self, patient_id: int, kind: str, fields: dict, *, back: str | None = None):
        """Issue and archive, then show the PDF; a refusal goes back to the page, explained."""
        back = back or url_for("PatientView.show", pk=patient_id)
        try:
            document = issue_document(db.session, current_actor(), patient_id=patient_id, kind=kind, fields=fields)
        except (NotFound, Forbidden):
            raise  # answered as such (app/core/answers.py)
        except CareTrailError as refused:
            flash(refused.message, "danger")
            return redirect(back)
        return redirect(url_for("DocumentView.print_pdf", pk=document.id), code=303)
