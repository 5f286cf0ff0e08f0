"""The clinical record's screens: consultations (app/clinical/views/consultations.py),
the patient's timeline, problems and vital signs (app/clinical/views/record.py),
and the clinical section of the patient's page."""

from app.clinical.views.consultations import ConsultationView
from app.clinical.views.record import ClinicalRecordView, clinical_on_patient_page, clinical_page_reads

__all__ = ["ClinicalRecordView", "ConsultationView", "clinical_on_patient_page", "clinical_page_reads"]
