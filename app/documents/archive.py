"""Issue a document (build, render, sign, archive) and read it back (journaled).

Every document issued is archived: its bytes, their SHA-256 and size (the
database checks both), who issued it, when, with which engine and from
which template version.  Re-downloading returns the very same bytes.
"""

import hashlib
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from app.core.errors import NotFound
from app.documents import signing
from app.documents.access import check_may_issue, check_may_read
from app.documents.kinds import build_document
from app.documents.models import Document, DocumentAccess
from app.documents.render import render_pdf
from app.records.models import Patient


@dataclass(frozen=True)
class Issuer:
    """Who issues or reads a document: the CareTrail login (and its roles)."""

    username: str
    user_id: int | None = None
    roles: frozenset[str] = frozenset()

    @classmethod
    def of(cls, user) -> "Issuer":
        return cls(user.username, user.id, frozenset(role.name for role in user.roles))


def issue_document(session, *, patient_id: int, kind: str, fields: dict, issuer: Issuer, engine: str | None = None):
    """Build, render, sign (when configured) and archive one document; the
    caller commits.  DocumentInputError (field, message) for bad input,
    DocumentForbidden when the issuer may not issue this kind."""
    check_may_issue(issuer.roles, kind)
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise NotFound(f"No patient #{patient_id}.")
    if kind == "prescription":
        # One prescription, one document: printing it again gives the same bytes.
        already = _archived_prescription(session, patient.id, fields)
        if already is not None:
            return already
    engine = engine or current_app.config["PDF_ENGINE"]
    draft = build_document(session, kind=kind, patient=patient, fields=fields, issuer=issuer, engine=engine)
    rendered = render_pdf(draft.html, engine, wkhtmltopdf_path=current_app.config.get("WKHTMLTOPDF_PATH"))
    content, signed_by = signing.sign_if_configured(rendered.content, current_app.config)
    document = Document(
        patient_id=patient.id,
        kind=kind,
        title=draft.title,
        template_id=draft.template_id,
        template_version=draft.template_version,
        prescription_id=draft.prescription_id,
        hospitalisation_report_id=draft.hospitalisation_report_id,
        fields=draft.recorded_fields,
        issued_by_user_id=issuer.user_id,
        issued_by=issuer.username,
        engine=rendered.engine,
        page_count=rendered.page_count,
        size_bytes=len(content),
        sha256=hashlib.sha256(content).digest(),
        signed_by=signed_by,
        content=content,
    )
    session.add(document)
    session.flush()
    return document


def _archived_prescription(session, patient_id: int, fields: dict):
    prescription_id = fields.get("prescription_id") if isinstance(fields, dict) else None
    if not isinstance(prescription_id, int) or isinstance(prescription_id, bool):
        return None  # the builder explains what is wrong with it
    return session.scalar(
        sa.select(Document)
        .where(Document.prescription_id == prescription_id, Document.patient_id == patient_id)
        .order_by(Document.id)
        .limit(1)
    )


def open_document(session, document_id: int, *, action: str, issuer: Issuer, client_addr: str | None = None):
    """The archived document with its bytes, the access journaled (download or print)."""
    document = session.get(Document, document_id, options=[sa.orm.undefer(Document.content)])
    if document is None:
        raise NotFound(f"No document #{document_id}.")
    check_may_read(issuer.roles, document.kind)
    journal_access(session, document, action=action, issuer=issuer, client_addr=client_addr)
    return document


def journal_access(session, document, *, action: str, issuer: Issuer, client_addr: str | None = None) -> None:
    """One line of document_accesses: who downloaded, printed or verified the document."""
    session.add(
        DocumentAccess(
            document_id=document.id,
            action=action,
            user_id=issuer.user_id,
            username=issuer.username,
            client_addr=client_addr,
        )
    )
    session.flush()


def audited_sha256(session, document_id: int) -> str | None:
    """The SHA-256 (hex) the audit recorded when the document was inserted:
    the bytes are masked in the audit, the hash is not.  A second witness,
    out of reach of whoever rewrites a row and its hash together.  None when
    there is no such entry or this role may not read the audit."""
    try:
        with session.begin_nested():
            value = session.scalar(
                sa.text(
                    "SELECT new_row->>'sha256' FROM audit_log"
                    " WHERE table_name = 'public.documents' AND row_pk = :id AND operation = 'INSERT'"
                    " ORDER BY id LIMIT 1"
                ),
                {"id": str(document_id)},
            )
    except sa.exc.DBAPIError:
        return None
    return value.removeprefix("\\x") if value else None
