"""Alert e-mails through a real local SMTP server (aiosmtpd): HTML and text,
to the rule's recipients, grouped per pass; SMTP down then up: the mails
arrive afterwards, once."""

import time

import pytest

from app.core.actor import acting_as
from app.core.extensions import db, mail
from app.jobs.queue import job_queue, run_worker
from app.jobs.registry import WORKER
from tests.agenda import make_patient
from tests.smtp import free_port, start_smtp

SKIP_HISTORY = (
    "UPDATE alert_cursor SET last_entry_id = (SELECT coalesce(max(id), 0) FROM audit_log), pending_txids = '{}'"
)


@pytest.fixture
def mail_port(app):
    port = free_port()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_DEFAULT_SENDER="caretrail@hopital.test")
    app.extensions["mail"] = mail.init_mail(app.config)  # Flask-Mail reads its settings once, at init_app
    return port


@pytest.fixture
def smtp(mail_port):
    controller, inbox = start_smtp(mail_port)
    yield inbox
    controller.stop()


def evaluate(app) -> None:
    from app.alerts.watch import evaluate_all

    with app.app_context(), acting_as(WORKER):
        try:
            evaluate_all(db.session)
        finally:
            db.session.remove()


def run_due_jobs(app) -> None:
    run_worker(job_queue(app), wait=False, install_signal_handlers=False, listen_notify=False)


def only_new_patient_rule(sql_conn, **recipients) -> None:
    sql_conn.execute("UPDATE alert_rules SET is_enabled = (code = 'new_patient')")
    for column, values in recipients.items():
        sql_conn.execute(f"UPDATE alert_rules SET {column} = %s WHERE code = 'new_patient'", [values])
    sql_conn.execute(SKIP_HISTORY)


def test_alert_mail_reaches_roles_users_and_plain_addresses_in_html_and_text(app, sql_conn, smtp):
    only_new_patient_rule(
        sql_conn, recipient_roles=["Admin"], recipient_usernames=["auditor"], recipient_emails=["dpo@hopital.test"]
    )
    with sql_conn.transaction():  # two alerts in one pass: one message per recipient
        make_patient(sql_conn, "Dubois", "Marie")
        make_patient(sql_conn, "Durand", "Luc")
    evaluate(app)
    run_due_jobs(app)
    for address in ("admin@test.local", "auditor@test.local", "dpo@hopital.test"):
        (message,) = smtp.to(address)
        assert message["Subject"] == "[CareTrail info] 2 alerts"
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert "created the patient DUBOIS Marie" in text and "created the patient DURAND Luc" in text
        assert "DUBOIS Marie" in html and "<table" in html
    assert smtp.to("doctor@test.local") == []
    run_due_jobs(app)
    evaluate(app)
    run_due_jobs(app)
    assert len(smtp.messages) == 3  # nothing sent twice


def test_smtp_down_then_up_the_mail_arrives_afterwards_once(app, sql_conn, mail_port):
    only_new_patient_rule(sql_conn, recipient_roles=[], recipient_emails=["dpo@hopital.test"])
    make_patient(sql_conn, "Martin", "Paul")
    evaluate(app)
    run_due_jobs(app)  # nobody listens on the port: the job fails, and waits for its retry
    status, attempts = sql_conn.execute(
        "SELECT status::text, attempts FROM procrastinate_jobs WHERE task_name = 'alerts.mail'"
    ).fetchone()
    assert (status, attempts) == ("todo", 1)
    controller, inbox = start_smtp(mail_port)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not inbox.messages:
            time.sleep(1)
            run_due_jobs(app)
        run_due_jobs(app)
    finally:
        controller.stop()
    (message,) = inbox.to("dpo@hopital.test")
    assert "MARTIN Paul" in message.get_body(("plain",)).get_content()
    assert sql_conn.execute(
        "SELECT status::text FROM procrastinate_jobs WHERE task_name = 'alerts.mail'"
    ).fetchall() == [("succeeded",)]


def test_the_daily_audit_report_is_mailed_with_its_csv(app, sql_conn, smtp):
    import csv
    import io

    from app.jobs.registry import defer

    app.config["AUDIT_REPORT_RECIPIENTS"] = "dpo@hopital.test, direction@hopital.test"
    make_patient(sql_conn, "Rapport", "Test")
    with app.app_context():
        defer(db.session, "reports.daily_audit", timestamp=int(time.time()) + 1)
        db.session.commit()
    run_due_jobs(app)
    # One mail per daily report, to every recipient at once.  The worker's
    # periodic deferrer also defers the reports whose time passed less than
    # ten minutes ago: the day's own (05:00 UTC), on Mondays the week's
    # (05:30 UTC), each mailed to the same recipients.
    reports = sql_conn.execute(
        "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'reports.daily_audit' AND status = 'succeeded'"
    ).fetchone()[0]
    mailed = [
        m
        for recipients, m in smtp.messages
        if "dpo@hopital.test" in recipients and m["Subject"].startswith("[CareTrail] daily audit summary: ")
    ]
    assert len(mailed) == reports >= 1
    message = mailed[0]
    assert "direction@hopital.test" in message["To"]
    (attachment,) = list(message.iter_attachments())
    rows = list(
        csv.reader(
            io.StringIO(
                attachment.get_content()
                if isinstance(attachment.get_content(), str)
                else attachment.get_content().decode()
            )
        )
    )
    assert rows[0] == ["user", "table", "action", "changes"]
    assert any(row[1:3] == ["public.patients", "INSERT"] for row in rows[1:])


def test_a_recipient_address_with_accents_is_left_out_and_the_others_get_the_mail(app, sql_conn, smtp):
    """Flask-Mail cannot send to hélène@… (SMTPUTF8): its job would fail at
    every retry.  Left out when the mails are planned; the others go."""
    only_new_patient_rule(sql_conn, recipient_roles=[], recipient_emails=["dpo@hopital.test", "hélène@hopital.test"])
    make_patient(sql_conn, "Accent", "Test")
    evaluate(app)
    run_due_jobs(app)
    assert [recipients for recipients, _message in smtp.messages] == [["dpo@hopital.test"]]
    assert sql_conn.execute("SELECT count(*) FROM procrastinate_jobs WHERE status <> 'succeeded'").fetchone() == (0,)
