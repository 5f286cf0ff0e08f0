"""Delegation (issue 18): a role or "act for Dr X" granted for a window with
a reason, applied at every request on the database's clock, ending by
itself, revocable at once, attributed "on behalf of" in the journal and the
audit; the table's rules held by the database."""

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from app.security.delegation import frozen_clock
from tests.agenda import make_patient
from tests.conftest import browser_login, csrf_token

PRESCRIPTIONS = "/api/v1/prescriptions/"


def user_id(conn, username: str) -> int:
    return conn.execute("SELECT id FROM ab_user WHERE username = %s", [username]).fetchone()[0]


def role_id(conn, name: str) -> int:
    return conn.execute("SELECT id FROM ab_role WHERE name = %s", [name]).fetchone()[0]


def db_now(conn) -> datetime:
    return conn.execute("SELECT now()").fetchone()[0]


def grant(client, headers, **body):
    return client.post("/api/v1/delegation/", json=body, headers=headers)


def in_one_hour() -> str:
    return (datetime.now(UTC) + timedelta(hours=1)).isoformat()


def insert_past(conn, grantee: str, role: str, starts: datetime, ends: datetime) -> int:
    """A delegation whose window is already over, as history would hold it
    (the trigger never lets a new one start in the past: it is bypassed as
    a DBA restoring history would)."""
    conn.execute("SET session_replication_role = replica")
    try:
        return conn.execute(
            "INSERT INTO delegations (grantee_id, role_id, starts_at, ends_at, reason, granted_by_id, created_at)"
            " VALUES (%s, %s, %s, %s, 'past cover', %s, %s) RETURNING id",
            [user_id(conn, grantee), role_id(conn, role), starts, ends, user_id(conn, "admin"), starts],
        ).fetchone()[0]
    finally:
        conn.execute("SET session_replication_role = DEFAULT")


# -- the window, on the database's clock ------------------------------------------------------------


def test_a_granted_role_applies_only_inside_its_window_frozen_clock(client, api, sql_conn):
    """The window [starts_at, ends_at) checked at each request, against a frozen clock."""
    admin = api("admin")
    start = db_now(sql_conn) + timedelta(hours=1)
    end = start + timedelta(hours=8)
    answer = grant(
        client,
        admin,
        grantee="secretary",
        role="Doctor",
        starts_at=start.isoformat(),
        ends_at=end.isoformat(),
        reason="Night cover",
    )
    assert answer.status_code == 201, answer.get_json()
    secretary = api("secretary")
    assert client.get(PRESCRIPTIONS, headers=secretary).status_code == 403  # not yet (real clock)
    for at, expected in (
        (start - timedelta(microseconds=1), 403),
        (start, 200),
        (end - timedelta(microseconds=1), 200),
        (end, 403),
        (end + timedelta(days=1), 403),
    ):
        with frozen_clock(at):
            assert client.get(PRESCRIPTIONS, headers=secretary).status_code == expected, at


def test_an_active_delegation_applies_now_and_an_expired_one_gives_nothing(client, api, sql_conn):
    now = db_now(sql_conn)
    insert_past(sql_conn, "secretary", "Doctor", now - timedelta(days=2), now - timedelta(seconds=1))
    secretary = api("secretary")
    assert client.get(PRESCRIPTIONS, headers=secretary).status_code == 403
    answer = grant(client, api("admin"), grantee="secretary", role="Doctor", ends_at=in_one_hour(), reason="Cover")
    assert answer.status_code == 201
    assert answer.get_json()["result"]["status"] == "active"
    assert client.get(PRESCRIPTIONS, headers=secretary).status_code == 200


def test_a_role_granted_shows_in_the_menus_of_the_screens(client, api, login):
    grant(client, api("admin"), grantee="secretary", role="Doctor", ends_at=in_one_hour(), reason="Cover")
    login("secretary")
    page = client.get("/").get_data(as_text=True)
    assert "Prescriptions" in page
    assert "Delegation" in page  # the top bar says a delegation is in force


# -- revocation ------------------------------------------------------------------------------------------


def test_revocation_takes_effect_at_the_very_next_request_session_and_jwt(app, client, api, sql_conn):
    admin = api("admin")
    delegation_id = grant(
        client, admin, grantee="secretary", role="Doctor", ends_at=in_one_hour(), reason="Cover"
    ).get_json()["id"]
    secretary_jwt = api("secretary")
    browser = app.test_client()
    browser_login(browser, "secretary")
    assert client.get(PRESCRIPTIONS, headers=secretary_jwt).status_code == 200
    assert browser.get("/prescriptions/list/").status_code == 200

    refused = client.post(f"/api/v1/delegation/{delegation_id}/revoke", json={"reason": " "}, headers=admin)
    assert refused.status_code == 422
    assert "reason" in refused.get_json()["message"]
    answer = client.post(f"/api/v1/delegation/{delegation_id}/revoke", json={"reason": "Back early"}, headers=admin)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["result"]["status"] == "revoked"
    assert answer.get_json()["result"]["revoked_by"] == "admin"

    assert client.get(PRESCRIPTIONS, headers=secretary_jwt).status_code == 403
    assert browser.get("/prescriptions/list/").status_code in (302, 403)
    again = client.post(f"/api/v1/delegation/{delegation_id}/revoke", json={"reason": "twice"}, headers=admin)
    assert again.status_code == 422
    events = sql_conn.execute(
        "SELECT event, actor, detail FROM security_log WHERE event LIKE 'delegation%%' ORDER BY id"
    ).fetchall()
    assert [(event, actor) for event, actor, _detail in events] == [
        ("delegation_granted", "admin"),
        ("delegation_revoked", "admin"),
    ]
    assert "role Doctor" in events[0][2] and "Cover" in events[0][2]
    assert "Back early" in events[1][2]


# -- who may grant, and what -----------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["doctor", "nurse", "secretary", "auditor"])
def test_only_an_administrator_grants(client, api, username):
    answer = grant(client, api(username), grantee="nurse", role="Doctor", ends_at=in_one_hour(), reason="x")
    assert answer.status_code == 403


def test_an_auditor_lists_the_delegations_but_a_doctor_does_not(client, api):
    grant(client, api("admin"), grantee="nurse", role="Secretary", ends_at=in_one_hour(), reason="Front desk")
    listing = client.get("/api/v1/delegation/?status=active", headers=api("auditor"))
    assert listing.status_code == 200
    assert [(d["grantee"], d["role"]) for d in listing.get_json()["result"]] == [("nurse", "Secretary")]
    assert client.get("/api/v1/delegation/", headers=api("doctor")).status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"grantee": "nurse", "role": "Doctor", "ends_at": "in one hour", "reason": "x"}, "ends_at"),
        ({"grantee": "nurse", "role": "Doctor", "ends_at": "2030-01-01T08:00:00", "reason": "x"}, "ends_at"),
        ({"grantee": "nurse", "role": "Doctor", "reason": "x"}, "ends_at"),
        ({"grantee": "nurse", "role": "Doctor", "ends_at": "ONE_HOUR"}, "reason"),
        ({"grantee": "nurse", "role": "Doctor", "ends_at": "ONE_HOUR", "reason": "   "}, "reason"),
        ({"grantee": "nurse", "role": "Doctor", "ends_at": "ONE_HOUR", "reason": "x" * 501}, "reason"),
        ({"grantee": "nobody", "role": "Doctor", "ends_at": "ONE_HOUR", "reason": "x"}, "grantee"),
        ({"grantee": "admin", "role": "Doctor", "ends_at": "ONE_HOUR", "reason": "x"}, "grantee"),
        ({"grantee": "nurse", "role": "Admin", "ends_at": "ONE_HOUR", "reason": "x"}, "role"),
        ({"grantee": "nurse", "role": "Doctor", "acts_for": "doctor", "ends_at": "ONE_HOUR", "reason": "x"}, "role"),
        ({"grantee": "nurse", "ends_at": "ONE_HOUR", "reason": "x"}, "role"),
        ({"grantee": "nurse", "acts_for": "nurse", "ends_at": "ONE_HOUR", "reason": "x"}, "acts_for"),
        ({"grantee": "nurse", "role": "Doctor", "ends_at": "IN_91_DAYS", "reason": "x"}, "ends_at"),
        ({"grantee": "nurse", "role": "Doctor", "ends_at": "ONE_HOUR", "reason": "x", "extra": 1}, "extra"),
        ({"grantee": 12, "role": "Doctor", "ends_at": "ONE_HOUR", "reason": "x"}, "grantee"),
    ],
)
def test_a_grant_refused_names_its_field(client, api, body, field):
    times = {
        "ONE_HOUR": in_one_hour(),
        "IN_91_DAYS": (datetime.now(UTC) + timedelta(days=91)).isoformat(),
    }
    body = {name: times.get(value, value) if isinstance(value, str) else value for name, value in body.items()}
    answer = grant(client, api("admin"), **body)
    assert answer.status_code in (400, 422), answer.get_json()
    assert field in answer.get_json()["message"], answer.get_json()


# -- the database holds the rules ----------------------------------------------------------------------------


def _insert(conn, **overrides):
    row = {
        "grantee_id": user_id(conn, "nurse"),
        "role_id": role_id(conn, "Doctor"),
        "acted_for_id": None,
        "starts_at": db_now(conn),
        "ends_at": db_now(conn) + timedelta(hours=1),
        "reason": "cover",
        "granted_by_id": user_id(conn, "admin"),
    } | overrides
    names = ", ".join(row)
    marks = ", ".join(["%s"] * len(row))
    return conn.execute(
        f"INSERT INTO delegations ({names}) VALUES ({marks}) RETURNING id", list(row.values())
    ).fetchone()[0]


@pytest.mark.parametrize(
    ("overrides", "constraint"),
    [
        ({"ends_at": datetime(2000, 1, 1, tzinfo=UTC)}, "delegations_window_check"),
        ({"acted_for_id": "doctor"}, "delegations_what_check"),
        ({"role_id": None}, "delegations_what_check"),
        ({"role_id": None, "acted_for_id": "nurse"}, "delegations_not_for_self_check"),
        ({"granted_by_id": "nurse"}, "delegations_not_to_self_check"),
        ({"reason": ""}, "delegations_reason_check"),
        ({"reason": " padded"}, "delegations_reason_check"),
        ({"role_id": "Admin"}, "delegations_role_not_admin"),
        ({"ends_at": "PLUS_91_DAYS"}, "delegations_max_length"),
    ],
)
def test_the_database_refuses_a_bad_delegation(sql_conn, overrides, constraint):
    now = db_now(sql_conn)
    for name, value in list(overrides.items()):
        if value in ("doctor", "nurse") and name.endswith("_id"):
            overrides[name] = user_id(sql_conn, value)
        elif value == "Admin":
            overrides[name] = role_id(sql_conn, "Admin")
        elif value == "PLUS_91_DAYS":
            overrides[name] = now + timedelta(days=91)
    with pytest.raises(psycopg.errors.IntegrityError) as refused:
        _insert(sql_conn, **overrides)
    assert refused.value.diag.constraint_name == constraint


def test_the_maximum_length_is_the_hospitals_setting(sql_conn):
    sql_conn.execute("UPDATE hospital_settings SET delegation_max_days = 120")
    _insert(sql_conn, ends_at=db_now(sql_conn) + timedelta(days=100))
    with pytest.raises(psycopg.errors.CheckViolation):
        sql_conn.execute("UPDATE hospital_settings SET delegation_max_days = 400")


def test_a_window_never_starts_before_it_was_granted_and_is_never_rewritten(sql_conn):
    now = db_now(sql_conn)
    delegation = _insert(sql_conn, starts_at=now - timedelta(days=3))
    starts_at, created_at = sql_conn.execute(
        "SELECT starts_at, created_at FROM delegations WHERE id = %s", [delegation]
    ).fetchone()
    assert starts_at >= now - timedelta(seconds=5) and created_at >= now - timedelta(seconds=5)
    for change in ("ends_at = ends_at + interval '1 day'", "starts_at = starts_at - interval '1 day'", "reason = 'x'"):
        with pytest.raises(psycopg.errors.CheckViolation) as refused:
            sql_conn.execute(f"UPDATE delegations SET {change} WHERE id = %s", [delegation])  # the owner too
        assert refused.value.diag.constraint_name == "delegations_terms_fixed"
    with pytest.raises(psycopg.errors.CheckViolation) as refused:
        sql_conn.execute("UPDATE delegations SET revoked_at = now() WHERE id = %s", [delegation])
    assert refused.value.diag.constraint_name == "delegations_revocation_check"
    admin = user_id(sql_conn, "admin")
    sql_conn.execute(
        "UPDATE delegations SET revoked_at = '2000-01-01', revoked_by_id = %s, revoke_reason = 'done' WHERE id = %s",
        [admin, delegation],
    )
    revoked_at = sql_conn.execute("SELECT revoked_at FROM delegations WHERE id = %s", [delegation]).fetchone()[0]
    assert revoked_at >= now - timedelta(seconds=5)  # the database's clock, not the one given
    with pytest.raises(psycopg.errors.CheckViolation) as refused:
        sql_conn.execute("UPDATE delegations SET revoke_reason = 'other' WHERE id = %s", [delegation])
    assert refused.value.diag.constraint_name == "delegations_revoked_once"


def test_the_app_role_inserts_and_revokes_but_never_rewrites_nor_deletes(app, postgres_server, database_name, sql_conn):
    from tests.conftest import APP_ROLE, APP_ROLE_PASSWORD

    delegation = _insert(sql_conn)
    conninfo = postgres_server.conninfo(database_name)
    with psycopg.connect(conninfo, user=APP_ROLE, password=APP_ROLE_PASSWORD, autocommit=True) as app_conn:
        for statement in (
            "UPDATE delegations SET ends_at = ends_at + interval '1 day' WHERE id = %s",
            "DELETE FROM delegations WHERE id = %s",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                app_conn.execute(statement, [delegation])
        app_conn.execute(
            "UPDATE delegations SET revoked_at = now(), revoked_by_id = %s, revoke_reason = 'done' WHERE id = %s",
            [user_id(sql_conn, "admin"), delegation],
        )
    assert sql_conn.execute("SELECT revoke_reason FROM delegations WHERE id = %s", [delegation]).fetchone()[0]


def test_grants_and_revocations_are_in_the_change_audit(client, api, sql_conn):
    admin = api("admin")
    delegation_id = grant(
        client, admin, grantee="nurse", role="Doctor", ends_at=in_one_hour(), reason="Cover"
    ).get_json()["id"]
    client.post(f"/api/v1/delegation/{delegation_id}/revoke", json={"reason": "Back"}, headers=admin)
    rows = sql_conn.execute(
        "SELECT operation, app_username, reason FROM audit_log WHERE table_name = 'public.delegations' ORDER BY id"
    ).fetchall()
    assert [(action, username) for action, username, _ in rows] == [("INSERT", "admin"), ("UPDATE", "admin")]
    assert [reason for _, _, reason in rows] == ["Cover", "Back"]


# -- acting for Dr X -------------------------------------------------------------------------------------------


def test_acting_for_a_doctor_is_attributed_on_behalf_in_the_journal_api(client, api, sql_conn):
    patient = make_patient(sql_conn)
    grant(client, api("admin"), grantee="nurse", acts_for="doctor", ends_at=in_one_hour(), reason="Renewals")
    nurse = api("nurse")
    assert client.get(f"/api/v1/patients/{patient}", headers=nurse).status_code == 200
    acting = {**nurse, "X-On-Behalf-Of": "doctor"}
    assert client.get(f"/api/v1/patients/{patient}", headers=acting).status_code == 200
    reads = sql_conn.execute(
        "SELECT username, on_behalf_of FROM access_log WHERE patient_id = %s ORDER BY id", [patient]
    ).fetchall()
    assert reads == [("nurse", None), ("nurse", "doctor")]
    # Acting for Dr X gives Dr X's roles: the nurse reads prescriptions... only while acting for them.
    assert client.get(PRESCRIPTIONS, headers=nurse).status_code == 200  # nurses read prescriptions anyway
    assert client.get("/api/v1/staff/", headers=nurse).status_code == 403
    assert client.get("/api/v1/staff/", headers=acting).status_code == 200
    mine = client.get("/api/v1/delegation/mine", headers=acting).get_json()
    assert mine["on_behalf_of"] == "doctor" and mine["may_act_for"] == ["doctor"]


def test_acting_for_someone_without_a_delegation_is_refused_naming_the_header(client, api):
    answer = client.get("/api/v1/patients/", headers={**api("nurse"), "X-On-Behalf-Of": "doctor"})
    assert answer.status_code == 403
    assert "X-On-Behalf-Of" in str(answer.get_json()["message"])


def test_acting_for_in_the_browser_is_journaled_until_revoked(app, client, api, sql_conn):
    patient = make_patient(sql_conn)
    delegation_id = grant(
        client, api("admin"), grantee="secretary", acts_for="doctor", ends_at=in_one_hour(), reason="Agenda"
    ).get_json()["id"]
    browser = app.test_client()
    browser_login(browser, "secretary")
    mine = browser.get("/delegations/mine/").get_data(as_text=True)
    assert "Act for doctor" in mine
    answer = browser.post("/delegations/mine/act-for", data={"username": "doctor", "csrf_token": csrf_token(mine)})
    assert answer.status_code == 302
    page = browser.get(f"/patients/show/{patient}")
    assert page.status_code == 200
    assert "On behalf of doctor" in page.get_data(as_text=True)
    client.post(f"/api/v1/delegation/{delegation_id}/revoke", json={"reason": "Done"}, headers=api("admin"))
    again = browser.get(f"/patients/show/{patient}")  # as themselves again, and told so
    assert again.status_code == 200
    assert "act for doctor is over" in again.get_data(as_text=True)
    assert "On behalf of doctor" not in again.get_data(as_text=True)
    reads = sql_conn.execute(
        "SELECT username, on_behalf_of FROM access_log WHERE patient_id = %s ORDER BY id", [patient]
    ).fetchall()
    assert reads == [("secretary", "doctor"), ("secretary", None)]


def test_acting_for_dr_x_manages_dr_xs_agenda_and_prepares_but_never_signs(app, client, api, clinic):
    from app.agenda.access import may_write_agenda
    from app.core.extensions import db
    from app.prescribing.access import may_renew, may_sign

    grant(client, api("admin"), grantee="nurse", acts_for="doctor", ends_at=in_one_hour(), reason="Renewals")
    with app.app_context():
        sm = app.appbuilder.sm
        nurse = sm.find_user(username="nurse")
        as_herself = sm.actor_for(nurse)
        acting = sm.actor_for(nurse, "doctor")
        assert acting.on_behalf_of == "doctor" and "Doctor" in acting.roles
        assert not may_write_agenda(db.session, as_herself, clinic["martin"])
        assert may_write_agenda(db.session, acting, clinic["martin"])  # Dr Martin is the `doctor` login
        assert not may_write_agenda(db.session, acting, clinic["petit"])
        assert may_renew(db.session, acting)

        class Draft:
            prescriber_id = clinic["martin"]

        assert not may_sign(db.session, acting, Draft())
        doctor = sm.actor_for(sm.find_user(username="doctor"))
        assert may_sign(db.session, doctor, Draft())


# -- screens ------------------------------------------------------------------------------------------------------


def test_an_administrator_grants_lists_and_revokes_on_the_screen(client, login, sql_conn):
    login("admin")
    page = client.get("/delegations/").get_data(as_text=True)
    ends = (datetime.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    answer = client.post(
        "/delegations/grant",
        data={
            "csrf_token": csrf_token(page),
            "grantee": "radiologist",
            "kind": "role",
            "role": "Doctor",
            "ends_at": ends,
            "reason": "Holiday cover",
        },
        follow_redirects=True,
    )
    listing = answer.get_data(as_text=True)
    assert "granted" in listing and "Holiday cover" in listing and "delegation-active" in listing
    refused = client.post(
        "/delegations/grant",
        data={
            "csrf_token": csrf_token(listing),
            "grantee": "radiologist",
            "kind": "role",
            "role": "Doctor",
            "ends_at": ends,
            "reason": "",
        },
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "reason:" in refused
    (delegation_id,) = sql_conn.execute("SELECT id FROM delegations").fetchone()
    revoked = client.post(
        f"/delegations/{delegation_id}/revoke",
        data={"csrf_token": csrf_token(refused), "reason": "Cancelled"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "delegation-revoked" in revoked and "Cancelled" in revoked
    assert "delegation-active" not in client.get("/delegations/?status=active").get_data(as_text=True)


def test_a_non_administrator_cannot_grant_on_the_screen(client, login, sql_conn):
    login("doctor")
    home = client.get("/").get_data(as_text=True)
    answer = client.post(
        "/delegations/grant",
        data={
            "csrf_token": csrf_token(home) if "csrf_token" in home else "",
            "grantee": "nurse",
            "kind": "role",
            "role": "Doctor",
            "ends_at": "2030-01-01T08:00",
            "reason": "x",
        },
    )
    assert answer.status_code in (302, 403)
    assert sql_conn.execute("SELECT count(*) FROM delegations").fetchone()[0] == 0


# -- the command line ------------------------------------------------------------------------------------------


def test_the_command_line_grants_lists_and_revokes_as_an_administrator(app, sql_conn):
    runner = app.test_cli_runner()
    ends = (datetime.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    refused = runner.invoke(
        args=["delegations", "grant", "nurse", "--role", "Auditor", "--until", ends, "--reason", "x"]
    )
    assert refused.exit_code == 1 and "--as" in refused.output
    refused = runner.invoke(
        args=["delegations", "list", "--as", "nurse"],
    )
    assert refused.exit_code == 1  # a nurse does not read the delegations...
    command = ["delegations", "grant", "nurse", "--role", "Auditor", "--until", ends, "--reason", "Audit week"]
    done = runner.invoke(args=[*command, "--as", "admin"])
    assert done.exit_code == 0, done.output
    listed = runner.invoke(args=["delegations", "list", "--as", "nurse"])  # ...until she is an auditor for a week
    assert listed.exit_code == 0 and "role Auditor" in listed.output and "Audit week" in listed.output
    (delegation_id,) = sql_conn.execute("SELECT id FROM delegations").fetchone()
    revoked = runner.invoke(args=["delegations", "revoke", str(delegation_id), "--reason", "Done", "--as", "admin"])
    assert revoked.exit_code == 0, revoked.output
    assert runner.invoke(args=["delegations", "list", "--as", "nurse"]).exit_code == 1


def test_the_command_line_acts_for_someone_only_under_a_delegation_in_force(app, client, api):
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["delegations", "list", "--as", "nurse", "--on-behalf-of", "auditor"])
    assert refused.exit_code == 2 and "auditor" in refused.output
    grant(client, api("admin"), grantee="nurse", acts_for="auditor", ends_at=in_one_hour(), reason="Audit cover")
    acting = runner.invoke(args=["delegations", "list", "--as", "nurse", "--on-behalf-of", "auditor"])
    assert acting.exit_code == 0, acting.output  # the auditor's role, while acting for them
    assert "act for auditor" in acting.output


def test_the_maximum_length_is_set_by_an_administrator(app, client, api, sql_conn):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["delegations", "max-days", "7", "--as", "nurse"]).exit_code == 1
    assert runner.invoke(args=["delegations", "max-days", "7", "--as", "admin"]).exit_code == 0
    too_long = (datetime.now(UTC) + timedelta(days=8)).isoformat()
    answer = grant(client, api("admin"), grantee="nurse", role="Doctor", ends_at=too_long, reason="x")
    assert answer.status_code == 422 and "7 days" in answer.get_json()["message"]["ends_at"][0]


def test_a_user_with_no_delegation_costs_no_query_more_and_one_with_costs_one(app, client, api, login):
    from tests.integration.test_permission_checks import count_queries

    login("secretary")
    without = count_queries(app, client, "/patients/list/")
    grant(app.test_client(), api("admin"), grantee="secretary", role="Radiologist", ends_at=in_one_hour(), reason="x")
    with_one = count_queries(app, client, "/patients/list/")
    assert with_one == without + 1


# -- attribution in the change audit (audit_log.on_behalf_of, migration 0084) ----------------------------------


def last_patient_entry(sql_conn, patient_id: int):
    return sql_conn.execute(
        "SELECT app_username, on_behalf_of FROM audit_log"
        " WHERE table_name = 'public.patients' AND row_pk = %s ORDER BY id DESC LIMIT 1",
        [str(patient_id)],
    ).fetchone()


def test_a_change_made_acting_for_dr_x_is_attributed_on_behalf_in_the_audit_jwt(client, api, sql_conn):
    patient = make_patient(sql_conn)
    grant(client, api("admin"), grantee="nurse", acts_for="doctor", ends_at=in_one_hour(), reason="Ward round")
    nurse = api("nurse")
    acting = {**nurse, "X-On-Behalf-Of": "doctor"}
    assert client.put(f"/api/v1/patients/{patient}", json={"city": "Lyon"}, headers=acting).status_code == 200
    assert last_patient_entry(sql_conn, patient) == ("nurse", "doctor")
    # In her own name, a nurse writes the care fields only (Dr X's roles came with acting for Dr X).
    assert client.put(f"/api/v1/patients/{patient}", json={"city": "Nice"}, headers=nurse).status_code == 403
    assert client.put(f"/api/v1/patients/{patient}", json={"notes": "Seen"}, headers=nurse).status_code == 200
    assert last_patient_entry(sql_conn, patient) == ("nurse", None)


def test_a_change_made_acting_for_dr_x_in_the_browser_is_attributed_until_revoked(app, client, api, sql_conn):
    patient = make_patient(sql_conn)
    delegation_id = grant(
        client, api("admin"), grantee="secretary", acts_for="doctor", ends_at=in_one_hour(), reason="Agenda"
    ).get_json()["id"]
    browser = app.test_client()
    browser_login(browser, "secretary")
    token = csrf_token(browser.get("/delegations/mine/").get_data(as_text=True))
    browser.post("/delegations/mine/act-for", data={"username": "doctor", "csrf_token": token})
    changed = browser.put(f"/api/v1/patients/{patient}", json={"city": "Lyon"}, headers={"X-CSRFToken": token})
    assert changed.status_code == 200, changed.get_json()
    assert last_patient_entry(sql_conn, patient) == ("secretary", "doctor")
    client.post(f"/api/v1/delegation/{delegation_id}/revoke", json={"reason": "Done"}, headers=api("admin"))
    again = browser.put(f"/api/v1/patients/{patient}", json={"city": "Nice"}, headers={"X-CSRFToken": token})
    assert again.status_code == 200
    assert last_patient_entry(sql_conn, patient) == ("secretary", None)


def test_a_role_requiring_a_second_factor_is_not_delegated_to_someone_without_one(app, client, api):
    admin = api("admin")
    app.config["MFA_REQUIRED_ROLES"] = "Admin,Doctor"  # put back after the test (the app fixture)
    refused = grant(client, admin, grantee="nurse", role="Doctor", ends_at=in_one_hour(), reason="x")
    assert refused.status_code == 422 and "second factor" in refused.get_json()["message"]["grantee"][0]
    refused = grant(client, admin, grantee="nurse", acts_for="doctor", ends_at=in_one_hour(), reason="x")
    assert refused.status_code == 422 and "grantee" in refused.get_json()["message"]
    assert grant(client, admin, grantee="nurse", role="Secretary", ends_at=in_one_hour(), reason="x").status_code == 201


def test_the_openapi_spec_lists_the_delegation_endpoints(client, api):
    spec = client.get("/api/v1/_openapi", headers=api("admin")).get_json()
    paths = {path.removeprefix("/api/v1"): operations for path, operations in spec["paths"].items()}
    assert {"get", "post"} <= set(paths["/delegation/"])
    assert "post" in paths["/delegation/{pk}/revoke"]
    assert "get" in paths["/delegation/mine"]
    required = paths["/delegation/"]["post"]["requestBody"]["content"]["application/json"]["schema"]["required"]
    assert required == ["grantee", "ends_at", "reason"]
