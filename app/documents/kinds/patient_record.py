"""The patient record sheet: identity, administrative data, allergies,
current prescriptions, the clinical summary (active problems, last vital
signs: app/clinical/summary.py; vaccinations given and due: app/care), upcoming and recent appointments, each part only
when the issuer's role may read it (app/security/roles.py: a secretary's
sheet has no blood group, no allergy and no treatment)."""

from datetime import date

from app.agenda.patient_appointments import patient_appointments
from app.care.rules import vaccination_record
from app.clinical.summary import clinical_summary
from app.core.ages import age_on
from app.documents.kinds.draft import Draft, no_other_fields, render_document_html
from app.prescribing.lists import patient_prescribing
from app.security.policy import READ, field_groups_of, may, readable_fields
from app.security.roles import ALLERGIES, PATIENTS, PRESCRIPTIONS, VACCINATIONS

# Enough for the sheet a doctor takes to a consultation; the screens list everything.
APPOINTMENTS_SHOWN = 50
# Documents are in French, like the forms they replace.
SEX_LABELS = {"F": "Féminin", "M": "Masculin", "X": "Non précisé"}
APPOINTMENT_STATUS_LABELS = {
    "scheduled": "Prévu",
    "confirmed": "Confirmé",
    "arrived": "Arrivé",
    "completed": "Terminé",
    "cancelled": "Annulé",
    "no_show": "Absent",
    "postponed": "Reporté",
}
# The appointment types migration 0007 ships (code, name): in French on the
# document; a type an administrator added or renamed prints its own name.
SHIPPED_TYPE_LABELS = {
    ("consultation", "Consultation"): "Consultation",
    ("follow_up", "Follow-up"): "Suivi",
    ("emergency", "Emergency"): "Urgence",
    ("imaging", "Imaging"): "Imagerie",
    ("procedure", "Procedure"): "Acte technique",
    ("teleconsultation", "Teleconsultation"): "Téléconsultation",
}
ALLERGY_SEVERITY_LABELS = {
    "unknown": "inconnue",
    "mild": "légère",
    "moderate": "modérée",
    "severe": "sévère",
    "anaphylaxis": "anaphylaxie",
}


def type_label(appointment_type) -> str:
    return SHIPPED_TYPE_LABELS.get((appointment_type.code, appointment_type.name), appointment_type.name)


def build(session, *, patient, fields, issuer, engine) -> Draft:
    no_other_fields(fields)
    title = f"Dossier patient — {patient.full_name}"
    shown = readable_fields(issuer, PATIENTS)
    show_treatments = may(issuer, READ, PRESCRIPTIONS)
    clinical = clinical_summary(session, issuer, patient.id)
    vaccinations = None  # (given, due), for the roles that read them (app/care)
    if may(issuer, READ, VACCINATIONS):
        vaccinations = vaccination_record(session, issuer, patient.id)
        clinical.shown.append(VACCINATIONS)
    html = render_document_html(
        "patient_record.html",
        session=session,
        title=title,
        engine=engine,
        patient=patient,
        sex_label=SEX_LABELS.get(patient.sex, patient.sex),
        status_labels=APPOINTMENT_STATUS_LABELS,
        severity_labels=ALLERGY_SEVERITY_LABELS,
        type_label=type_label,
        age=age_on(patient.birth_date, date.today()),
        shown=shown,
        show_contact=any(name in shown for name in ("phone", "email", "address", "city", "emergency_contact_name")),
        show_allergies=may(issuer, READ, ALLERGIES) and "allergies" in shown,
        show_treatments=show_treatments,
        prescribing=patient_prescribing(patient.id),
        appointments=patient_appointments(patient.id, limit=APPOINTMENTS_SHOWN),
        clinical=clinical,
        vaccinations=vaccinations,
    )
    # What the sheet shows, kept with it: a reader must be allowed as much
    # (app/documents/access.py, check_may_read_document).
    shows = {"groups": field_groups_of(issuer, PATIENTS), "treatments": show_treatments, "clinical": clinical.shown}
    return Draft(title=title, html=html, recorded_fields={"shows": shows})
