"""What the care tables' constraints mean, in plain words (merged into
app/core/db_errors.py's table at import, so every door answers them)."""

from app.core.db_errors import CONSTRAINT_MESSAGES

CONSTRAINT_MESSAGES.update(
    {
        # vaccine reference and calendar
        "vaccines_code_key": ("code", "This vaccine code is already used."),
        "vaccines_code_check": ("code", "Code: capital letters, digits, _ and -, 20 characters at most."),
        "vaccines_name_check": ("name", "The vaccine's name is required (no leading or trailing spaces)."),
        "vaccines_diseases_check": ("diseases", "Name at least one disease, from the known list."),
        "vaccination_schedule_code_key": ("code", "This calendar code is already used."),
        "vaccination_schedule_code_check": ("code", "Code: lower-case letters, digits, _ and -."),
        "vaccination_schedule_disease_check": ("disease", "Unknown disease."),
        "vaccination_schedule_label_check": ("label", "The label is required."),
        "vaccination_schedule_due_age_check": ("due_age_months", "The age is between 0 and 1800 months."),
        "vaccination_schedule_until_check": ("until_age_months", "The last age comes after the due age."),
        "vaccination_schedule_repeat_check": ("repeat_every_months", "Repeat every 1 to 600 months."),
        "vaccination_schedule_tolerance_check": ("tolerance_months", "A tolerance of 0 to 120 months."),
        "vaccination_schedule_overdue_check": ("overdue_after_months", "Overdue after 0 to 120 months."),
        # vaccinations
        "vaccinations_patient_id_fkey": ("patient_id", "No such patient."),
        "vaccinations_vaccine_id_fkey": ("vaccine_id", "No such vaccine (and a vaccine given is kept)."),
        "vaccinations_dose_number_check": ("dose_number", "The dose number is between 1 and 20."),
        "vaccinations_given_on_check": ("given_on", "A vaccination is recorded once given (today or earlier)."),
        "vaccinations_lot_number_check": ("lot_number", "The lot number is required (traceability)."),
        "vaccinations_site_check": ("site", "Unknown injection site."),
        "vaccinations_notes_length": ("notes", "At most 500 characters."),
        "vaccination_reminders_once_key": (None, "This reminder is already planned."),
        # care tasks
        "care_tasks_patient_id_fkey": ("patient_id", "No such patient."),
        "care_tasks_prescription_item_id_fkey": ("prescription_item_id", "No such prescription line."),
        "care_tasks_description_check": ("description", "Say what is to be done."),
        "care_tasks_every_hours_check": ("every_hours", "Every 1 to 168 hours (or once)."),
        "care_tasks_ends_at_check": ("ends_at", "The care ends after it starts."),
        "care_tasks_status_check": ("status", "A care task is active or stopped."),
        "care_task_checks_once_key": ("due_at", "This occurrence is already checked off."),
        "care_task_checks_planned": ("due_at", "This care task plans nothing at that time."),
        "care_task_checks_task_active": ("care_task_id", "This care task is stopped."),
        "care_task_checks_recorded": (None, "A check-off is never changed."),
        "care_task_checks_done_at_check": ("done_at", "A check-off is not in the future."),
        "care_task_checks_note_length": ("note", "At most 500 characters."),
        # medication administration record
        "medication_administrations_status_check": ("status", "The outcome is given, refused or held."),
        "medication_administrations_reason_check": ("reason", "Say why the dose was refused or held."),
        "medication_administrations_reason_length": ("reason", "At most 500 characters."),
        "medication_administrations_note_length": ("note", "At most 500 characters."),
        "medication_administrations_window_check": ("planned_at", "The dose's window holds its planned time."),
        "medication_administrations_slot_key": ("planned_at", "This planned dose already has an outcome recorded."),
        "medication_administrations_given_once": ("planned_at", "This dose was already given within its window."),
        "medication_administrations_recorded": (None, "A recorded dose is never changed."),
        "medication_administrations_patient_check": ("prescription_item_id", "This line is another patient's."),
        "medication_administrations_in_force": ("prescription_item_id", "This line is not in force that day."),
        "medication_administrations_prescription_item_id_fkey": ("prescription_item_id", "No such prescription line."),
        "medication_administrations_patient_id_fkey": ("patient_id", "No such patient."),
        "medication_administrations_recorded_by_id_fkey": ("recorded_by_id", "No such user."),
        "care_task_checks_care_task_id_fkey": ("care_task_id", "No such care task."),
        "care_task_checks_done_by_id_fkey": ("done_by_id", "No such user."),
        "care_tasks_planned_by_id_fkey": ("planned_by_id", "No such user."),
        "vaccinations_given_by_id_fkey": ("given_by_id", "No such user."),
        "vaccination_reminders_patient_id_fkey": ("patient_id", "No such patient."),
        "vaccination_reminders_schedule_id_fkey": ("schedule_id", "No such calendar step."),
        "vaccination_reminders_status_check": ("status", "A reminder is queued, sent, skipped or cancelled."),
        "vaccination_reminders_sent_check": ("sent_at", "A sent reminder says when, and only it does."),
    }
)
