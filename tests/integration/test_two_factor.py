"""Two-factor sign-in (TOTP): enrolment with a QR code, sign-in with a
code, a wrong code, recovery codes used once, enforcement for the roles in
MFA_REQUIRED_ROLES (no page before enrolling), the JWT login's `otp`, the
secret encrypted at rest and masked in the audit."""

import re
import time

import pyotp
import pytest

from tests.conftest import TEST_PASSWORD, browser_login, browser_logout, csrf_token


@pytest.fixture
def enforced(app):
    """2FA required for Admin and Doctor, as in production."""
    app.config["MFA_REQUIRED_ROLES"] = "Admin,Doctor"


def code_at(secret, offset_steps=0):
    totp = pyotp.TOTP(secret)
    return totp.at(time.time() + offset_steps * totp.interval)


def enrol(client):
    """Enrol the signed-in user; (secret, recovery codes)."""
    page = client.get("/mfa/enrol/").get_data(as_text=True)
    assert "<svg" in page, "no QR code"
    secret = re.search(r'<code id="mfa-secret">([A-Z2-7]+)</code>', page).group(1)
    done = client.post("/mfa/enrol/", data={"code": code_at(secret), "csrf_token": csrf_token(page)})
    html = done.get_data(as_text=True)
    codes = re.findall(r"<li><code>([A-Z0-9]{5}-[A-Z0-9]{5})</code></li>", html)
    assert len(codes) == 10, html
    return secret, codes


def sign_in_with_code(client, username, code):
    landed = browser_login(client, username)
    assert landed.request.path == "/login/code/", "no second step"
    page = landed.get_data(as_text=True)
    return client.post("/login/code/", data={"code": code, "csrf_token": csrf_token(page)}, follow_redirects=True)


def signed_in(client) -> bool:
    return client.get("/patients/list/").status_code == 200


def test_a_required_role_reaches_no_page_before_enrolling(enforced, client, sql_conn):
    landed = browser_login(client, "doctor")
    assert landed.request.path == "/mfa/enrol/"
    for url in ("/patients/list/", "/", "/calendar/", "/users/userinfo/"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].endswith("/mfa/enrol/"), url
    assert client.get("/api/v1/patients/").status_code == 403, "the cookie opens the API"
    enrol(client)
    assert signed_in(client)


def test_a_role_without_the_requirement_signs_in_with_a_password(enforced, client):
    assert browser_login(client, "nurse").request.path == "/"
    assert signed_in(client)


def test_enrolment_then_sign_in_with_a_code_and_a_wrong_code(enforced, app, client, sql_conn):
    browser_login(client, "doctor")
    secret, _codes = enrol(client)
    browser_logout(client)

    other = app.test_client()
    wrong = sign_in_with_code(other, "doctor", "000000" if code_at(secret, 1) != "000000" else "111111")
    assert wrong.request.path == "/login/code/" and not signed_in(other)

    # The code used at enrolment cannot be replayed; the next one works.
    good = sign_in_with_code(client, "doctor", code_at(secret, 1))
    assert good.request.path == "/" and signed_in(client)
    events = [row[0] for row in sql_conn.execute("SELECT event FROM security_log WHERE username = 'doctor'")]
    assert {"mfa_enrolled", "mfa_failed", "login"} <= set(events)


def test_a_code_is_accepted_once(enforced, app, client):
    browser_login(client, "doctor")
    secret, _codes = enrol(client)
    browser_logout(client)
    code = code_at(secret, 1)
    assert sign_in_with_code(client, "doctor", code).request.path == "/"
    browser_logout(client)
    assert sign_in_with_code(app.test_client(), "doctor", code).request.path == "/login/code/"


def test_a_recovery_code_signs_in_once(enforced, app, client, sql_conn):
    browser_login(client, "doctor")
    _secret, codes = enrol(client)
    browser_logout(client)
    assert sign_in_with_code(client, "doctor", codes[3].lower()).request.path == "/"
    browser_logout(client)
    again = app.test_client()
    assert sign_in_with_code(again, "doctor", codes[3]).request.path == "/login/code/"
    assert not signed_in(again)
    used = sql_conn.execute("SELECT count(*) FROM user_recovery_codes WHERE used_at IS NOT NULL").fetchone()[0]
    assert used == 1


def test_the_password_alone_does_not_sign_in_an_enrolled_user(enforced, app, client):
    browser_login(client, "doctor")
    enrol(client)
    browser_logout(client)
    half = app.test_client()
    assert browser_login(half, "doctor").request.path == "/login/code/"
    assert not signed_in(half)


def test_the_jwt_login_needs_the_otp(enforced, app, client):
    def api_login(**extra):
        body = {"username": "doctor", "password": TEST_PASSWORD, "provider": "db", **extra}
        return app.test_client().post("/api/v1/security/login", json=body)

    refused = api_login()
    assert refused.status_code == 401 and "browser" in refused.get_json()["message"]
    browser_login(client, "doctor")
    secret, codes = enrol(client)
    assert api_login().status_code == 401
    assert api_login(otp="123456" if code_at(secret, 1) != "123456" else "654321").status_code == 401
    answer = api_login(otp=code_at(secret, 1))
    assert answer.status_code == 200
    token = answer.get_json()["access_token"]
    assert app.test_client().get("/api/v1/patients/", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert api_login(otp=codes[0]).status_code == 200
    assert api_login(otp=codes[0]).status_code == 401


def test_a_wrong_second_factor_counts_toward_the_lockout(enforced, app, client):
    app.config["LOCKOUT_THRESHOLD"] = 3
    browser_login(client, "doctor")
    enrol(client)
    browser_logout(client)
    for _ in range(3):
        sign_in_with_code(app.test_client(), "doctor", "ABCDE-FGHJK")
    assert browser_login(app.test_client(), "doctor").request.path == "/login/"


def test_the_secret_is_encrypted_at_rest_and_masked_in_the_audit(enforced, client, sql_conn):
    browser_login(client, "doctor")
    secret, codes = enrol(client)
    stored, hashes = sql_conn.execute(
        "SELECT m.secret_encrypted, array_agg(r.code_hash) FROM user_mfa m"
        " JOIN user_recovery_codes r USING (user_id) GROUP BY m.secret_encrypted"
    ).fetchone()
    assert secret not in stored and not any(code.replace("-", "") in h for code in codes for h in hashes)
    logged = sql_conn.execute(
        "SELECT string_agg(new_row::text, ' ') FROM audit_log"
        " WHERE table_name IN ('public.user_mfa', 'public.user_recovery_codes')"
    ).fetchone()[0]
    assert logged and stored not in logged and '"secret_encrypted": "[masked]"' in logged
    assert '"code_hash": "[masked]"' in logged


def test_an_admin_removes_a_lost_second_factor(enforced, app, client, sql_conn):
    doctor = app.test_client()
    browser_login(doctor, "doctor")
    enrol(doctor)
    admin = app.test_client()
    browser_login(admin, "admin")
    enrol(admin)
    user_id = sql_conn.execute("SELECT id FROM ab_user WHERE username = 'doctor'").fetchone()[0]
    page = admin.get(f"/users/security/{user_id}").get_data(as_text=True)
    assert "recovery codes left" in page
    done = admin.post(f"/users/security/{user_id}/reset-2fa", data={"csrf_token": csrf_token(page)})
    assert done.status_code == 302
    assert not signed_in(doctor)
    assert browser_login(app.test_client(), "doctor").request.path == "/mfa/enrol/"


def test_the_operator_removes_a_factor_from_the_command_line(enforced, app, client, sql_conn):
    browser_login(client, "admin")
    enrol(client)
    result = app.test_cli_runner().invoke(args=["accounts", "reset-2fa", "admin"])
    assert result.exit_code == 0, result.output
    assert not signed_in(client)
    assert browser_login(app.test_client(), "admin").request.path == "/mfa/enrol/"
    door = sql_conn.execute("SELECT door FROM security_log WHERE event = 'mfa_reset'").fetchone()[0]
    assert door == "cli"


def test_one_recovery_code_sent_twice_at_once_signs_in_once(enforced, app, client):
    """Two JWT logins racing with the same recovery code (two connections):
    the database's conditional UPDATE lets exactly one through."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    browser_login(client, "doctor")
    _secret, codes = enrol(client)
    barrier = Barrier(2)

    def attempt(_n):
        body = {"username": "doctor", "password": TEST_PASSWORD, "provider": "db", "otp": codes[5]}
        barrier.wait()
        return app.test_client().post("/api/v1/security/login", json=body).status_code

    with ThreadPoolExecutor(2) as pool:
        statuses = sorted(pool.map(attempt, range(2)))
    assert statuses == [200, 401]


def test_the_second_step_s_writes_are_the_user_s_and_raise_no_outside_app_alert(enforced, app, client, sql_conn):
    """The code is struck off before the user is signed in: the audit names
    them all the same, and the rule for changes outside the application stays
    quiet (it took a doctor's sign-in for a DBA's change)."""
    from app.alerts.watch import evaluate_all
    from app.core.actor import acting_as
    from app.core.extensions import db
    from app.jobs.registry import WORKER

    browser_login(client, "doctor")
    secret, codes = enrol(client)
    browser_logout(client)
    (before,) = sql_conn.execute("SELECT coalesce(max(id), 0) FROM audit_log").fetchone()
    sql_conn.execute(
        "UPDATE alert_cursor SET last_entry_id = (SELECT coalesce(max(id), 0) FROM audit_log), pending_txids = '{}'"
    )

    assert sign_in_with_code(client, "doctor", code_at(secret, 1)).request.path == "/"
    browser_logout(client)
    assert sign_in_with_code(app.test_client(), "doctor", codes[0]).request.path == "/"

    rows = sql_conn.execute(
        "SELECT table_name, app_username, app_user_id FROM audit_log"
        " WHERE id > %s AND table_name IN ('public.user_mfa', 'public.user_recovery_codes')",
        [before],
    ).fetchall()
    (doctor_id,) = sql_conn.execute("SELECT id FROM ab_user WHERE username = 'doctor'").fetchone()
    assert {row[0] for row in rows} == {"public.user_mfa", "public.user_recovery_codes"}, rows
    assert all(row[1:] == ("doctor", doctor_id) for row in rows), rows

    with app.app_context(), acting_as(WORKER):
        try:
            evaluate_all(db.session)
        finally:
            db.session.remove()
    outside = sql_conn.execute("SELECT summary FROM alerts WHERE rule_code = 'outside_app'").fetchall()
    assert outside == []
