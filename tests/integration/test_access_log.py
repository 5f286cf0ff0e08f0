"""The journal of reads (access_log, migration 0071): each kind of read is
recorded, the application's role cannot alter it, and "who accessed this
record" lists the reads for administrators and auditors only."""

import psycopg
import pytest
from psycopg import errors

from tests.conftest import APP_ROLE, APP_ROLE_PASSWORD, browser_login
from tests.documents import make_chart


def journal(sql_conn, patient_id: int) -> list[tuple]:
    return sql_conn.execute(
        "SELECT username, action, door FROM access_log WHERE patient_id = %s ORDER BY id", [patient_id]
    ).fetchall()


@pytest.fixture
def patient(sql_conn) -> int:
    return sql_conn.execute(
        "INSERT INTO patients (last_name, first_name, birth_date, sex) VALUES ('Roux', 'Léa', '1990-01-01', 'F')"
        " RETURNING id"
    ).fetchone()[0]


def test_each_kind_of_read_is_journaled(app, client, api, sql_conn, patient):
    doctor = app.test_client()  # a browser session of its own (the API client sends no cookie)
    browser_login(doctor, "doctor")
    assert doctor.get(f"/patients/show/{patient}").status_code == 200
    assert doctor.get(f"/audit/patient/{patient}").status_code == 200
    headers = api("nurse")
    assert client.get(f"/api/v1/patients/{patient}", headers=headers).status_code == 200
    assert client.get(f"/api/audit/patients/{patient}", headers=api("auditor")).status_code == 200
    # A list is not a read of one record; a missing record is no read.
    assert client.get("/api/v1/patients/", headers=headers).status_code == 200
    assert client.get("/api/v1/patients/999999", headers=headers).status_code == 404
    assert journal(sql_conn, patient) == [
        ("doctor", "view", "screen"),
        ("doctor", "history", "screen"),
        ("nurse", "view", "api"),
        ("auditor", "history", "api"),
    ]
    (address,) = sql_conn.execute("SELECT host(client_addr) FROM access_log WHERE patient_id = %s LIMIT 1", [patient])
    assert address == ("127.0.0.1",)


def test_documents_are_journaled_as_print_and_export(client, api, sql_conn):
    chart = make_chart(sql_conn, appointments=0)
    patient = chart["dubois"]
    headers = api("doctor")
    issued = client.post(f"/api/v1/patients/{patient}/documents", headers=headers, json={"kind": "patient_record"})
    assert issued.status_code == 201, issued.get_json()
    url = f"/api/v1/documents/{issued.get_json()['id']}/download"
    assert client.get(url, headers=headers).status_code == 200
    assert client.get(url, headers=headers, query_string={"disposition": "inline"}).status_code == 200
    assert journal(sql_conn, patient) == [
        ("doctor", "print", "document"),
        ("doctor", "export", "document"),
        ("doctor", "print", "document"),
    ]


def test_the_application_role_cannot_alter_the_journal(postgres_server, database_name, sql_conn, patient):
    sql_conn.execute(
        "INSERT INTO access_log (username, patient_id, action, door) VALUES ('doctor', %s, 'view', 'screen')",
        [patient],
    )
    conninfo = postgres_server.conninfo(database_name)
    with psycopg.connect(conninfo, user=APP_ROLE, password=APP_ROLE_PASSWORD, autocommit=True) as app_conn:
        app_conn.execute(
            "INSERT INTO access_log (username, patient_id, action, door) VALUES ('nurse', %s, 'view', 'api')",
            [patient],
        )
        for statement in (
            "UPDATE access_log SET username = 'nobody'",
            "DELETE FROM access_log",
            "TRUNCATE access_log",
        ):
            with pytest.raises(errors.InsufficientPrivilege):
                app_conn.execute(statement)
    # Nor the owner: the trigger refuses everyone.
    for statement in ("UPDATE access_log SET username = 'nobody'", "DELETE FROM access_log", "TRUNCATE access_log"):
        with pytest.raises(errors.InsufficientPrivilege):
            sql_conn.execute(statement)
    assert [row[0] for row in journal(sql_conn, patient)] == ["doctor", "nurse"]
    # A read is not a change: the change audit holds none of it.
    (audited,) = sql_conn.execute("SELECT count(*) FROM audit_log WHERE table_name = 'public.access_log'").fetchone()
    assert audited == 0


def test_who_accessed_this_record_for_admins_and_auditors(app, client, api, sql_conn, patient):
    doctor = app.test_client()
    browser_login(doctor, "doctor")
    doctor.get(f"/patients/show/{patient}")
    client.get(f"/api/v1/patients/{patient}", headers=api("secretary"))

    auditor = app.test_client()
    browser_login(auditor, "auditor")
    page = auditor.get(f"/access-log/patient/{patient}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.index(">secretary<") < html.index(">doctor<")  # newest first
    assert "ROUX Léa" in html
    by_user = auditor.get("/access-log/", query_string={"user": "secretary"}).get_data(as_text=True)
    assert ">secretary<" in by_user and ">doctor<" not in by_user

    answer = client.get(f"/api/v1/access_log/patient/{patient}", headers=api("auditor"))
    assert answer.status_code == 200
    assert [(r["username"], r["action"], r["door"]) for r in answer.get_json()["result"]] == [
        ("secretary", "view", "api"),
        ("doctor", "view", "screen"),
    ]
    admin = client.get(
        "/api/v1/access_log/", headers=api("admin"), query_string={"patient_id": patient, "user": "doctor"}
    )
    assert [r["username"] for r in admin.get_json()["result"]] == ["doctor"]

    for username in ("doctor", "nurse", "secretary", "radiologist"):
        assert client.get(f"/api/v1/access_log/patient/{patient}", headers=api(username)).status_code == 403
    assert doctor.get(f"/access-log/patient/{patient}").status_code == 403
    bad = client.get("/api/v1/access_log/", headers=api("auditor"), query_string={"action": "edit"})
    assert bad.status_code == 400


def test_the_journal_screen_speaks_the_users_language(app, sql_conn, patient):
    """In French, the journal's screen says what each read was and through
    which door, in French, not the API's codes ('view', 'screen'); its title
    too, for the whole journal and for one record."""
    doctor = app.test_client()
    browser_login(doctor, "doctor")
    doctor.get(f"/patients/show/{patient}")
    auditor = app.test_client()
    browser_login(auditor, "auditor")
    assert auditor.get("/lang/fr").status_code == 302
    whole = auditor.get("/access-log/").get_data(as_text=True)
    assert "<h1>Journal des consultations</h1>" in whole
    assert '<td class="access-action" data-action="view">Dossier ouvert</td>' in whole
    assert "<td>Écran · 127.0.0.1</td>" in whole
    assert '<option value="break_glass" >Bris de glace</option>' in whole
    one = auditor.get(f"/access-log/patient/{patient}").get_data(as_text=True)
    assert f"<h1>Qui a consulté le dossier du patient n° {patient}</h1>" in one


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"patient_id": "²"}, "patient_id", "A whole number is expected."),  # a digit to str.isdigit(), not to int()
        ({"patient_id": "٣"}, "patient_id", "A whole number is expected."),  # an Arabic-Indic 3 is no id here
        ({"page_size": "²"}, "page_size", "A whole number is expected."),
        ({"before": "-1"}, "before", "A whole number is expected."),
        ({"patient_id": "9" * 25}, "patient_id", "This number is too large."),
    ],
)
def test_the_journals_numbers_are_ascii_digits_or_a_400_naming_them(client, api, query, field, message):
    answer = client.get("/api/v1/access_log/", headers=api("auditor"), query_string=query)
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert answer.get_json()["message"] == {field: [message]}
