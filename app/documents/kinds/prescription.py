"""The ordonnance: letterhead, prescriber (name, specialty, RPPS), patient,
date, the lines, renewals, signature area.  When a line is for the
patient's long-term condition (ALD), the two-zone layout of the French
"ordonnance bizone": ALD lines above, the others below."""

from app.documents.errors import DocumentInputError
from app.documents.kinds.draft import Draft, no_other_fields, render_document_html, required_id
from app.prescribing.models import Prescription


def build(session, *, patient, fields, issuer, engine) -> Draft:
    no_other_fields(fields, ("prescription_id",))
    prescription_id = required_id(fields, "prescription_id")
    prescription = session.get(Prescription, prescription_id)
    if prescription is None or prescription.patient_id != patient.id:
        raise DocumentInputError("prescription_id", "No such prescription for this patient.")
    if prescription.status != "signed":
        raise DocumentInputError(
            "prescription_id", f"Only a signed prescription is printed (this one is {prescription.status})."
        )
    items = sorted(prescription.items, key=lambda item: item.position)
    ald_items = [item for item in items if item.is_ald]
    title = f"Ordonnance du {prescription.prescribed_on:%d/%m/%Y} — {patient.full_name}"
    html = render_document_html(
        "prescription.html",
        session=session,
        title=title,
        engine=engine,
        patient=patient,
        prescription=prescription,
        prescriber=prescription.prescriber,
        bizone=bool(ald_items),
        ald_items=ald_items,
        other_items=[item for item in items if not item.is_ald],
        items=items,
    )
    return Draft(
        title=title, html=html, prescription_id=prescription.id, recorded_fields={"prescription_id": prescription.id}
    )
