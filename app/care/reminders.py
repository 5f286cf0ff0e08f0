"""Reminders of due vaccinations, by e-mail to the patient.

Once a day the worker plans them (`plan_due`): for every living patient,
each due or overdue step of the calendar gets one row in
vaccination_reminders per (patient, step, due day), the idempotency key,
and in the same transaction one job that mails the patient those newly due; a patient without e-mail
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
    """Plan the reminders of what is due; (queued, skipped).  One mail job
    per patient for the steps newly due.  Commits."""
    today = today or hospital_today()
    steps = calendar_steps(session)
    queued = skipped = 0
    patients = session.scalars(
        sa.select(Patient).where(Patient.status != "deceased", Patient.merged_into_id.is_(None)).order_by(Patient.id)
    )
    for patient in patients:
        status = "queued" if (patient.email or "").strip() else "skipped"
        planned = []
        for due in due_for_patient(session, patient, steps, today):
            reminder_id = session.execute(
                PLAN,
                {"patient_id": patient.id, "schedule_id": due.step.id, "due_on": due.due_on, "status": status},
            ).scalar()
            if reminder_id is not None:  # else planned on an earlier day
                planned.append(reminder_id)
        if not planned:
            continue
        if status == "skipped":
            skipped += len(planned)
            log.warning("%d vaccination reminder(s) of patient %s skipped: no e-mail", len(planned), patient.id)
        else:
            queued += len(planned)
            defer(session, "vaccinations.remind", reminder_ids=planned)
    session.commit()
    return queued, skipped


# Daily at 07:15 UTC: a reminder is no emergency, and the morning mail is read.
@job("vaccinations.plan_reminders", queue="mail", cron="15 7 * * *", periodic_id="daily")
def plan_reminders(context, timestamp: int) -> tuple[int, int]:
    from app.core.extensions import db

    with in_flask_app(context):
        return plan_due(db.session)


@job("vaccinations.remind", queue="mail")
def send_reminder(context, reminder_ids: list[int]) -> str:
    """Send a patient their reminders still queued and still due; the others
    (a dose given since) are cancelled.  Retried while SMTP is down."""
    from app.core.extensions import db, mail

    with in_flask_app(context):
        session = db.session
        reminders = session.scalars(
            sa.select(VaccinationReminder)
            .where(VaccinationReminder.id.in_(reminder_ids), VaccinationReminder.status == "queued")
            .order_by(VaccinationReminder.id)
            .with_for_update()
        ).all()
        if not reminders:
            session.rollback()
            return "nothing to do"
        patient = session.get(Patient, reminders[0].patient_id)
        due_now = {
            (due.step.id, due.due_on): due
            for due in due_for_patient(session, patient, calendar_steps(session), hospital_today())
        }
        still_due = []
        for reminder in reminders:
            due = due_now.get((reminder.schedule_id, reminder.due_on))
            if due is None or not (patient.email or "").strip():
                reminder.status = "cancelled"
            else:
                still_due.append((reminder, due))
        if still_due:
            mail.send(reminder_message(patient, [due for _, due in still_due]))
            for reminder, _ in still_due:
                reminder.status = "sent"
                reminder.sent_at = sa.func.now()
        session.commit()
        return f"{len(still_due)} sent"


def reminder_message(patient: Patient, dues: list) -> Message:
    hospital = current_app.config.get("APP_NAME", "CareTrail")
    lines = "\n".join(
        f"- {due.step.label} ({DISEASES.get(due.step.disease, due.step.disease)}),"
        f" depuis le {due.due_on.strftime('%d/%m/%Y')}"
        for due in dues
    )
    body = (
        f"Bonjour {patient.first_name} {patient.last_name.upper()},\n\n"
        "Selon le calendrier des vaccinations, les vaccinations suivantes vous sont recommandées :\n"
        f"{lines}\n\n"
        "Parlez-en à votre médecin ou à l'infirmier(ère) lors de votre prochaine visite.\n\n"
        f"{hospital}\n"
    )
    return Message(
        subject="Rappel : vaccination recommandée",
        recipients=[patient.email],
        body=body,
        extra_headers={"Auto-Submitted": "auto-generated"},
    )
