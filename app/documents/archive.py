"""Issue a document (build, render, sign, archive) and read it back (journaled).

Every document issued is archived: its bytes, their SHA-256 and size (the
database checks both), who issued it, when, with which engine and from
which template version.  Re-downloading returns the very same bytes.  These
are the documents' rules: they refuse what the actor may not issue or read
(app/documents/access.py) and commit; every door goes through them.
"""

import hashlib

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm.attributes import set_committed_value

from app.core.actor import Actor
from app.core.errors import NotFound
from app.core.rules import commit
from app.documents import signing
from app.documents.access import check_may_issue, check_may_read, check_may_read_document
from app.documents.kinds import build_document
from app.documents.models import Document, DocumentAccess
from app.documents.render import render_pdf
from app.records.models import Patient
from app.security.glass import widened_for
from app.security.journal import journal_patient_read


def issue_document(session, actor: Actor, *, patient_id: int, kind: str, fields: dict, engine: str | None = None):
    """Build, render, sign (when configured) and archive one document, and
    commit.  DocumentInputError (field, message) for bad input, Forbidden
    when the actor may not issue this kind, RenderingFailed (503) when the
    engine or the signature fails: then nothing is archived."""
    check_may_issue(actor, kind)
    try:
        return _issue(session, actor, patient_id, kind, fields, engine)
    except Exception:
        session.rollback()
        raise


def _issue(session, actor: Actor, patient_id: int, kind: str, fields: dict, engine: str | None):
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise NotFound(f"No patient #{patient_id}.")
    if kind == "prescription":
        # One prescription, one document: printing it again gives the same bytes.
        already = _archived_prescription(session, patient.id, fields)
        if already is not None:
            return already
    engine = engine or current_app.config["PDF_ENGINE"]
    draft = build_document(session, kind=kind, patient=patient, fields=fields, issuer=actor, engine=engine)
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
        issued_by_user_id=actor.user_id,
        issued_by=actor.username,
        engine=rendered.engine,
        page_count=rendered.page_count,
        size_bytes=len(content),
        sha256=hashlib.sha256(content).digest(),
        signed_by=signed_by,
        content=content,
    )
    session.add(document)
    commit(session)
    # A document shows the record: its issue is a read of it (journal of reads).
    journal_patient_read(session, actor, patient.id, "history" if kind == "audit_history" else "print", door="document")
    return document


# A download is an export of the record, an inline opening its print.
DOCUMENT_READS = {"download": "export", "print": "print"}


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


def open_document(session, actor: Actor, document_id: int, *, action: str, client_addr: str | None = None):
    """The archived document with its bytes, the access journaled (download
    or print) and committed."""
    document = session.get(Document, document_id, options=[sa.orm.undefer(Document.content)])
    if document is None:
        raise NotFound(f"No document #{document_id}.")
    # A break-the-glass grant on the document's patient lends its reading (app/security/glass.py).
    actor = widened_for(session, actor, document.patient_id)
    check_may_read_document(actor, document)
    content = document.content
    journal_access(session, actor, document, action=action, client_addr=client_addr)
    if action in DOCUMENT_READS:
        journal_patient_read(session, actor, document.patient_id, DOCUMENT_READS[action], door="document")
    # The commit expired the row: keep the bytes read, rather than fetch them again.
    set_committed_value(document, "content", content)
    return document


def document_with_journal(session, actor: Actor, document_id: int) -> tuple[Document, list[DocumentAccess]]:
    """A document's metadata (not its bytes) and who downloaded, printed or verified it, oldest first."""
    document = session.get(Document, document_id)
    if document is None:
        raise NotFound(f"No document #{document_id}.")
    check_may_read(actor, document.kind)
    accesses = session.scalars(
        sa.select(DocumentAccess)
        .where(DocumentAccess.document_id == document_id)
        .order_by(DocumentAccess.accessed_at, DocumentAccess.id)
    ).all()
    return document, list(accesses)


def journal_access(session, actor: Actor, document, *, action: str, client_addr: str | None = None) -> None:
    """One line of document_accesses, committed: who downloaded, printed or verified the document."""
    session.add(
        DocumentAccess(
            document_id=document.id,
            action=action,
            user_id=actor.user_id,
            username=actor.username,
            client_addr=client_addr,
        )
    )
    commit(session)


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


def verify_archived(session, actor: Actor, document_id: int, config) -> tuple[Document, bool, list[str]]:
    """Check an archived document's bytes against its SHA-256, the SHA-256 the
    audit recorded at issue, and its signature when signed; journaled as a
    'verify'.  Returns the document, whether all holds, and the report's lines."""
    document = session.get(Document, document_id, options=[sa.orm.undefer(Document.content)])
    if document is None:
        raise NotFound(f"No document #{document_id}.")
    check_may_read(actor, document.kind)
    result = signing.verify_document_bytes(
        document.content, document.sha256, config, expect_signature=document.signed_by is not None
    )
    audited = audited_sha256(session, document.id)
    journal_access(session, actor, document, action="verify")
    lines = result.report()
    if audited is None:
        lines.insert(1, "SHA-256 at issue (audit): not found in the audit log")
    elif audited == result.actual_sha256:
        lines.insert(1, "SHA-256 at issue (audit): matches")
    else:
        lines.insert(1, f"SHA-256 at issue (audit): DIFFERS, the audit recorded {audited}")
    ok = result.ok and audited in (None, result.actual_sha256)
    if not ok:
        lines[-1] = "FAILED: the document is not as issued."
    return document, ok, lines
