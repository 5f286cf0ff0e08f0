"""Malformed input found by hand at CareTrail's doors: each is a 4xx that
names what is wrong, never a 500, and nothing is written."""

import json

import psycopg
import pytest

from tests.conftest import TEST_PASSWORD, csrf_token

HUGE_ID = 2**63  # one past PostgreSQL's bigint


def patient_count(sql_conn) -> int:
    return sql_conn.execute("SELECT count(*) FROM patients").fetchone()[0]


def test_a_nul_byte_in_the_login_username_is_a_400_before_any_login(client):
    page = client.get("/login/")
    form = client.post(
        "/login/",
        data={
            "username": "ad\x00min",
            "password": TEST_PASSWORD,
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )
    assert form.status_code == 400
    api = client.post("/api/v1/security/login", json={"username": "ad\x00min", "password": "x", "provider": "db"})
    assert api.status_code == 400 and api.get_json()["message"] == {"username": ["A NUL character is not allowed."]}


def test_a_nul_byte_in_filters_and_free_text_is_a_400_naming_the_field(client, login, api, sql_conn):
    login("admin")
    screen = client.get("/patients/list/", query_string={"_flt_0_last_name": "du\x00bois"})
    assert screen.status_code == 400 and "NUL" in screen.get_data(as_text=True)
    headers = api("admin")
    rison = client.get(
        "/api/v1/patients/", headers=headers, query_string={"q": "(filters:!((col:last_name,opr:ct,value:'a\x00b')))"}
    )
    assert rison.status_code == 400 and "q" in rison.get_json()["message"]
    before = patient_count(sql_conn)
    body = {"last_name": "Dubois", "first_name": "Marie", "birth_date": "1980-02-03", "sex": "F", "notes": "a\x00b"}
    created = client.post("/api/v1/patients/", headers=headers, json=body)
    assert created.status_code == 400 and created.get_json()["message"] == {
        "notes": ["A NUL character is not allowed."]
    }
    assert patient_count(sql_conn) == before


def test_a_lone_surrogate_in_json_is_a_400(client, api, sql_conn):
    before = patient_count(sql_conn)
    raw = '{"last_name": "\\ud800", "first_name": "Marie", "birth_date": "1980-02-03", "sex": "F"}'
    response = client.post("/api/v1/patients/", headers={**api("admin"), "Content-Type": "application/json"}, data=raw)
    assert response.status_code == 400
    assert response.get_json()["message"] == {"last_name": ["This text is not valid Unicode."]}
    assert patient_count(sql_conn) == before


def test_json_nested_5000_deep_is_a_400_not_a_crash(client, api):
    raw = "[" * 5000 + "]" * 5000
    response = client.post("/api/v1/patients/", headers={**api("admin"), "Content-Type": "application/json"}, data=raw)
    assert response.status_code == 400 and "nested" in response.get_json()["message"]["body"][0]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ('{"city": ', "not valid JSON: Expecting value (line 1, column 10)"),
        ('{"city": "Lyon",}', "not valid JSON: Expecting property name enclosed in double quotes (line 1, column 17)"),
        (b'{"city": "Ly\xe9on"}', "not UTF-8 text"),
        ("[1, 2]", "must be a JSON object"),
        ('"Lyon"', "must be a JSON object"),
        ("null", "must be a JSON object"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_a_400_saying_why(client, api, sql_conn, raw, reason):
    """FAB answered broken JSON with werkzeug's "could not understand", and
    turned `[1, 2]` or `null` sent to an update into a 500."""
    patient = sql_conn.execute(
        "INSERT INTO patients (last_name, first_name, birth_date, sex, city)"
        " VALUES ('Dubois', 'Marie', '1980-02-03', 'F', 'Paris') RETURNING id"
    ).fetchone()[0]
    headers = {**api("admin"), "Content-Type": "application/json"}
    before = patient_count(sql_conn)
    for method, path in (("put", f"/api/v1/patients/{patient}"), ("post", "/api/v1/patients/")):
        response = getattr(client, method)(path, headers=headers, data=raw)
        assert response.status_code == 400, (method, response.get_data(as_text=True))
        (message,) = response.get_json()["message"]["body"]
        assert reason in message, message
    assert patient_count(sql_conn) == before
    assert sql_conn.execute("SELECT city FROM patients WHERE id = %s", (patient,)).fetchone() == ("Paris",)


def test_an_empty_body_declared_as_json_is_left_to_the_endpoint(client, api):
    """`curl -X POST -H 'Content-Type: application/json'` sends no body and
    no length: an endpoint whose body is optional (a prescription's
    signature) still takes it as no values; the guard refuses only a body
    that is there and is not JSON."""
    headers = {**api("doctor"), "Content-Type": "application/json"}
    response = client.post("/api/v1/prescriptions/999999999/sign", headers=headers, data=b"")
    assert response.status_code == 404, response.get_json()  # no such prescription: the endpoint answered
    spaces = client.post("/api/v1/prescriptions/999999999/sign", headers=headers, data=b"  ")
    assert spaces.status_code == 404, spaces.get_json()


@pytest.mark.parametrize("path", ["/api/v1/patients/{id}", "/api/v1/appointments/{id}", "/api/v1/documents/{id}"])
def test_ids_beyond_bigint_are_not_found(client, api, path):
    for value in (HUGE_ID, 10**30):
        response = client.get(path.format(id=value), headers=api("admin"))
        assert response.status_code in (400, 404), (path, value, response.status_code)
        assert response.is_json


def test_ids_beyond_bigint_on_screens_and_writes(client, login, api):
    login("admin")
    assert client.get(f"/patients/show/{HUGE_ID}").status_code in (400, 404)
    assert client.get(f"/appointments/ics/{HUGE_ID}").status_code == 404
    response = client.put(f"/api/v1/patients/{HUGE_ID}", headers=api("admin"), json={"city": "Lyon"})
    assert 400 <= response.status_code < 500


@pytest.mark.parametrize(
    ("q", "field"),
    [
        ("((((", "q"),
        ("(page:-5)", "page"),
        ("(page:99999999999999999999999)", "page"),  # past bigint: the database's "out of range" named no field
        ("(page_size:-1)", "page_size"),
        ("(page_size:abc)", "q"),
        ("(order_column:nope,order_direction:asc)", "order_column"),
    ],
)
def test_rison_that_cannot_be_used_is_a_400(client, api, q, field):
    response = client.get("/api/v1/patients/", headers=api("admin"), query_string={"q": q})
    assert response.status_code == 400, response.get_json()
    assert field in response.get_json()["message"], response.get_json()


@pytest.mark.parametrize(
    "query",
    [
        {"page_PatientView": "-1"},
        {"page_PatientView": "abc"},
        {"psize_PatientView": "abc"},
        {"_oc_PatientView": "nope", "_od_PatientView": "asc"},
    ],
)
def test_list_paging_and_ordering_that_cannot_be_used_is_a_400_on_screens(client, login, query):
    login("admin")
    response = client.get("/patients/list/", query_string=query)
    assert response.status_code == 400


# Digits that are not ASCII: "²" is a digit to str.isdigit() but not to
# int() (each of these was a 500), "٣" an Arabic-Indic 3.
NOT_ASCII_DIGITS = ("²", "٣")


@pytest.mark.parametrize(
    ("username", "path", "refused"),
    [
        ("admin", "/patients/show/{n}", (404,)),
        ("admin", "/patients/list/?page_PatientView={n}", (400,)),
        ("admin", "/patients/list/?psize_PatientView={n}", (400,)),
        ("admin", "/appointments/list/?page_AppointmentView={n}", (400,)),
        ("secretary", "/find-slot/?duration={n}", (400,)),
        ("secretary", "/find-slot/?patient_id={n}", (200,)),  # no patient chosen
        ("admin", "/security/log/?page={n}", (200,)),  # the first page
        ("auditor", "/access-log/?patient_id={n}", (400,)),
        ("auditor", "/audit/?patient={n}", (400,)),
    ],
)
def test_digits_that_are_not_ascii_are_no_number_and_never_a_500(client, login, username, path, refused):
    """Every id, page and count read from a request takes ASCII digits only
    (app/core/normalize.py's is_digits): anything else is refused, or read
    as no value, never a 500 and never the number it looks like."""
    login(username)
    for digit in NOT_ASCII_DIGITS:
        response = client.get(path.format(n=digit))
        assert response.status_code in refused, (path, digit, response.status_code)


def test_a_body_over_the_request_limit_is_a_413_and_nothing_is_stored(app, client, api, sql_conn):
    before = patient_count(sql_conn)
    body = {"last_name": "Dubois", "first_name": "Marie", "birth_date": "1980-02-03", "sex": "F"}
    body["notes"] = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post(
        "/api/v1/patients/", headers=api("admin"), data=json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 413 and response.is_json
    assert patient_count(sql_conn) == before


def test_a_database_that_cannot_be_reached_is_a_503_in_plain_words(
    app, client, login, api, postgres_server, database_name
):
    headers = api("admin")
    login("admin")
    # A sign-in form as a browser posts it, token included (the login page
    # reads no database: without its token the answer is a 400 at once).
    form = app.test_client()
    token = csrf_token(form.get("/login/").get_data(as_text=True))
    with psycopg.connect(postgres_server.conninfo(), autocommit=True) as admin:
        # Refuse new connections and end the app's: the database is "down" for it.
        admin.execute(f'ALTER DATABASE "{database_name}" WITH ALLOW_CONNECTIONS false')
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [database_name])
        try:
            api_answer = client.get("/api/v1/patients/", headers=headers)
            screen = client.get("/patients/list/")
            jwt_login = client.post(
                "/api/v1/security/login",
                json={"username": "doctor", "password": "whatever-it-is", "provider": "db"},
            )
            form_login = form.post(
                "/login/", data={"username": "doctor", "password": "whatever-it-is", "csrf_token": token}
            )
        finally:
            admin.execute(f'ALTER DATABASE "{database_name}" WITH ALLOW_CONNECTIONS true')
    assert api_answer.status_code == 503 and api_answer.is_json
    assert "database" in api_answer.get_json()["message"].lower()
    assert screen.status_code == 503 and "cannot be reached" in screen.get_data(as_text=True)
    # Both login doors too: no sign-in attempt turns into a 500.
    assert jwt_login.status_code == 503 and jwt_login.is_json
    assert form_login.status_code == 503 and "cannot be reached" in form_login.get_data(as_text=True)


def test_a_connection_lost_while_the_user_loads_is_a_database_unreachable(app, sql_conn):
    """The server ends the request's connection (a restart, a DBA's
    pg_terminate_backend) just before the signed-in user's statement: the
    answer is the 503 of a database that cannot be reached, not a 500 (the
    end of the user's loading stamped the dead transaction, and SQLAlchemy's
    "roll back first" hid the lost connection)."""
    import sqlalchemy as sa

    from app.core.answers import error_from_exception
    from app.core.db_context import loading_request_user
    from app.core.errors import DatabaseUnreachable
    from app.core.extensions import db

    with app.test_request_context("/patients/list/"):
        try:
            with pytest.raises(sa.exc.DBAPIError) as lost, loading_request_user():
                # The request's transaction opens in the block, as the user's statement opens it.
                pid = db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar()
                sql_conn.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
                db.session.execute(sa.text("SELECT 1"))
            assert isinstance(error_from_exception(lost.value), DatabaseUnreachable)
        finally:
            db.session.rollback()
            db.session.remove()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("{broken", "body"),
        ("[1, 2]", "body"),
        ('{"username": "doctor", "password": 12}', "password"),
        ('{"username": ["doctor"], "password": "x"}', "username"),
        ('{"password": "x"}', "username"),
        ('{"username": "doctor", "password": "x", "provider": "ldap"}', "provider"),
        ('{"username": "doctor", "password": "x", "refresh": "yes"}', "refresh"),
    ],
)
def test_the_jwt_login_names_the_field_it_refuses(client, body, field):
    response = client.post("/api/v1/security/login", data=body, content_type="application/json")
    assert response.status_code == 400 and response.is_json
    message = response.get_json()["message"]
    assert isinstance(message, dict) and field in message, message
