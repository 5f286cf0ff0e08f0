"""Reminders of due vaccinations, by e-mail to the patient.

Once a day the worker plans them (`plan_due`): for every living patient,
each due or overdue step of the calendar gets one row in
vaccination_reminders per (patient, step, due day), the idempotency key,
and in the same transaction a job that sends it; a patient without e-mail
gets a 'skipped' row (logged by ids only).  Planning again plans nothing
more; a booster's next occurrence (ten years later) is a new due day, so a
new reminder.  The sending job looks again: a dose recorded since the
reminder was planned cancels it, nothing is sent.  SMTP down: retried.
The mail names the vaccine's disease and the age step: it goes to the
patient only, never to staff who may not read vaccinations.
"""

import logging
from datetime import date

import sqlalchemy as sa
from flask import current_app
from flask_mail import Message

from app.care.models import DISEASES, VaccinationReminder
from app.care.rules import calendar_steps, due_for_patient
from app.core.timezone import today as hospital_today
from app.jobs.registry import defer, in_flask_app, job
from app.records.models import Patient

log = logging.getLogger(__name__)

PLAN = sa.text(
    """
    INSERT INTO vaccination_reminders (patient_id, schedule_id, due_on, status)
    VALUES (:patient_id, :schedule_id, :due_on, :status)
    ON CONFLICT ON CONSTRAINT vaccination_reminders_once_key DO NOTHING
    RETURNING id
    """
)


def plan_due(session, today: date | None = None) -> tuple[int, int]:
    """Plan the reminders of what is due; (queued, skipped).  Commits."""
    today = today or hospital_today()
    steps = calendar_steps(session)
    queued = skipped = 0
    patients = session.scalars(
        sa.select(Patient).where(Patient.status != "deceased", Patient.merged_into_id.is_(None)).order_by(Patient.id)
    )
    for patient in patients:
        for due in due_for_patient(session, patient, steps, today):
            status = "queued" if (patient.email or "").strip() else "skipped"
            reminder_id = session.execute(
                PLAN,
                {"patient_id": patient.id, "schedule_id": due.step.id, "due_on": due.due_on, "status": status},
            ).scalar()
            if reminder_id is None:
                continue  # planned on an earlier day
            if status == "skipped":
                skipped += 1
                log.warning("vaccination reminder %s of patient %s skipped: no e-mail", reminder_id, patient.id)
            else:
                queued += 1
                defer(session, "vaccinations.remind", reminder_id=reminder_id)
    session.commit()
    return queued, skipped


# Daily at 07:15 UTC: a reminder is no emergency, and the morning mail is read.
@job("vaccinations.plan_reminders", queue="mail", cron="15 7 * * *", periodic_id="daily")
def plan_reminders(context, timestamp: int) -> tuple[int, int]:
    from app.core.extensions import db

    with in_flask_app(context):
        return plan_due(db.session)


@job("vaccinations.remind", queue="mail")
def send_reminder(context, reminder_id: int) -> str:
    """Send one reminder, unless it was sent, or the dose was given since."""
    from app.core.extensions import db, mail

    with in_flask_app(context):
        session = db.session
        reminder = session.scalar(
            sa.select(VaccinationReminder).where(VaccinationReminder.id == reminder_id).with_for_update()
        )
        if reminder is None or reminder.status != "queued":
            session.rollback()
            return "nothing to do"
        patient = session.get(Patient, reminder.patient_id)
        still_due = next(
            (
                due
                for due in due_for_patient(session, patient, calendar_steps(session), hospital_today())
                if due.step.id == reminder.schedule_id and due.due_on == reminder.due_on
            ),
            None,
        )
        if still_due is None or not (patient.email or "").strip():
            reminder.status = "cancelled"
            session.commit()
            return "cancelled"
        mail.send(reminder_message(patient, still_due))
        reminder.status = "sent"
        reminder.sent_at = sa.func.now()
        session.commit()
        return "sent"


def reminder_message(patient: Patient, due) -> Message:
    hospital = current_app.config.get("APP_NAME", "CareTrail")
    disease = DISEASES.get(due.step.disease, due.step.disease)
    body = (
        f"Bonjour {patient.first_name} {patient.last_name.upper()},\n\n"
        f"Selon le calendrier des vaccinations, une vaccination vous est recommandée : {due.step.label}"
        f" ({disease}), depuis le {due.due_on.strftime('%d/%m/%Y')}.\n"
        "Parlez-en à votre médecin ou à l'infirmier(ère) lors de votre prochaine visite.\n\n"
        f"{hospital}\n"
    )
    return Message(
        subject="Rappel : vaccination recommandée",
        recipients=[patient.email],
        body=body,
        extra_headers={"Auto-Submitted": "auto-generated"},
    )
