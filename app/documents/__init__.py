"""PDF documents: built from the records (kinds), rendered by one function
(render), archived immutably (archive), optionally signed (signing).

    document = issue_document(session, patient_id=7, kind="prescription",
                              fields={"prescription_id": 12}, actor=actor)

The database keeps the rules (sql/versions/0010_documents.py): a document
is never changed, its bytes match their SHA-256.
"""


def register(appbuilder) -> None:
    from app.documents import timeline  # noqa: F401  (registers its source of the patient timeline)

    """The archive, issuing from the patient's page, certificate templates,
    hospitalisation reports, the letterhead; their REST API."""
    from app.documents.api import DocumentApi, PatientDocumentApi
    from app.documents.views.archive import DocumentView
    from app.documents.views.issue import DocumentIssueView, documents_on_patient_page, documents_page_reads
    from app.documents.views.reports import HospitalisationReportView
    from app.documents.views.settings import HospitalSettingsView
    from app.documents.views.templates import CertificateTemplateView
    from app.records.views import add_patient_section
    from app.security.roles import (
        CERTIFICATE_TEMPLATES,
        DOCUMENTS_CATEGORY,
        DOCUMENTS_MENU,
        HOSPITAL_SETTINGS,
        HOSPITALISATION_REPORTS,
        MENU_CATEGORIES,
        MENU_ITEMS,
    )

    appbuilder.add_view(
        DocumentView, DOCUMENTS_MENU, icon="fa-file-pdf", category=DOCUMENTS_CATEGORY, category_icon="fa-file-alt"
    )
    appbuilder.add_view(
        HospitalisationReportView,
        MENU_ITEMS[HOSPITALISATION_REPORTS][0],
        icon="fa-file-medical",
        category=DOCUMENTS_CATEGORY,
    )
    appbuilder.add_view(
        CertificateTemplateView,
        MENU_ITEMS[CERTIFICATE_TEMPLATES][0],
        icon="fa-file-signature",
        category=DOCUMENTS_CATEGORY,
    )
    appbuilder.add_view(
        HospitalSettingsView,
        MENU_ITEMS[HOSPITAL_SETTINGS][0],
        icon="fa-hospital",
        category=MENU_CATEGORIES[HOSPITAL_SETTINGS],
        category_icon="fa-cog",
    )
    appbuilder.add_view_no_menu(DocumentIssueView)
    appbuilder.add_api(PatientDocumentApi)
    appbuilder.add_api(DocumentApi)
    add_patient_section("documents", "pages/document_patient.html", documents_on_patient_page, documents_page_reads)
