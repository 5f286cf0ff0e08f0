"""Break-the-glass beyond the patient's page: a clinical document's download
under a grant, the alert e-mail reaching the auditors (a real local SMTP
server), and the two journal rules on the alert settings screen."""

from app.core.actor import acting_as
from app.core.extensions import db, mail
from app.jobs.queue import job_queue, run_worker
from app.jobs.registry import WORKER
from tests.conftest import csrf_token
from tests.documents import make_chart
from tests.smtp import free_port, start_smtp


def test_a_clinical_document_is_read_under_the_grant_only(client, api, sql_conn):
    chart = make_chart(sql_conn, appointments=0)
    patient = chart["dubois"]
    issued = client.post(
        f"/api/v1/patients/{patient}/documents", headers=api("doctor"), json={"kind": "patient_record"}
    )
    assert issued.status_code == 201, issued.get_json()
    url = f"/api/v1/documents/{issued.get_json()['id']}/download"
    secretary = api("secretary")
    assert client.get(url, headers=secretary).status_code == 403
    opened = client.post(f"/api/v1/patients/{patient}/break_glass", headers=secretary, json={"reason": "Emergency"})
    grant = opened.get_json()["result"]["id"]
    assert client.get(url, headers=secretary).status_code == 200
    assert sql_conn.execute(
        "SELECT action, door, break_glass_id FROM access_log WHERE username = 'secretary' ORDER BY id DESC LIMIT 1"
    ).fetchone() == ("export", "document", grant)
    # Ended (by the database's clock): refused again.
    sql_conn.execute("ALTER TABLE break_glass_grants DISABLE TRIGGER break_glass_grants_guard")
    sql_conn.execute(
        "UPDATE break_glass_grants SET granted_at = granted_at - interval '2 hours',"
        " expires_at = expires_at - interval '2 hours'"
    )
    sql_conn.execute("ALTER TABLE break_glass_grants ENABLE TRIGGER break_glass_grants_guard")
    assert client.get(url, headers=secretary).status_code == 403


def evaluate(app) -> None:
    from app.alerts.watch import evaluate_all

    with app.app_context(), acting_as(WORKER):
        try:
            evaluate_all(db.session)
        finally:
            db.session.remove()


def test_the_break_glass_alert_is_mailed_to_the_auditors(app, client, api, sql_conn):
    port = free_port()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_DEFAULT_SENDER="caretrail@hopital.test")
    app.extensions["mail"] = mail.init_mail(app.config)
    controller, inbox = start_smtp(port)
    try:
        sql_conn.execute("UPDATE alert_rules SET is_enabled = (code = 'break_glass')")
        patient = sql_conn.execute(
            "INSERT INTO patients (last_name, first_name, birth_date, sex) VALUES ('Roux', 'Léa', '1990-01-01', 'F')"
            " RETURNING id"
        ).fetchone()[0]
        evaluate(app)  # the history of the template database
        opened = client.post(
            f"/api/v1/patients/{patient}/break_glass", headers=api("radiologist"), json={"reason": "Contrast"}
        )
        assert opened.status_code == 201, opened.get_json()
        evaluate(app)
        run_worker(job_queue(app), wait=False, install_signal_handlers=False, listen_notify=False)
        (message,) = inbox.to("auditor@test.local")
        text = message.get_body(("plain",)).get_content()
        assert "radiologist broke the glass on the record of ROUX Léa" in text and "Contrast" in text
        assert inbox.to("admin@test.local") == []
    finally:
        controller.stop()


def test_the_journal_rules_are_on_the_alert_settings_screen(sql_conn, client, login):
    login("admin")
    page = client.get("/alerts/settings/").get_data(as_text=True)
    assert "Break-the-glass access" in page and "Record read outside working hours" in page
    form = {"csrf_token": csrf_token(page), "is_enabled": "on", "severity": "warning", "recipient_roles": "Auditor"}
    refused = client.post(
        "/alerts/settings/off_hours_read",
        data={**form, "settings": '{"hours": {"1": ["19:00", "07:00"]}}'},
        follow_redirects=True,
    )
    assert "the end must be after the start" in refused.get_data(as_text=True)
    client.post(
        "/alerts/settings/break_glass",
        data={**form, "severity": "critical", "settings": "{}", "recipient_usernames": "dpo"},
    )
    saved = sql_conn.execute(
        "SELECT is_enabled, recipient_roles, recipient_usernames FROM alert_rules WHERE code = 'break_glass'"
    ).fetchone()
    assert saved == (True, ["Auditor"], ["dpo"])
