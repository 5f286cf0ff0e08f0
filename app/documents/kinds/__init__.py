"""What each kind of document is made from, and its HTML.

`build_document` checks the fields given for the kind, loads what the
document shows and renders its HTML template (templates/documents/); it
returns a Draft that app/documents/archive.py renders to PDF and archives.
Every builder is a plain function of (session, patient, fields, issuer).
"""

from app.documents.errors import DocumentInputError
from app.documents.kinds import audit_history, certificate, hospitalisation_report, patient_record, prescription
from app.documents.kinds.draft import Draft
from app.documents.models import DOCUMENT_KINDS

BUILDERS = {
    "patient_record": patient_record.build,
    "certificate": certificate.build,
    "prescription": prescription.build,
    "hospitalisation_report": hospitalisation_report.build,
    "audit_history": audit_history.build,
}
assert set(BUILDERS) == set(DOCUMENT_KINDS)


def build_document(session, *, kind: str, patient, fields: dict, issuer, engine: str) -> Draft:
    builder = BUILDERS.get(kind)
    if builder is None:
        raise DocumentInputError("kind", f"Unknown kind of document; expected one of: {', '.join(BUILDERS)}.")
    if not isinstance(fields, dict):
        raise DocumentInputError(None, "The document's fields must be an object.")
    return builder(session, patient=patient, fields=fields, issuer=issuer, engine=engine)


__all__ = ["BUILDERS", "Draft", "build_document"]
