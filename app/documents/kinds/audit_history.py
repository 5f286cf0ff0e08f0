"""A patient's audit history, readable: every change to the patient's row
and to the rows that belong to the patient, who made it, when, and each
field from its old to its new value (masked values stay masked, and the
values of the patient's fields the issuer's role may not read are hidden)."""

from app.audit.search import AuditFilters, hide_unreadable, iter_entries, show_value
from app.documents.kinds.draft import Draft, no_other_fields, render_document_html

# A history longer than this is exported from the audit screens (CSV, JSON).
ENTRIES_SHOWN = 2000
OPERATION_LABELS = {"INSERT": "Création", "UPDATE": "Modification", "DELETE": "Suppression", "TRUNCATE": "Vidage"}


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
        show_value=show_value,
    )
    return Draft(title=title, html=html)
