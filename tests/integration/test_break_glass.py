"""Break-the-glass (issue 18): a reason is required; the grant opens ONE
patient's whole record, read only, until it expires by the database's
clock; every read under it is journaled with the grant; the alert for the
auditors is raised once; an auditor closes the review once, with a verdict."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest
from psycopg import errors

from app.alerts.watch import evaluate_all
from app.core.actor import acting_as
from app.core.extensions import db
from app.jobs.registry import WORKER
from tests.conftest import APP_ROLE, APP_ROLE_PASSWORD, browser_login, csrf_token

MEDICAL = {"blood_group", "allergies", "notes"}


def make_patient(sql_conn, last_name: str = "Garnier") -> int:
    return sql_conn.execute(
        "INSERT INTO patients (last_name, first_name, birth_date, sex, blood_group, allergies, notes)"
        " VALUES (%s, 'Luc', '1985-05-17', 'M', 'AB-', 'Iodine contrast', 'Renal failure') RETURNING id",
        [last_name],
    ).fetchone()[0]


@pytest.fixture
def patient(sql_conn) -> int:
    return make_patient(sql_conn)


def user_id(sql_conn, username: str) -> int:
    return sql_conn.execute("SELECT id FROM ab_user WHERE username = %s", [username]).fetchone()[0]


def break_glass(client, api, patient_id: int, username: str = "secretary", **body):
    return client.post(f"/api/v1/patients/{patient_id}/break_glass", headers=api(username), json=body)


def read_patient(client, api, patient_id: int, username: str = "secretary") -> dict:
    answer = client.get(f"/api/v1/patients/{patient_id}", headers=api(username))
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["result"]


def test_a_reason_is_required_and_the_refusal_names_it(client, api, sql_conn, patient):
    for body in ({}, {"reason": None}, {"reason": "   "}):
        refused = break_glass(client, api, patient, **body)
        assert refused.status_code == 422, body
        assert "reason" in refused.get_json()["message"], refused.get_json()
    too_long = break_glass(client, api, patient, reason="x" * 501)
    assert too_long.status_code == 422 and "reason" in too_long.get_json()["message"]
    not_text = break_glass(client, api, patient, reason=12)
    assert not_text.status_code in (400, 422) and "reason" in not_text.get_json()["message"]
    assert sql_conn.execute("SELECT count(*) FROM break_glass_grants").fetchone()[0] == 0


def test_the_grant_opens_that_record_only_read_only_for_an_hour(client, api, sql_conn, patient):
    other = make_patient(sql_conn, "Morel")
    assert not MEDICAL & set(read_patient(client, api, patient))
    opened = break_glass(client, api, patient, reason="  Unconscious at the desk, the family asks for allergies  ")
    assert opened.status_code == 201, opened.get_json()
    grant = opened.get_json()["result"]
    assert grant["reason"] == "Unconscious at the desk, the family asks for allergies"
    assert datetime.fromisoformat(grant["expires_at"]) - datetime.fromisoformat(grant["granted_at"]) == timedelta(
        hours=1
    )
    shown = read_patient(client, api, patient)
    assert shown["allergies"] == "Iodine contrast" and shown["blood_group"] == "AB-"
    # Another patient's record stays as the role shows it.
    assert not MEDICAL & set(read_patient(client, api, other))
    # Never write access: the secretary still may not change a medical field.
    changed = client.put(f"/api/v1/patients/{patient}", headers=api("secretary"), json={"allergies": "none"})
    assert changed.status_code == 403
    assert sql_conn.execute("SELECT allergies FROM patients WHERE id = %s", [patient]).fetchone()[0] == (
        "Iodine contrast"
    )
    # A second grant while one runs is a 409.
    assert break_glass(client, api, patient, reason="again").status_code == 409


def test_reads_under_the_grant_are_journaled_with_it(client, api, sql_conn, patient):
    grant = break_glass(client, api, patient, reason="Contrast injection, allergies unknown").get_json()["result"]
    read_patient(client, api, patient)
    rows = sql_conn.execute(
        "SELECT action, door, break_glass_id, reason FROM access_log WHERE patient_id = %s ORDER BY id", [patient]
    ).fetchall()
    reason = "Contrast injection, allergies unknown"
    assert rows == [("break_glass", "api", grant["id"], reason), ("view", "api", grant["id"], reason)]


def test_after_expiry_nothing_is_lent(client, api, sql_conn, patient):
    secretary = user_id(sql_conn, "secretary")
    # Granted two hours ago for an hour: the database computes when it ended.
    sql_conn.execute(
        "INSERT INTO break_glass_grants (user_id, username, patient_id, reason, minutes, granted_at)"
        " VALUES (%s, 'secretary', %s, 'Emergency', 60, now() - interval '2 hours')",
        [secretary, patient],
    )
    (ended,) = sql_conn.execute("SELECT expires_at < now() FROM break_glass_grants").fetchone()
    assert ended
    assert not MEDICAL & set(read_patient(client, api, patient))
    assert sql_conn.execute("SELECT break_glass_id FROM access_log WHERE patient_id = %s", [patient]).fetchall() == [
        (None,)
    ]
    # A grant ending in one second is active, then is not (by the database's clock).
    sql_conn.execute(
        "INSERT INTO break_glass_grants (user_id, username, patient_id, reason, minutes, granted_at)"
        " VALUES (%s, 'secretary', %s, 'Emergency', 1, now() - interval '59 seconds')",
        [secretary, patient],
    )
    assert set(read_patient(client, api, patient)) >= MEDICAL
    sql_conn.execute("SELECT pg_sleep(1.2)")
    assert not MEDICAL & set(read_patient(client, api, patient))


def test_who_may_break_the_glass(client, api, patient):
    # A nurse already reads the whole record; a doctor and an administrator too.
    for username in ("doctor", "nurse", "admin", "auditor"):
        refused = break_glass(client, api, patient, username=username, reason="Just looking")
        assert refused.status_code == 403, username
    assert break_glass(client, api, patient, username="radiologist", reason="Contrast").status_code == 201


def test_the_patient_page_opens_under_the_glass(app, sql_conn, patient):
    secretary = app.test_client()
    browser_login(secretary, "secretary")
    page = secretary.get(f"/patients/show/{patient}").get_data(as_text=True)
    assert "break-glass-form" in page and "Iodine contrast" not in page
    token = csrf_token(page)
    secretary.post(f"/break-glass/patient/{patient}", data={"csrf_token": token, "reason": " "})
    assert sql_conn.execute("SELECT count(*) FROM break_glass_grants").fetchone()[0] == 0
    answer = secretary.post(
        f"/break-glass/patient/{patient}", data={"csrf_token": token, "reason": "Collapsed in the waiting room"}
    )
    assert answer.status_code == 302
    page = secretary.get(f"/patients/show/{patient}").get_data(as_text=True)
    assert "break-glass-active" in page and "Iodine contrast" in page and "Renal failure" in page
    assert "break-glass-form" not in page


def engine(app, sql_conn):
    with app.app_context(), acting_as(WORKER):
        try:
            return evaluate_all(db.session)[1]
        finally:
            db.session.remove()


def journal_alerts(sql_conn, rule: str) -> list[tuple]:
    return sql_conn.execute(
        "SELECT summary, access_entry_ids, audit_entry_ids, subject FROM alerts WHERE rule_code = %s ORDER BY id",
        [rule],
    ).fetchall()


ALWAYS_OPEN = '{"hours": {"1": ["00:00", "23:59"], "2": ["00:00", "23:59"], "3": ["00:00", "23:59"], "4": ["00:00", "23:59"], "5": ["00:00", "23:59"], "6": ["00:00", "23:59"], "7": ["00:00", "23:59"]}, "holidays": null}'  # noqa: E501


def test_breaking_the_glass_raises_one_alert_for_the_auditors(app, client, api, sql_conn, patient):
    sql_conn.execute("UPDATE alert_rules SET settings = %s::jsonb WHERE code = 'off_hours_read'", [ALWAYS_OPEN])
    engine(app, sql_conn)  # the history of the template database
    grant = break_glass(client, api, patient, reason="Found unconscious").get_json()["result"]
    read_patient(client, api, patient)
    assert engine(app, sql_conn) >= 1
    (raised,) = journal_alerts(sql_conn, "break_glass")
    summary, access_ids, audit_ids, subject = raised
    assert "secretary broke the glass on the record of GARNIER Luc" in summary
    assert "Found unconscious" in summary and "review" in summary
    assert audit_ids == [] and subject == f"grant {grant['id']}"
    (journaled,) = sql_conn.execute("SELECT id FROM access_log WHERE action = 'break_glass'").fetchone()
    assert access_ids == [journaled]
    # Evaluated once: a second pass raises nothing more.
    engine(app, sql_conn)
    assert len(journal_alerts(sql_conn, "break_glass")) == 1
    (roles,) = sql_conn.execute("SELECT recipient_roles FROM alert_rules WHERE code = 'break_glass'").fetchone()
    assert roles == ["Auditor"]


def test_an_off_hours_read_fires_at_19_01_not_at_18_59(app, sql_conn, patient):
    engine(app, sql_conn)
    zone = ZoneInfo("Europe/Paris")
    wednesday = datetime(2026, 12, 2, tzinfo=zone)
    for username, at in (
        ("nurse", wednesday.replace(hour=18, minute=59)),
        ("doctor", wednesday.replace(hour=19, minute=1)),
    ):
        sql_conn.execute(
            "INSERT INTO access_log (user_id, username, patient_id, action, door, accessed_at)"
            " VALUES (%s, %s, %s, 'view', 'screen', %s)",
            [user_id(sql_conn, username), username, patient, at],
        )
    engine(app, sql_conn)
    (raised,) = journal_alerts(sql_conn, "off_hours_read")
    assert raised[0].startswith("doctor opened the record of GARNIER Luc")
    assert "19:01" in raised[0] and "outside working hours" in raised[0]
    # A public holiday (Christmas Day) at noon.
    sql_conn.execute(
        "INSERT INTO access_log (user_id, username, patient_id, action, door, accessed_at)"
        " VALUES (%s, 'nurse', %s, 'export', 'api', %s)",
        [user_id(sql_conn, "nurse"), patient, datetime(2026, 12, 25, 12, tzinfo=zone)],
    )
    engine(app, sql_conn)
    assert "public holiday" in journal_alerts(sql_conn, "off_hours_read")[-1][0]
    # Disabled on the settings: nothing more.
    sql_conn.execute("UPDATE alert_rules SET is_enabled = false WHERE code = 'off_hours_read'")
    sql_conn.execute(
        "INSERT INTO access_log (user_id, username, patient_id, action, door, accessed_at)"
        " VALUES (%s, 'nurse', %s, 'view', 'api', %s)",
        [user_id(sql_conn, "nurse"), patient, datetime(2026, 12, 25, 13, tzinfo=zone)],
    )
    engine(app, sql_conn)
    assert len(journal_alerts(sql_conn, "off_hours_read")) == 2


def test_an_auditor_closes_the_review_once(client, api, sql_conn, patient):
    grant = break_glass(client, api, patient, reason="Contrast injection").get_json()["result"]
    read_patient(client, api, patient)
    auditor = api("auditor")
    queue = client.get("/api/v1/break_glass/", headers=auditor).get_json()["result"]
    assert [(g["id"], g["username"], g["reason"], g["reads"]) for g in queue] == [
        (grant["id"], "secretary", "Contrast injection", 1)
    ]
    detail = client.get(f"/api/v1/break_glass/{grant['id']}", headers=auditor).get_json()["result"]
    assert [read["action"] for read in detail["reads"]] == ["break_glass", "view"]
    url = f"/api/v1/break_glass/{grant['id']}/review"
    # Who may not review; a missing verdict, an unjustified one without comment.
    assert client.post(url, headers=api("secretary"), json={"verdict": "justified"}).status_code == 403
    assert client.get("/api/v1/break_glass/", headers=api("doctor")).status_code == 403
    missing = client.post(url, headers=auditor, json={})
    assert missing.status_code == 422 and "verdict" in missing.get_json()["message"]
    bare = client.post(url, headers=auditor, json={"verdict": "unjustified"})
    assert bare.status_code == 422 and "comment" in bare.get_json()["message"]
    closed = client.post(url, headers=auditor, json={"verdict": "unjustified", "comment": "No emergency that day"})
    assert closed.status_code == 200, closed.get_json()
    assert closed.get_json()["result"]["reviewed_by"] == "auditor"
    again = client.post(url, headers=api("admin"), json={"verdict": "justified"})
    assert again.status_code == 409
    assert client.get("/api/v1/break_glass/", headers=auditor).get_json()["result"] == []
    reviewed = client.get(
        "/api/v1/break_glass/", headers=auditor, query_string={"state": "closed", "verdict": "unjustified"}
    ).get_json()["result"]
    assert [g["verdict"] for g in reviewed] == ["unjustified"]
    assert client.get("/api/v1/break_glass/", headers=auditor, query_string={"state": "x"}).status_code == 400


def test_the_review_queue_screen_closes_a_review(app, client, api, sql_conn, patient):
    break_glass(client, api, patient, reason="Contrast injection")
    auditor = app.test_client()
    browser_login(auditor, "auditor")
    page = auditor.get("/break-glass-reviews/").get_data(as_text=True)
    assert "Contrast injection" in page and "break-glass-review-form" in page
    (grant_id,) = sql_conn.execute("SELECT id FROM break_glass_grants").fetchone()
    answer = auditor.post(
        f"/break-glass-reviews/{grant_id}/review",
        data={"csrf_token": csrf_token(page), "verdict": "justified", "comment": ""},
    )
    assert answer.status_code == 302
    assert sql_conn.execute("SELECT verdict, reviewed_at IS NOT NULL FROM break_glass_grants").fetchone() == (
        "justified",
        True,
    )
    closed = auditor.get("/break-glass-reviews/?state=closed").get_data(as_text=True)
    assert "break-glass-verdict" in closed


def test_the_database_keeps_a_grant_as_written(postgres_server, database_name, sql_conn, patient):
    secretary, auditor = user_id(sql_conn, "secretary"), user_id(sql_conn, "auditor")
    conninfo = postgres_server.conninfo(database_name)
    with psycopg.connect(conninfo, user=APP_ROLE, password=APP_ROLE_PASSWORD, autocommit=True) as app_conn:
        with pytest.raises(errors.CheckViolation):
            app_conn.execute(
                "INSERT INTO break_glass_grants (user_id, username, patient_id, reason, minutes)"
                " VALUES (%s, 'secretary', %s, '  ', 60)",
                [secretary, patient],
            )
        with pytest.raises(errors.InsufficientPrivilege):  # the times are the database's
            app_conn.execute(
                "INSERT INTO break_glass_grants (user_id, username, patient_id, reason, minutes, granted_at)"
                " VALUES (%s, 'secretary', %s, 'x', 60, now() + interval '1 day')",
                [secretary, patient],
            )
        (grant,) = app_conn.execute(
            "INSERT INTO break_glass_grants (user_id, username, patient_id, reason, minutes)"
            " VALUES (%s, 'secretary', %s, 'Emergency', 60) RETURNING id",
            [secretary, patient],
        ).fetchone()
        for statement in (
            "UPDATE break_glass_grants SET reason = 'changed'",
            "UPDATE break_glass_grants SET expires_at = now() + interval '1 day'",
            "DELETE FROM break_glass_grants",
        ):
            with pytest.raises(errors.InsufficientPrivilege):
                app_conn.execute(statement)
        with pytest.raises(errors.CheckViolation):  # the review's fields go together
            app_conn.execute("UPDATE break_glass_grants SET reviewed_by_id = %s", [auditor])
        with pytest.raises(errors.CheckViolation):  # no one reviews their own
            app_conn.execute("UPDATE break_glass_grants SET reviewed_by_id = %s, verdict = 'justified'", [secretary])
        app_conn.execute("UPDATE break_glass_grants SET reviewed_by_id = %s, verdict = 'justified'", [auditor])
        with pytest.raises(errors.CheckViolation):  # closed once
            app_conn.execute("UPDATE break_glass_grants SET verdict = 'unjustified', review_comment = 'x'")
    assert sql_conn.execute("SELECT verdict FROM break_glass_grants WHERE id = %s", [grant]).fetchone() == (
        "justified",
    )
    # The owner neither: the trigger guards the grant for everyone.
    with pytest.raises(errors.InsufficientPrivilege):
        sql_conn.execute("DELETE FROM break_glass_grants")


def test_two_requests_at_once_make_one_grant(app, sql_conn, patient):
    """The rule takes a lock per user and patient before it looks for a
    running grant: a request arriving while another holds it finds that
    other's grant once it is committed (409), not nothing."""
    import threading

    from app.core.actor import Actor
    from app.core.errors import Conflict
    from app.security.glass import break_the_glass as open_record

    secretary = Actor("secretary", user_id(sql_conn, "secretary"), frozenset({"Secretary"}))
    outcome = []

    def second_request():
        with app.app_context():
            try:
                open_record(db.session, secretary, patient, "Second click", door="api")
                outcome.append("granted")
            except Conflict:
                outcome.append("conflict")
            finally:
                db.session.remove()

    with sql_conn.transaction():  # the first request, holding the lock
        sql_conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"break_glass {secretary.user_id} {patient}"]
        )
        thread = threading.Thread(target=second_request)
        thread.start()
        thread.join(1.0)
        assert thread.is_alive()  # waiting for the first
        sql_conn.execute(
            "INSERT INTO break_glass_grants (user_id, username, patient_id, reason, minutes)"
            " VALUES (%s, 'secretary', %s, 'First click', 60)",
            [secretary.user_id, patient],
        )
    thread.join(10)
    assert outcome == ["conflict"]
    assert sql_conn.execute("SELECT reason FROM break_glass_grants").fetchall() == [("First click",)]


def test_whether_a_grant_is_held_is_read_with_the_user_and_seen_at_once(app, sql_conn, patient):
    """The statement that loads the signed-in user says whether they hold a
    grant (app/security/sessions.py): a page then looks for one on its
    patient only if so.  A grant made elsewhere (another tab, the API) is
    seen by the next page, one on another patient opens nothing here, and
    the request that breaks the glass reads under its own grant."""
    from flask import g

    from app.core.actor import current_actor
    from app.security.glass import break_the_glass, widened_for
    from app.security.sessions import MAY_HOLD_GRANT

    secretary_id = user_id(sql_conn, "secretary")
    other = make_patient(sql_conn, "Morel")
    secretary = app.test_client()
    browser_login(secretary, "secretary")
    assert "Iodine contrast" not in secretary.get(f"/patients/show/{patient}").get_data(as_text=True)
    sql_conn.execute(
        "INSERT INTO break_glass_grants (user_id, username, patient_id, reason, minutes)"
        " VALUES (%s, 'secretary', %s, 'Emergency', 60)",
        [secretary_id, other],
    )
    assert "Iodine contrast" not in secretary.get(f"/patients/show/{patient}").get_data(as_text=True)
    assert "Iodine contrast" in secretary.get(f"/patients/show/{other}").get_data(as_text=True)
    # Within one request: the user loaded while holding no grant (as the
    # statement found it, were it the only one), then breaking the glass.
    with app.test_request_context(f"/patients/show/{patient}"):
        g.user = db.session.get(app.appbuilder.sm.user_model, secretary_id)
        setattr(g, MAY_HOLD_GRANT, (secretary_id, False))
        actor = current_actor()
        assert widened_for(db.session, actor, patient) is actor
        grant = break_the_glass(db.session, actor, patient, "Collapsed in the waiting room", door="screen")
        assert widened_for(db.session, actor, patient).break_glass_id == grant.id
