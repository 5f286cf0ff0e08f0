"""A medical certificate: an administrator's template (sandboxed Jinja,
app/documents/certificates.py) filled with the patient, the issuing doctor
and the free fields the doctor types in.  Only a doctor issues one: it is
that doctor's word."""

from datetime import date

import sqlalchemy as sa

from app.core.ages import age_on
from app.core.errors import Forbidden
from app.documents.certificates import clean_values, display_values, render_certificate_body, validate_fields_definition
from app.documents.errors import DocumentInputError, TemplateError
from app.documents.kinds.draft import Draft, Letterhead, french_date, no_other_fields, render_document_html, required_id
from app.documents.models import CertificateTemplate
from app.records.models import Staff

CIVILITIES = {"F": "Madame", "M": "Monsieur"}


def issuing_doctor(session, issuer) -> Staff:
    doctor = None
    if issuer.user_id is not None:
        doctor = session.scalar(
            sa.select(Staff).where(Staff.user_id == issuer.user_id, Staff.profession == "doctor", Staff.is_active)
        )
    if doctor is None:
        raise Forbidden("Only a doctor (an active doctor linked to your login) issues a medical certificate.")
    return doctor


def certificate_context(patient, doctor: Staff, letterhead: Letterhead, values: dict[str, str]) -> dict:
    """The documented fields, as plain values: all a template can see."""
    today = date.today()
    return {
        "patient": {
            "last_name": patient.last_name.upper(),
            "first_name": patient.first_name,
            "birth_name": (patient.birth_name or "").upper(),
            "birth_date": french_date(patient.birth_date),
            "age": age_on(patient.birth_date, today),
            "sex": patient.sex,
            "civility": CIVILITIES.get(patient.sex, ""),
            "mrn": patient.mrn,
        },
        "doctor": {
            "name": doctor.display_name,
            "first_name": doctor.first_name,
            "last_name": doctor.last_name.upper(),
            "specialty": doctor.specialty or "",
            "rpps": doctor.rpps or "",
        },
        "hospital": {
            "name": letterhead.name,
            "address": letterhead.address or "",
            "phone": letterhead.phone or "",
            "finess": letterhead.finess or "",
        },
        "today": french_date(today),
        "values": values,
    }


def build(session, *, patient, fields, issuer, engine) -> Draft:
    no_other_fields(fields, ("template_id", "values"))
    template_id = required_id(fields, "template_id")
    template = session.get(CertificateTemplate, template_id)
    if template is None or not template.is_active:
        raise DocumentInputError("template_id", "No such certificate template in use.")
    doctor = issuing_doctor(session, issuer)
    try:
        definition = validate_fields_definition(template.fields)
    except DocumentInputError:
        raise DocumentInputError(
            "template_id", "This certificate template is broken (its fields); ask an administrator to fix it."
        ) from None
    values = clean_values(definition, fields.get("values"))
    letterhead = Letterhead.load(session)
    context = certificate_context(patient, doctor, letterhead, display_values(definition, values))
    try:
        text = render_certificate_body(template.body, context)
    except TemplateError as error:
        # The doctor cannot fix the template: say so, and who can.
        raise DocumentInputError(
            "template_id",
            f"This certificate template does not render ({error.message}); ask an administrator to fix it.",
        ) from None
    title = f"{template.title} — {patient.full_name}"
    html = render_document_html(
        "certificate.html", session=session, title=title, engine=engine, certificate=template, text=text, doctor=doctor
    )
    return Draft(
        title=title,
        html=html,
        template_id=template.id,
        template_version=template.version,
        recorded_fields={"template_id": template.id, "values": values},
    )
