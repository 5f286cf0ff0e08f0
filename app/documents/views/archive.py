"""Screens of the documents: the archive (list with filters, a document's
page with its access journal, download and print), issuing from the
patient's page and the prescription's (app/documents/views/issue.py),
certificate templates (document_templates.py), hospitalisation reports
(document_reports.py) and the letterhead (document_settings.py).

Documents are never edited nor deleted: the archive has no such route (the
database would refuse anyway).  Each user lists and opens only the kinds
app/documents/access.py lets them read; every download and print goes
through open_document(), which journals it.
"""

from flask import Response, abort, request
from flask_appbuilder import expose
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.models.sqla.filters import FilterInFunction
from flask_appbuilder.security.decorators import has_access
from markupsafe import Markup
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice

from app.core.actor import current_actor
from app.core.extensions import db
from app.core.search import FilterFromDay, FilterUntilDay
from app.core.timezone import local_time
from app.core.views import CareTrailModelView
from app.documents.access import readable_kinds
from app.documents.archive import document_with_journal, open_document
from app.documents.models import DOCUMENT_KINDS, Document
from app.records.fields import PatientFilterConverter, PatientRecordInterface
from app.security.permissions import METHOD_PERMISSION_MAP, READ, WRITE
from app.security.roles import (
    DOCUMENTS,
)

SHORT_HASH = 12
# What every PDF answer carries: private, not cached, not sniffed.
PDF_HEADERS = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
# Both documents screens share the Document resource: same permissions on
# each (FAB keeps on a resource only what the last view registered lists).
DOCUMENT_PERMISSIONS = [READ, WRITE]


def readable_kinds_of_user() -> list[str]:
    return readable_kinds(current_actor())


def kind_label(kind: str) -> str:
    return DOCUMENT_KINDS.get(kind, kind)


def short_hash(value: bytes | None) -> Markup:
    if not value:
        return Markup("")
    full = value.hex()
    return Markup('<code title="{}">{}…</code>').format(full, full[:SHORT_HASH])


def pdf_response(document: Document, disposition: str) -> Response:
    """The archived bytes as they are, as an attachment (download) or inline (print)."""
    filename = f"{document.kind.replace('_', '-')}-{document.id}.pdf"
    return Response(
        document.content,
        mimetype="application/pdf",
        headers={
            **PDF_HEADERS,
            "Content-Disposition": f'{disposition}; filename="{filename}"',
            "X-Document-SHA256": document.sha256.hex(),
        },
    )


class DocumentFilterConverter(PatientFilterConverter):
    """Adds "issued between" (from day, until day, in the hospital's time zone)."""

    def convert(self, col_name):
        filters = super().convert(col_name) or []
        if col_name == "issued_at":
            filters = [FilterFromDay(col_name, self.datamodel), FilterUntilDay(col_name, self.datamodel), *filters]
        return filters


class DocumentInterface(PatientRecordInterface):
    filter_converter_class = DocumentFilterConverter


KIND_CHOICES = [SelectChoice("", "Any kind"), *(SelectChoice(code, label) for code, label in DOCUMENT_KINDS.items())]


class DocumentView(CareTrailModelView):
    """The archive: read-only, filtered to the kinds the user may read."""

    datamodel = DocumentInterface(Document)
    class_permission_name = DOCUMENTS
    method_permission_name = {**METHOD_PERMISSION_MAP, "download_pdf": "read", "print_pdf": "read"}
    base_permissions = DOCUMENT_PERMISSIONS
    include_route_methods = {"list", "show", "download_pdf", "print_pdf"}
    route_base = "/documents"
    patient_banner = True  # its patient's banner on the document's page (app/home/banner.py)
    base_filters = [["kind", FilterInFunction, readable_kinds_of_user]]

    list_title = "Documents"
    show_title = "Document"
    list_columns = [
        "title",
        "patient",
        "kind",
        "issued_by",
        "issued_at",
        "page_count",
        "engine",
        "signed_by",
        "sha256",
    ]
    order_columns = ["title", "kind", "issued_by", "issued_at", "page_count"]
    base_order = ("issued_at", "desc")
    search_columns = ["patient", "kind", "issued_by", "issued_at", "title"]
    search_form_extra_fields = {
        "patient": StringField("Patient"),
        "kind": SelectField("Kind", choices=KIND_CHOICES, widget=Select2Widget()),
        "issued_at": StringField("Issued", description="A day: 2026-12-07 or 07/12/2026"),
    }
    label_columns = {
        "issued_by": "Issued by",
        "issued_at": "Issued at",
        "page_count": "Pages",
        "signed_by": "Signed",
        "sha256": "SHA-256",
    }
    formatters_columns = {
        "kind": kind_label,
        "issued_at": local_time,
        "sha256": short_hash,
        "signed_by": lambda signer: (
            Markup('<span class="label label-success" title="{}">signed</span>').format(signer) if signer else ""
        ),
    }

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk: int):
        """Everything the archive knows of the document, and who opened it when."""
        if self.datamodel.get(pk, self._base_filters) is None:
            abort(404)  # as in the list: a kind the user may not read is not there for them
        document, accesses = document_with_journal(db.session, current_actor(), pk)
        return self.render_template(
            "pages/document_show.html",
            document=document,
            accesses=list(reversed(accesses)),  # newest first on the page
            kind_label=kind_label,
        )

    @expose("/<int:pk>/download")
    @has_access
    def download_pdf(self, pk: int):
        """The archived PDF as a file (journaled as a download)."""
        return pdf_response(self._open(pk, "download"), "attachment")

    @expose("/<int:pk>/print")
    @has_access
    def print_pdf(self, pk: int):
        """The archived PDF shown by the browser, to print (journaled as a print)."""
        return pdf_response(self._open(pk, "print"), "inline")

    @staticmethod
    def _open(pk: int, action: str) -> Document:
        return open_document(db.session, current_actor(), pk, action=action, client_addr=request.remote_addr)
