"""The clinical record: consultations (draft, signed, addenda) with ICD-10
diagnoses, the problem list and history, vital signs and their charts, and
the patient timeline's screen (app/core/timeline.py merges every domain's
sources)."""

from app.clinical import constraints  # noqa: F401  (the constraints' messages, for every door)


def register(appbuilder) -> None:
    from app.clinical import timeline  # noqa: F401  (registers the clinical kinds of the timeline)
    from app.clinical.api import ConsultationApi, Icd10Api, ObservationApi, ProblemApi
    from app.clinical.views import ClinicalRecordView, ConsultationView, clinical_on_patient_page, clinical_page_reads
    from app.records.views import add_patient_section
    from app.security.roles import CLINICAL_MENU, CONSULTATIONS_MENU

    appbuilder.add_view(
        ConsultationView,
        CONSULTATIONS_MENU,
        icon="fa-stethoscope",
        category=CLINICAL_MENU,
        category_icon="fa-notes-medical",
    )
    appbuilder.add_view_no_menu(ClinicalRecordView)
    appbuilder.add_api(ConsultationApi)
    appbuilder.add_api(ProblemApi)
    appbuilder.add_api(ObservationApi)
    appbuilder.add_api(Icd10Api)
    add_patient_section("clinical", "clinical/patient_section.html", clinical_on_patient_page, clinical_page_reads)
