"""A patient's audit history, readable: every change to the patient's row
and to the rows that belong to the patient, who made it, when, and each
field from its old to its new value (masked values stay masked, and the
values of the patient's fields the issuer's role may not read are hidden)."""

from app.audit.search import HIDDEN, MASKED, AuditFilters, hide_unreadable, iter_entries, show_value
from app.documents.kinds.draft import Draft, no_other_fields, render_document_html

# A history longer than this is exported from the audit screens (CSV, JSON).
ENTRIES_SHOWN = 2000
OPERATION_LABELS = {"INSERT": "Création", "UPDATE": "Modification", "DELETE": "Suppression", "TRUNCATE": "Vidage"}
# The document is in French: the tables and columns people meet, named in French (others as stored).
TABLE_LABELS = {
    "patients": "patient",
    "patient_allergies": "allergie",
    "prescriptions": "ordonnance",
    "prescription_items": "ligne d'ordonnance",
    "appointments": "rendez-vous",
    "documents": "document",
    "document_accesses": "accès à un document",
    "hospitalisation_reports": "compte rendu d'hospitalisation",
}
FIELD_LABELS = {
    "last_name": "nom",
    "first_name": "prénom",
    "birth_name": "nom de naissance",
    "birth_date": "date de naissance",
    "sex": "sexe",
    "nir": "n° de sécurité sociale",
    "mrn": "n° de dossier",
    "address": "adresse",
    "postal_code": "code postal",
    "city": "ville",
    "phone": "téléphone",
    "email": "e-mail",
    "blood_group": "groupe sanguin",
    "allergies": "allergies (texte libre)",
    "notes": "notes",
    "emergency_contact_name": "personne à prévenir",
    "emergency_contact_phone": "téléphone de la personne à prévenir",
    "status": "statut",
    "substance": "substance",
    "atc_code": "classe ATC",
    "reaction": "réaction",
    "severity": "sévérité",
    "description": "description",
    "starts_at": "début",
    "duration_minutes": "durée (minutes)",
    "created_at": "créé le",
    "updated_at": "modifié le",
    "deceased_on": "date de décès",
    "merged_into_id": "fusionné dans le dossier",
    "version": "version",
}
# The audit's markers, in the document's language: a masked secret, and a
# value the issuer's role may not read (issue 18's field groups).
FRENCH_MARKERS = {MASKED: "[masqué]", HIDDEN: "[non visible pour votre rôle]"}


def show_value_in_french(value) -> str:
    if isinstance(value, str) and value in FRENCH_MARKERS:
        return FRENCH_MARKERS[value]
    return show_value(value)


def who(entry) -> str:
    """The CareTrail user, else the database role (in French)."""
    return entry.app_username or f"{entry.db_user} (base de données)"


def build(session, *, patient, fields, issuer, engine) -> Draft:
    no_other_fields(fields)
    entries = []
    for entry in hide_unreadable(iter_entries(AuditFilters(patient=patient.id)), issuer):
        if len(entries) == ENTRIES_SHOWN:
            break
        entries.append(entry)
    title = f"Historique d'audit — {patient.full_name}"
    html = render_document_html(
        "audit_history.html",
        session=session,
        title=title,
        engine=engine,
        patient=patient,
        entries=entries,
        truncated=len(entries) == ENTRIES_SHOWN,
        operation_labels=OPERATION_LABELS,
        table_labels=TABLE_LABELS,
        field_labels=FIELD_LABELS,
        who=who,
        show_value=show_value_in_french,
    )
    return Draft(title=title, html=html)
