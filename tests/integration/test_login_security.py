"""Login and session security (issue 18): server-side sessions that die at
logout, password change and "sign out everywhere"; idle timeout; the
per-account lockout across both doors; the password rules; the security log
(and sign-ins kept out of the change audit); security headers."""

import psycopg
import pytest

from tests.conftest import APP_ROLE, APP_ROLE_PASSWORD, TEST_PASSWORD, browser_login, browser_logout, csrf_token

NEW_PASSWORD = "Blue-Lantern-Morning-7"


def signed_in(client) -> bool:
    """Whether the client's cookie opens a page that needs a sign-in."""
    response = client.get("/patients/list/")
    return response.status_code == 200


def copy_of(app, client):
    """Another browser holding a copy of the client's session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def api_login(client, username, password=TEST_PASSWORD, **extra):
    return client.post("/api/v1/security/login", json={"username": username, "password": password, **extra})


def log_events(sql_conn, username):
    return [
        row[0]
        for row in sql_conn.execute(
            "SELECT event FROM security_log WHERE username = %s ORDER BY id", [username]
        ).fetchall()
    ]


def change_own_password(client, current, new):
    page = client.get("/resetmypassword/form")
    assert page.status_code == 200
    return client.post(
        "/resetmypassword/form",
        data={
            "current_password": current,
            "password": new,
            "conf_password": new,
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )


# --- sessions -----------------------------------------------------------------


def test_logout_is_a_post_and_a_copied_cookie_dies_with_it(app, client, login):
    login("nurse")
    thief = copy_of(app, client)
    assert signed_in(thief)
    # A GET (a link, an image on another site) only asks.
    client.get("/logout/")
    assert signed_in(client) and signed_in(thief)
    browser_logout(client)
    assert not signed_in(client)
    assert not signed_in(thief), "the copied cookie still works after logout"


def test_logout_without_the_csrf_token_is_refused(client, login):
    login("nurse")
    assert client.post("/logout/").status_code == 400
    assert signed_in(client)


def test_a_password_change_ends_every_session_and_token(app, client, login, sql_conn):
    login("nurse")
    thief = copy_of(app, client)
    other = app.test_client()
    token = api_login(other, "nurse").get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert other.get("/api/v1/patients/", headers=headers).status_code == 200

    response = change_own_password(client, TEST_PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302
    assert signed_in(client), "the browser that changed it stays signed in"
    assert not signed_in(thief), "a cookie copied before the change still works"
    assert other.get("/api/v1/patients/", headers=headers).status_code == 401
    assert api_login(app.test_client(), "nurse", NEW_PASSWORD).status_code == 200
    assert "password_changed" in log_events(sql_conn, "nurse")


def test_changing_ones_password_needs_the_current_one(client, login):
    login("nurse")
    page = change_own_password(client, "Not-My-Password-99", NEW_PASSWORD)
    assert page.status_code == 200 and "not your current password" in page.get_data(as_text=True)
    browser_logout(client)
    assert browser_login(client, "nurse", NEW_PASSWORD).request.path == "/login/"


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("1", "at least 12 characters"),
        ("nurse", "at least 12 characters"),
        ("nurse-at-the-ward-9", "may not contain the username"),
        ("Password1234!", "too common"),
        ("azertyuiop2026", "too common"),
    ],
)
def test_weak_passwords_are_refused(client, login, password, reason):
    login("nurse")
    page = change_own_password(client, TEST_PASSWORD, password)
    assert page.status_code == 200 and reason in page.get_data(as_text=True)
    browser_logout(client)
    assert signed_in(client) is False
    login("nurse")  # the old password still works


def test_an_admin_signs_a_user_out_everywhere(app, client, login, sql_conn):
    victim = app.test_client()
    browser_login(victim, "doctor")
    token = api_login(app.test_client(), "doctor").get_json()["access_token"]
    assert signed_in(victim)
    login("admin")
    user_id = sql_conn.execute("SELECT id FROM ab_user WHERE username = 'doctor'").fetchone()[0]
    page = client.get(f"/users/security/{user_id}")
    assert page.status_code == 200
    done = client.post(
        f"/users/security/{user_id}/sign-out", data={"csrf_token": csrf_token(page.get_data(as_text=True))}
    )
    assert done.status_code == 302
    assert not signed_in(victim)
    assert app.test_client().get("/api/v1/patients/", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert "sessions_revoked" in log_events(sql_conn, "doctor")


def test_others_may_not_sign_anyone_out(client, login, sql_conn):
    login("doctor")
    user_id = sql_conn.execute("SELECT id FROM ab_user WHERE username = 'nurse'").fetchone()[0]
    assert client.get(f"/users/security/{user_id}").status_code in (302, 403)


def test_an_idle_session_ends(app, client, login, sql_conn):
    login("nurse")
    assert signed_in(client)
    sql_conn.execute("UPDATE user_sessions SET last_seen_at = now() - interval '31 minutes'")
    assert not signed_in(client)
    assert "session_expired" in log_events(sql_conn, "nurse")


def test_an_admin_forces_a_password_reset(app, client, login, sql_conn):
    login("admin")
    user_id = sql_conn.execute("SELECT id FROM ab_user WHERE username = 'nurse'").fetchone()[0]
    page = client.get(f"/resetpassword/form?pk={user_id}")
    assert page.status_code == 200
    client.post(
        f"/resetpassword/form?pk={user_id}",
        data={
            "password": "Temporary-Pass-4821",
            "conf_password": "Temporary-Pass-4821",
            "must_change": "y",
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )
    nurse = app.test_client()
    landed = browser_login(nurse, "nurse", "Temporary-Pass-4821")
    assert landed.request.path == "/resetmypassword/form"
    assert nurse.get("/patients/list/").status_code == 302, "a page before the new password"
    assert api_login(app.test_client(), "nurse", "Temporary-Pass-4821").status_code == 401
    assert change_own_password(nurse, "Temporary-Pass-4821", NEW_PASSWORD).status_code == 302
    assert signed_in(nurse)


# --- lockout --------------------------------------------------------------------


def test_the_lockout_counts_both_doors_together(app, client, sql_conn):
    app.config.update(LOCKOUT_THRESHOLD=5, LOCKOUT_MINUTES=15)
    for _ in range(3):
        assert browser_login(client, "secretary", "Wrong-Password-123").request.path == "/login/"
    for _ in range(2):
        assert api_login(client, "secretary", "Wrong-Password-123").status_code == 401
    # The right password now: refused at both doors.
    assert browser_login(client, "secretary").request.path == "/login/"
    assert api_login(client, "secretary").status_code == 401
    events = log_events(sql_conn, "secretary")
    assert events.count("login_failed") == 5 and events.count("login_locked") == 2
    doors = {row[0] for row in sql_conn.execute("SELECT door FROM security_log WHERE event = 'login_failed'")}
    assert doors == {"form", "api"}
    # Other accounts are not concerned.
    assert api_login(client, "nurse").status_code == 200
    # When the failures are older than the window, the account opens again.
    app.config["LOCKOUT_MINUTES"] = 0
    assert api_login(client, "secretary").status_code == 200


def test_a_sign_in_resets_the_count(app, client):
    app.config.update(LOCKOUT_THRESHOLD=3)
    for _ in range(2):
        api_login(client, "secretary", "Wrong-Password-123")
    assert api_login(client, "secretary").status_code == 200
    for _ in range(2):
        api_login(client, "secretary", "Wrong-Password-123")
    assert api_login(client, "secretary").status_code == 200


# --- the security log -------------------------------------------------------------


def test_sign_ins_go_to_the_security_log_not_the_change_audit(app, client, login, sql_conn):
    (before,) = sql_conn.execute("SELECT coalesce(max(id), 0) FROM audit_log").fetchone()
    browser_login(client, "nurse", "Wrong-Password-123")
    login("nurse")
    api_login(app.test_client(), "doctor")
    assert log_events(sql_conn, "nurse") == ["login_failed", "login"]
    assert log_events(sql_conn, "doctor") == ["login"]
    flooding = sql_conn.execute(
        "SELECT count(*) FROM audit_log WHERE id > %s AND table_name = 'public.ab_user'", [before]
    ).fetchone()[0]
    assert flooding == 0


def test_the_application_cannot_alter_the_security_log(postgres_server, database_name, client, login, sql_conn):
    login("nurse")
    conninfo = postgres_server.conninfo(database_name)
    with psycopg.connect(conninfo, user=APP_ROLE, password=APP_ROLE_PASSWORD, autocommit=True) as conn:
        for statement in ("UPDATE security_log SET detail = 'x'", "DELETE FROM security_log"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
    for statement in ("UPDATE security_log SET detail = 'x'", "DELETE FROM security_log", "TRUNCATE security_log"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            sql_conn.execute(statement)


@pytest.mark.parametrize(("username", "status"), [("auditor", 200), ("admin", 200), ("nurse", 403)])
def test_the_security_log_screen(client, login, username, status):
    login(username)
    page = client.get("/security/log/?event=login")
    assert page.status_code == status
    if status == 200:
        assert f"<td>{username}</td>" in page.get_data(as_text=True)


# --- headers ---------------------------------------------------------------------


def test_security_headers_on_every_answer(client, login, api):
    login("nurse")
    for response in (client.get("/login/"), client.get("/patients/list/"), client.get("/nothing-here")):
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["Cache-Control"] == "no-store"
    answer = client.get("/api/v1/patients/", headers=api("nurse"))
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert "Strict-Transport-Security" not in answer.headers


def test_hsts_behind_tls_and_static_files_stay_cacheable(client):
    secure = client.get("/login/", base_url="https://caretrail.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
    static = client.get("/static/appbuilder/css/bootstrap.min.css")
    assert "no-store" not in static.headers.get("Cache-Control", "")


def test_a_new_users_password_follows_the_rules_and_role_changes_are_logged(client, login, sql_conn):
    login("admin")
    nurse_role = sql_conn.execute("SELECT id FROM ab_role WHERE name = 'Nurse'").fetchone()[0]
    doctor_role = sql_conn.execute("SELECT id FROM ab_role WHERE name = 'Doctor'").fetchone()[0]
    fields = {
        "first_name": "Anne",
        "last_name": "Petit",
        "username": "apetit",
        "active": "y",
        "email": "apetit@test.local",
        "roles": str(nurse_role),
    }
    page = client.get("/users/add")
    weak = client.post(
        "/users/add",
        data={
            **fields,
            "password": "apetit-2026-x",
            "conf_password": "apetit-2026-x",
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )
    assert "may not contain the username" in weak.get_data(as_text=True)
    assert sql_conn.execute("SELECT count(*) FROM ab_user WHERE username = 'apetit'").fetchone()[0] == 0
    page = client.get("/users/add")
    client.post(
        "/users/add",
        data={
            **fields,
            "password": NEW_PASSWORD,
            "conf_password": NEW_PASSWORD,
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )
    user_id = sql_conn.execute("SELECT id FROM ab_user WHERE username = 'apetit'").fetchone()[0]
    page = client.get(f"/users/edit/{user_id}")
    edited = client.post(
        f"/users/edit/{user_id}",
        data={**fields, "roles": str(doctor_role), "csrf_token": csrf_token(page.get_data(as_text=True))},
    )
    assert edited.status_code == 302, edited.get_data(as_text=True)[-3000:]
    roles = sql_conn.execute("SELECT role_id FROM ab_user_role WHERE user_id = %s", [user_id]).fetchall()
    assert roles == [(doctor_role,)]
    detail = sql_conn.execute("SELECT detail FROM security_log WHERE event = 'roles_changed'").fetchone()
    assert detail == ("Nurse -> Doctor",), client.get("/users/list/").get_data(as_text=True)[-4000:]
