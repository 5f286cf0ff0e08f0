"""Appointment reminders through a real local SMTP server: sent once per
appointment and offset, with the .ics; not after a cancellation; re-planned
after a move; a patient without e-mail is skipped and stops no one."""

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from app.core.extensions import mail
from app.jobs.queue import job_queue, run_worker
from tests.agenda import book, make_doctor, make_patient
from tests.smtp import free_port, start_smtp


@pytest.fixture
def smtp(app):
    port = free_port()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, REMINDER_OFFSETS_HOURS="24")
    app.extensions["mail"] = mail.init_mail(app.config)
    controller, inbox = start_smtp(port)
    yield inbox
    controller.stop()


def plan_and_send(app) -> None:
    """What the worker's minute does: plan what fell due, then send it."""
    from app.agenda.reminders import plan_due
    from app.core.actor import acting_as
    from app.core.extensions import db
    from app.jobs.registry import WORKER

    with app.app_context(), acting_as(WORKER):
        try:
            plan_due(db.session, app.config)
        finally:
            db.session.remove()
    run_worker(job_queue(app), wait=False, install_signal_handlers=False, listen_notify=False)


def patient_with_email(sql_conn, last_name: str, email: str | None) -> int:
    patient = make_patient(sql_conn, last_name, "Test")
    sql_conn.execute("UPDATE patients SET email = %s WHERE id = %s", [email, patient])
    return patient


def urgent(sql_conn, patient: int, doctor: int, hours_ahead: float) -> int:
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=hours_ahead)
    return book(sql_conn, patient, doctor, starts, kind="emergency", override_reason="test")


def statuses(sql_conn) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for appointment, status in sql_conn.execute(
        "SELECT appointment_id, status FROM appointment_reminders ORDER BY id"
    ).fetchall():
        found.setdefault(appointment, []).append(status)
    return found


def test_a_reminder_is_sent_once_with_the_ics_and_a_missing_email_stops_no_one(app, sql_conn, smtp):
    doctor = make_doctor(sql_conn)
    no_email = urgent(sql_conn, patient_with_email(sql_conn, "Sansmail", None), doctor, 3)
    due = urgent(sql_conn, patient_with_email(sql_conn, "Dubois", "marie.dubois@example.test"), doctor, 5)
    later = urgent(sql_conn, patient_with_email(sql_conn, "Durand", "luc.durand@example.test"), doctor, 30)
    plan_and_send(app)
    plan_and_send(app)
    (message,) = smtp.messages
    assert message[0] == ["marie.dubois@example.test"]
    assert message[1]["Subject"].startswith("Rappel : rendez-vous le ")
    (ics,) = [part for part in message[1].iter_attachments() if part.get_filename() == "rendez-vous.ics"]
    (event,) = Calendar.from_ical(ics.get_content()).walk("VEVENT")
    assert str(event["uid"]) == f"appointment-{due}@caretrail"
    assert statuses(sql_conn) == {no_email: ["skipped"], due: ["sent"]}
    assert later not in statuses(sql_conn)


def test_no_reminder_after_a_cancellation_and_a_moved_appointment_is_re_planned(app, sql_conn, smtp):
    doctor = make_doctor(sql_conn)
    cancelled = urgent(sql_conn, patient_with_email(sql_conn, "Annule", "annule@example.test"), doctor, 4)
    moved = urgent(sql_conn, patient_with_email(sql_conn, "Deplace", "deplace@example.test"), doctor, 6)
    from app.agenda.reminders import plan_due
    from app.core.extensions import db

    with app.app_context():
        plan_due(db.session, app.config)  # planned, not sent yet
        db.session.remove()
    sql_conn.execute(
        "UPDATE appointments SET status = 'cancelled', cancellation_reason = 'test' WHERE id = %s", [cancelled]
    )
    sql_conn.execute(
        "UPDATE appointments SET starts_at = starts_at + interval '2 hours',"
        " ends_at = ends_at + interval '2 hours' WHERE id = %s",
        [moved],
    )
    plan_and_send(app)
    plan_and_send(app)
    assert [recipients for recipients, _ in smtp.messages] == [["deplace@example.test"]]  # for the new time only
    assert statuses(sql_conn) == {cancelled: ["cancelled"], moved: ["cancelled", "sent"]}


class RecordingSmsSender:
    """A test SMS gateway: keeps what it was asked to send."""

    sent: list = []

    def __init__(self, config):
        pass

    def send(self, phone: str, text: str) -> None:
        RecordingSmsSender.sent.append((phone, text))


def test_sms_reminders_go_through_the_pluggable_sender_once(app, sql_conn, smtp):
    app.config.update(REMINDER_CHANNELS="email,sms", SMS_SENDER="tests.integration.test_reminders:RecordingSmsSender")
    RecordingSmsSender.sent.clear()
    doctor = make_doctor(sql_conn)
    patient = patient_with_email(sql_conn, "Texto", None)
    sql_conn.execute("UPDATE patients SET phone = '+33612345678' WHERE id = %s", [patient])
    appointment = urgent(sql_conn, patient, doctor, 2)
    plan_and_send(app)
    plan_and_send(app)
    assert [phone for phone, _ in RecordingSmsSender.sent] == ["+33612345678"]
    assert RecordingSmsSender.sent[0][1].startswith("Rappel : rendez-vous le ")
    assert statuses(sql_conn) == {appointment: ["skipped", "sent"]}  # no e-mail; the SMS
    assert smtp.messages == []


def test_the_default_sms_sender_only_logs_a_masked_number(caplog):
    import logging

    from app.agenda.sms import sms_sender

    with caplog.at_level(logging.INFO, logger="app.agenda.sms"):
        sms_sender({}).send("+33612345678", "Rappel : rendez-vous")
    assert "+33*******78" in caplog.text and "612345" not in caplog.text and "Rappel" not in caplog.text


def test_an_address_with_accents_is_skipped_not_retried_and_the_others_go(app, sql_conn, smtp):
    """hélène@… is a valid address that Flask-Mail cannot send (it needs
    SMTPUTF8): the job used to fail at every retry.  Skipped at planning,
    and at sending when the address changed in between."""
    from app.agenda.reminders import plan_due
    from app.core.extensions import db

    doctor = make_doctor(sql_conn)
    accented = urgent(sql_conn, patient_with_email(sql_conn, "Lefevre", "hélène.lefèvre@example.test"), doctor, 3)
    plain = urgent(sql_conn, patient_with_email(sql_conn, "Martin", "paul.martin@example.test"), doctor, 4)
    changed_patient = patient_with_email(sql_conn, "Leclerc", "zoe.leclerc@example.test")
    changed = urgent(sql_conn, changed_patient, doctor, 5)
    with app.app_context():
        plan_due(db.session, app.config)
        db.session.remove()
    sql_conn.execute("UPDATE patients SET email = 'zoé.leclerc@example.test' WHERE id = %s", [changed_patient])
    plan_and_send(app)
    assert [recipients for recipients, _ in smtp.messages] == [["paul.martin@example.test"]]
    assert statuses(sql_conn) == {accented: ["skipped"], plain: ["sent"], changed: ["skipped"]}
    failed = sql_conn.execute("SELECT count(*) FROM procrastinate_jobs WHERE status <> 'succeeded'").fetchone()
    assert failed == (0,)
