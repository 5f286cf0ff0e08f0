"""REST API of the documents: issue one for a patient, list, show, download.

    POST /api/v1/patients/<id>/documents   {"kind": ..., ...fields} -> 201, the archived document
    GET  /api/v1/documents/                ?patient_id=&kind=&page=&page_size= (kinds you may read)
    GET  /api/v1/documents/<id>            its metadata and access journal
    GET  /api/v1/documents/<id>/download   the PDF (?disposition=inline: to print)

Everything goes through app/documents/archive.py, like the screens: the
per-kind rules are app/documents/access.py's (403), bad fields a 422 naming
the field, an engine (or the signature) that fails a 503 (answered by
app/core/answers.py, like every refusal).  A download is
journaled as 'download', an inline one as 'print'; the bytes are the
archived ones, their SHA-256 in the X-Document-SHA256 header.
"""

import io
import re
import unicodedata

from flask import request, send_file
from flask_appbuilder.api import expose, protect
from marshmallow import INCLUDE, Schema, fields, validate

from app.core.actor import current_actor
from app.core.api import CareTrailApi, safe
from app.core.extensions import db
from app.core.schemas import Id, load_json_body, load_query
from app.documents.access import readable_kinds
from app.documents.archive import document_with_journal, issue_document, open_document
from app.documents.models import DOCUMENT_KINDS, Document, DocumentAccess
from app.security.roles import DOCUMENTS

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 25


class DocumentListSchema(Schema):
    patient_id = Id(load_default=None)
    kind = fields.String(validate=validate.OneOf(list(DOCUMENT_KINDS)), load_default=None)
    page = fields.Integer(validate=validate.Range(min=0, max=1_000_000), load_default=0)
    page_size = fields.Integer(validate=validate.Range(1, MAX_PAGE_SIZE), load_default=DEFAULT_PAGE_SIZE)


class DownloadSchema(Schema):
    disposition = fields.String(validate=validate.OneOf(["attachment", "inline"]), load_default="attachment")


class IssueSchema(Schema):
    """{"kind": ...} and the kind's own fields, passed on as they are."""

    class Meta:
        unknown = INCLUDE

    kind = fields.String(required=True, validate=validate.OneOf(list(DOCUMENT_KINDS)))


def download_url(document_id: int) -> str:
    return f"/api/v1/documents/{document_id}/download"


def document_summary(document: Document) -> dict:
    return {
        "id": document.id,
        "patient_id": document.patient_id,
        "kind": document.kind,
        "kind_label": document.kind_label,
        "title": document.title,
        "issued_at": document.issued_at.isoformat(),
        "issued_by": document.issued_by,
        "issued_by_user_id": document.issued_by_user_id,
        "sha256": document.sha256_hex,
        "size_bytes": document.size_bytes,
        "page_count": document.page_count,
        "engine": document.engine,
        "signed_by": document.signed_by,
        "download_url": download_url(document.id),
    }


def document_details(document: Document, accesses: list[DocumentAccess]) -> dict:
    return {
        **document_summary(document),
        "template_id": document.template_id,
        "template_version": document.template_version,
        "prescription_id": document.prescription_id,
        "hospitalisation_report_id": document.hospitalisation_report_id,
        "fields": document.fields,
        "accesses": [
            {
                "action": access.action,
                "username": access.username,
                "user_id": access.user_id,
                "client_addr": str(access.client_addr) if access.client_addr else None,
                "accessed_at": access.accessed_at.isoformat(),
            }
            for access in accesses
        ],
    }


def safe_filename(document: Document) -> str:
    """ASCII, no path or quote characters: 'prescription-12-ordonnance-dubois-helene.pdf'."""
    plain = unicodedata.normalize("NFKD", document.title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:80].rstrip("-")
    return f"{document.kind.replace('_', '-')}-{document.id}{'-' + slug if slug else ''}.pdf"


class DocumentApiMixin:
    """What both APIs share: FAB's Document permission, read/write."""

    class_permission_name = DOCUMENTS
    openapi_spec_tag = "Documents"


class PatientDocumentApi(DocumentApiMixin, CareTrailApi):
    resource_name = "patients"
    method_permission_name = {"issue": "write"}

    @expose("/<int:pk>/documents", methods=["POST"])
    @protect()
    @safe
    def issue(self, pk):
        """Issue a document for a patient: build, render, sign (when configured), archive.
        ---
        post:
          summary: Issue a PDF document for the patient; it is archived, immutable
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}, description: the patient's id}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [kind]
                  properties:
                    kind:
                      type: string
                      enum: [patient_record, certificate, prescription, hospitalisation_report, audit_history]
                    template_id: {type: integer, description: 'certificate: the template'}
                    values: {type: object, description: "certificate: the template's free fields"}
                    prescription_id: {type: integer, description: 'prescription: a signed prescription'}
                    report_id: {type: integer, description: 'hospitalisation_report: the report'}
          responses:
            201:
              description: The archived document (id, title, kind, sha256, size_bytes, page_count, engine,
                signed_by, download_url)
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
            422: {$ref: '#/components/responses/422'}
            503: {description: The PDF engine or the signature failed; nothing was archived}
        """
        values = load_json_body(IssueSchema())
        kind = values.pop("kind")
        document = issue_document(db.session, current_actor(), patient_id=pk, kind=kind, fields=values)
        return self.response(201, **document_summary(document))


class DocumentApi(DocumentApiMixin, CareTrailApi):
    resource_name = "documents"
    method_permission_name = {"get_list": "read", "get": "read", "download": "read"}

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get_list(self):
        """The documents issued, newest first, of the kinds you may read.
        ---
        get:
          summary: List archived documents (metadata only), newest first
          parameters:
          - {in: query, name: patient_id, schema: {type: integer}}
          - in: query
            name: kind
            schema: {type: string, enum: [patient_record, certificate, prescription, hospitalisation_report,
              audit_history]}
          - {in: query, name: page, schema: {type: integer, default: 0}}
          - {in: query, name: page_size, schema: {type: integer, default: 25, maximum: 100}}
          responses:
            200: {description: 'count (all matching) and result (this page)'}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
        """
        args = load_query(DocumentListSchema(), request.args.to_dict())
        kind, page, page_size = args["kind"], args["page"], args["page_size"]
        kinds = [k for k in readable_kinds(current_actor()) if not kind or k == kind]
        query = db.select(Document).where(Document.kind.in_(kinds))
        if args["patient_id"] is not None:
            query = query.where(Document.patient_id == args["patient_id"])
        count = db.session.scalar(db.select(db.func.count()).select_from(query.subquery()))
        rows = db.session.scalars(
            query.order_by(Document.issued_at.desc(), Document.id.desc()).limit(page_size).offset(page * page_size)
        )
        return self.response(200, count=count, result=[document_summary(row) for row in rows])

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    def get(self, pk):
        """One document's metadata and who downloaded or printed it.
        ---
        get:
          summary: A document's metadata (no bytes) and its access journal
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200: {description: 'The document, with accesses: [{action, username, accessed_at, client_addr}]'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
        """
        document, accesses = document_with_journal(db.session, current_actor(), pk)
        return self.response(200, result=document_details(document, accesses))

    @expose("/<int:pk>/download", methods=["GET"])
    @protect()
    @safe
    def download(self, pk):
        """The archived PDF, byte for byte (journaled).
        ---
        get:
          summary: Download the PDF (journaled as a download; ?disposition=inline, to print, as a print)
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          - {in: query, name: disposition, schema: {type: string, enum: [attachment, inline], default: attachment}}
          responses:
            200:
              description: The PDF; X-Document-SHA256 is its archived SHA-256
              content:
                application/pdf: {schema: {type: string, format: binary}}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
        """
        disposition = load_query(DownloadSchema(), request.args.to_dict())["disposition"]
        action = "print" if disposition == "inline" else "download"
        document = open_document(db.session, current_actor(), pk, action=action, client_addr=request.remote_addr)
        content, filename, sha256 = document.content, safe_filename(document), document.sha256_hex
        response = send_file(
            io.BytesIO(content),
            mimetype="application/pdf",
            as_attachment=disposition == "attachment",
            download_name=filename,
            etag=sha256,
            max_age=0,
        )
        response.headers["Cache-Control"] = "private, no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Document-SHA256"] = sha256
        return response
