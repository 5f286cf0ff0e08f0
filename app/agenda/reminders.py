"""Appointment reminders by e-mail, with the appointment as an .ics file.

Every minute the worker plans the reminders that fell due (`plan_due`): an
appointment still scheduled or confirmed, starting within the offset
(`REMINDER_OFFSETS_HOURS`, 24 h by default), gets one row in
appointment_reminders per offset and start time (the idempotency key), and
in the same transaction a job that sends it.  A patient without e-mail is
marked skipped and logged (by ids only), and never stops the others.  The
sending job checks the appointment again: cancelled, or moved to another
time, the reminder is marked cancelled and nothing is sent (the new time
gets its own reminder when it falls due).  SMTP down: the job is retried.

With "sms" in REMINDER_CHANNELS, patients with a phone number also get an
SMS, through the pluggable sender of app/agenda/sms.py (a logging one by
default: no gateway here), planned and sent once the same way.
"""

import logging
from datetime import timedelta

from flask import current_app
from flask_mail import Message
from icalendar import Calendar, Event
from sqlalchemy import text

from app.core.timezone import hospital_zone
from app.jobs.registry import defer, in_flask_app, job

log = logging.getLogger(__name__)

ACTIVE = ("scheduled", "confirmed")

PLAN_DUE = text(
    """
    INSERT INTO appointment_reminders (appointment_id, offset_minutes, starts_at, channel, status)
    SELECT a.id, :offset, a.starts_at, CAST(:channel AS varchar),
           CASE WHEN coalesce(CASE CAST(:channel AS varchar) WHEN 'sms' THEN p.phone ELSE p.email END, '') = ''
                THEN 'skipped'
                -- An address with non-ASCII characters needs SMTPUTF8, which
                -- Flask-Mail cannot send: skipped (logged), not retried for ever.
                WHEN CAST(:channel AS varchar) = 'email' AND octet_length(p.email) <> char_length(p.email)
                THEN 'skipped'
                ELSE 'queued' END
      FROM appointments a JOIN patients p ON p.id = a.patient_id
     WHERE a.status IN ('scheduled', 'confirmed')
       AND a.starts_at > now() AND a.starts_at - make_interval(mins => :offset) <= now()
    ON CONFLICT ON CONSTRAINT appointment_reminders_once_key DO NOTHING
    RETURNING id, appointment_id, status
    """
)


def offsets_minutes(config) -> list[int]:
    raw = str(config.get("REMINDER_OFFSETS_HOURS", "24"))
    return sorted({int(float(hours) * 60) for hours in raw.replace(";", ",").split(",") if hours.strip()})


def channels(config) -> list[str]:
    wanted = {c.strip() for c in str(config.get("REMINDER_CHANNELS", "email")).split(",") if c.strip()}
    return [c for c in ("email", "sms") if c in wanted]


def plan_due(session, config) -> tuple[int, int]:
    """Plan what fell due; (queued, skipped).  Commits."""
    queued = skipped = 0
    for channel in channels(config):
        for offset in offsets_minutes(config):
            planned = session.execute(PLAN_DUE, {"offset": offset, "channel": channel}).all()
            for reminder_id, appointment_id, status in planned:
                if status == "skipped":
                    skipped += 1
                    log.warning(
                        "%s reminder %s of appointment %s skipped: the patient has no address it can go to"
                        " (none, or an e-mail address with non-ASCII characters)",
                        channel,
                        reminder_id,
                        appointment_id,
                    )
                else:
                    queued += 1
                    defer(session, "reminders.send", reminder_id=reminder_id)
    session.commit()
    return queued, skipped


@job("reminders.plan", queue="mail", cron="* * * * *", periodic_id="every-minute")
def plan_reminders(context, timestamp: int) -> tuple[int, int]:
    from app.core.extensions import db

    with in_flask_app(context) as flask_app:
        return plan_due(db.session, flask_app.config)


REMINDER_SQL = text(
    """
    SELECT r.id, r.status, r.channel, r.starts_at AS planned_for, a.id AS appointment_id, p.phone,
           a.status AS appointment_status,
           a.starts_at, a.ends_at, p.email, p.first_name, p.last_name,
           s.last_name AS doctor_last_name, s.first_name AS doctor_first_name, rm.name AS room_name, t.name AS type_name
      FROM appointment_reminders r
      JOIN appointments a ON a.id = r.appointment_id
      JOIN patients p ON p.id = a.patient_id
      JOIN staff s ON s.id = a.doctor_id
      JOIN appointment_types t ON t.id = a.type_id
      LEFT JOIN rooms rm ON rm.id = a.room_id
     WHERE r.id = :id
       FOR UPDATE OF r
    """
)


CANCEL = text("UPDATE appointment_reminders SET status = 'cancelled' WHERE id = :id")
SKIP = text("UPDATE appointment_reminders SET status = 'skipped' WHERE id = :id")


@job("reminders.send", queue="mail")
def send_reminder(context, reminder_id: int) -> str:
    """Send one reminder, unless it was sent, or its appointment cancelled or moved."""
    from app.core.extensions import db, mail

    with in_flask_app(context):
        row = db.session.execute(REMINDER_SQL, {"id": reminder_id}).first()
        if row is None or row.status != "queued":
            db.session.rollback()
            return "nothing to do"
        address = row.phone if row.channel == "sms" else row.email
        if row.appointment_status not in ACTIVE or row.starts_at != row.planned_for or not address:
            db.session.execute(CANCEL, {"id": row.id})
            db.session.commit()
            return "cancelled"
        if row.channel == "email" and not row.email.isascii():  # changed since it was planned: see PLAN_DUE
            db.session.execute(SKIP, {"id": row.id})
            db.session.commit()
            log.warning("email reminder %s skipped: an address with non-ASCII characters cannot be sent", row.id)
            return "skipped"
        if row.channel == "sms":
            from app.agenda.sms import sms_sender

            sms_sender(current_app.config).send(row.phone, reminder_sms(row))
        else:
            mail.send(reminder_message(row))
        db.session.execute(
            text("UPDATE appointment_reminders SET status = 'sent', sent_at = now() WHERE id = :id"), {"id": row.id}
        )
        db.session.commit()
        return "sent"


def reminder_message(row) -> Message:
    zone = hospital_zone()
    local = row.starts_at.astimezone(zone)
    doctor = f"Dr {row.doctor_first_name} {row.doctor_last_name.upper()}"
    when = local.strftime("%d/%m/%Y à %H:%M")
    where = f", salle {row.room_name}" if row.room_name else ""
    hospital = current_app.config.get("APP_NAME", "CareTrail")
    body = (
        f"Bonjour {row.first_name} {row.last_name.upper()},\n\n"
        f"Nous vous rappelons votre rendez-vous ({row.type_name}) avec {doctor} le {when}{where}.\n"
        "Le rendez-vous est joint (fichier .ics) pour votre agenda.\n"
        "En cas d'empêchement, merci de prévenir le secrétariat.\n\n"
        f"{hospital}\n"
    )
    message = Message(
        subject=f"Rappel : rendez-vous le {when}",
        recipients=[row.email],
        body=body,
        html="<p>" + body.replace("\n\n", "</p><p>").replace("\n", "<br>") + "</p>",
        extra_headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach("rendez-vous.ics", "text/calendar; method=PUBLISH", appointment_ics(row, doctor, hospital))
    return message


def reminder_sms(row) -> str:
    local = row.starts_at.astimezone(hospital_zone())
    return (
        f"Rappel : rendez-vous le {local.strftime('%d/%m/%Y à %H:%M')} avec Dr {row.doctor_last_name.upper()}."
        " En cas d'empêchement, prévenez le secrétariat."
    )


def appointment_ics(row, doctor: str, hospital: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//CareTrail//Reminders//FR")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"appointment-{row.appointment_id}@caretrail")
    event.add("dtstamp", row.starts_at - timedelta(0))
    event.add("dtstart", row.starts_at)
    event.add("dtend", row.ends_at)
    event.add("summary", f"Rendez-vous avec {doctor}")
    event.add("location", f"{hospital}{', ' + row.room_name if row.room_name else ''}")
    calendar.add_component(event)
    return calendar.to_ical()
