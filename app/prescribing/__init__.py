"""Prescribing: the drug reference (medications, interactions), patient
allergies, prescriptions (drafts, checks, signing, renewals, corrections)."""


def register(appbuilder) -> None:
    from app.prescribing import timeline  # noqa: F401  (registers its source of the patient timeline)
    from app.prescribing.api.drug_reference import DrugInteractionApi, MedicationApi, PatientAllergyApi
    from app.prescribing.api.prescriptions import PrescriptionApi
    from app.prescribing.views.drug_reference import (
        DrugInteractionView,
        MedicationLookupView,
        MedicationView,
        PatientAllergyView,
    )
    from app.prescribing.views.prescriptions import (
        PrescriptionView,
        RenewalsDueView,
        prescribing_on_patient_page,
        prescribing_page_reads,
    )
    from app.records.views import add_patient_section
    from app.security.roles import (
        DRUG_INTERACTIONS,
        MEDICATIONS,
        MENU_ITEMS,
        PRESCRIBING_MENU,
        PRESCRIPTIONS_MENU,
        RENEWALS_DUE_MENU,
    )

    appbuilder.add_view(
        PrescriptionView,
        PRESCRIPTIONS_MENU,
        icon="fa-prescription",
        category=PRESCRIBING_MENU,
        category_icon="fa-pills",
    )
    appbuilder.add_view(RenewalsDueView, RENEWALS_DUE_MENU, icon="fa-redo", category=PRESCRIBING_MENU)
    appbuilder.add_view(MedicationView, MENU_ITEMS[MEDICATIONS][0], icon="fa-capsules", category=PRESCRIBING_MENU)
    appbuilder.add_view(
        DrugInteractionView, MENU_ITEMS[DRUG_INTERACTIONS][0], icon="fa-exchange-alt", category=PRESCRIBING_MENU
    )
    appbuilder.add_view_no_menu(PatientAllergyView)
    appbuilder.add_view_no_menu(MedicationLookupView)
    appbuilder.add_api(PrescriptionApi)
    appbuilder.add_api(MedicationApi)
    appbuilder.add_api(DrugInteractionApi)
    appbuilder.add_api(PatientAllergyApi)
    add_patient_section(
        "prescribing", "pages/patient_prescribing.html", prescribing_on_patient_page, prescribing_page_reads
    )
