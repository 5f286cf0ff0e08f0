"""What the clinical record's constraints (migration 0091) mean, in words,
added to the one table of constraint messages (app/core/db_errors.py)."""

from app.core.db_errors import CONSTRAINT_MESSAGES

SIGNED = "A signed consultation cannot be changed or deleted; add an addendum to it."

CLINICAL_CONSTRAINT_MESSAGES: dict[str, tuple[str | None, str]] = {
    # consultations
    "consultations_patient_id_fkey": ("patient_id", "No such patient (and a patient with consultations is kept)."),
    "consultations_clinician_id_fkey": ("clinician_id", "No such clinician (staff with consultations is kept)."),
    "consultations_appointment_id_fkey": ("appointment_id", "No such appointment."),
    "consultations_signed_by_id_fkey": ("signed_by_id", "No such user."),
    "consultations_appointment_key": ("appointment_id", "This appointment already has its consultation."),
    "consultations_status_check": ("status", "Status: draft or signed."),
    "consultations_signed_check": ("status", "A signed consultation carries the time it was signed."),
    "consultations_reason_required": ("reason", "Give the reason for the consultation before signing it."),
    "consultations_reason_length": ("reason", "The reason has 1 to 2,000 characters."),
    "consultations_history_length": ("history", "At most 20,000 characters."),
    "consultations_examination_length": ("examination", "At most 20,000 characters."),
    "consultations_conclusion_length": ("conclusion", "At most 20,000 characters."),
    "consultations_plan_length": ("plan", "At most 20,000 characters."),
    "consultations_signed_immutable": (None, SIGNED),
    "consultations_starts_as_draft": ("status", "A consultation starts as a draft."),
    "consultations_appointment_patient_check": ("appointment_id", "This appointment is another patient's."),
    # addenda
    "consultation_addenda_consultation_id_fkey": ("consultation_id", "No such consultation."),
    "consultation_addenda_author_id_fkey": ("author_id", "No such clinician."),
    "consultation_addenda_body_length": ("body", "Write the addendum (10,000 characters at most)."),
    "consultation_addenda_immutable": (None, "An addendum is never changed nor deleted; add another one."),
    "consultation_addenda_signed_only": ("consultation_id", "Only a signed consultation takes an addendum."),
    # diagnoses
    "consultation_diagnoses_consultation_id_fkey": ("consultation_id", "No such consultation."),
    "consultation_diagnoses_code_key": ("diagnoses", "This code is already a diagnosis of the consultation."),
    "consultation_diagnoses_icd10_code_check": ("icd10_code", "An ICD-10 code looks like J45 or J45.0."),
    "consultation_diagnoses_label_check": ("label", "The diagnosis needs its label."),
    "consultation_diagnoses_rank_check": ("rank", "Rank: principal or secondary."),
    "consultation_diagnoses_one_principal": ("diagnoses", "A consultation has one principal diagnosis at most."),
    "consultation_diagnoses_signed_immutable": ("diagnoses", SIGNED),
    # problems and history
    "patient_problems_patient_id_fkey": ("patient_id", "No such patient."),
    "patient_problems_source_diagnosis_id_fkey": ("source_diagnosis_id", "No such diagnosis."),
    "patient_problems_recorded_by_id_fkey": ("recorded_by_id", "No such user."),
    "patient_problems_category_check": (
        "category",
        "Category: problem, medical_history, surgical_history or family_history.",
    ),
    "patient_problems_icd10_code_check": ("icd10_code", "An ICD-10 code looks like J45 or J45.0."),
    "patient_problems_label_check": ("label", "Describe the problem."),
    "patient_problems_status_check": ("status", "Status: active or resolved."),
    "patient_problems_resolved_check": ("resolved_on", "Only a resolved problem has a resolution date."),
    "patient_problems_dates_check": ("resolved_on", "A problem is resolved after its onset (and began after 1880)."),
    "patient_problems_relative_check": ("relative", "The relative is said for family history only."),
    "patient_problems_notes_length": ("notes", "At most 2,000 characters."),
    "patient_problems_active_code_key": ("icd10_code", "This code is already an active problem of the patient."),
    # observations
    "observations_patient_id_fkey": ("patient_id", "No such patient."),
    "observations_recorded_by_id_fkey": ("recorded_by_id", "No such user."),
    "observations_kind_check": (
        "kind",
        "Kind: temperature, pulse, blood_pressure, respiratory_rate, spo2, weight, height, pain_score or glycaemia.",
    ),
    "observations_unit_check": ("unit", "The unit is fixed by the kind (°C, /min, mmHg, %, kg, cm, /10, g/L)."),
    "observations_note_check": ("note", "The note may not be blank."),
    "observations_measured_at_check": ("measured_at", "An observation is not measured in the future."),
    "observations_temperature_bounds": ("value", "Temperature: 25 to 45 °C."),
    "observations_pulse_bounds": ("value", "Pulse: 20 to 250 per minute."),
    "observations_blood_pressure_bounds": ("value", "Systolic pressure: 40 to 300 mmHg."),
    "observations_diastolic_bounds": (
        "diastolic",
        "Diastolic pressure: 20 to 200 mmHg, given with (and only with) a blood pressure.",
    ),
    "observations_diastolic_below_systolic": ("diastolic", "The diastolic pressure is below the systolic."),
    "observations_respiratory_rate_bounds": ("value", "Respiratory rate: 4 to 80 per minute."),
    "observations_spo2_bounds": ("value", "SpO2: 50 to 100 %."),
    "observations_weight_bounds": ("value", "Weight: 0.3 to 400 kg."),
    "observations_height_bounds": ("value", "Height: 20 to 250 cm."),
    "observations_pain_score_bounds": ("value", "Pain score: a whole number from 0 to 10."),
    "observations_glycaemia_bounds": ("value", "Glycaemia: 0.1 to 10 g/L."),
}
CONSTRAINT_MESSAGES.update(CLINICAL_CONSTRAINT_MESSAGES)
