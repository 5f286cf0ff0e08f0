"""REST API on patients: JWT login, CRUD, error JSON, 401/403/404."""

import pytest

from tests.factories import make_nir, patient_payload

URL = "/api/v1/patients/"


def count_patients(sql_conn) -> int:
    return sql_conn.execute("SELECT count(*) FROM patients").fetchone()[0]


def test_jwt_login_with_wrong_password_is_401(client):
    response = client.post("/api/v1/security/login", json={"username": "doctor", "password": "nope", "provider": "db"})
    assert response.status_code == 401


def test_crud_on_patients(client, api):
    headers = api("doctor")
    created = client.post(URL, json=patient_payload(last_name="  Dubois ", phone="06 12 34 56 78"), headers=headers)
    assert created.status_code == 201, created.get_json()
    patient_id = created.get_json()["id"]

    shown = client.get(f"{URL}{patient_id}", headers=headers).get_json()["result"]
    assert shown["last_name"] == "Dubois"  # stored trimmed
    assert shown["phone"] == "+33612345678"  # stored normalised
    assert shown["mrn"].startswith("IPP")

    updated = client.put(f"{URL}{patient_id}", json={"city": "Lyon", "postal_code": "69001"}, headers=headers)
    assert updated.status_code == 200, updated.get_json()
    assert client.get(f"{URL}{patient_id}", headers=headers).get_json()["result"]["city"] == "Lyon"

    admin = api("admin")
    assert client.delete(f"{URL}{patient_id}", headers=admin).status_code == 200
    assert client.get(f"{URL}{patient_id}", headers=admin).status_code == 404


def test_search_by_name_ignores_accents_and_case(client, api):
    headers = api("secretary")
    client.post(URL, json=patient_payload(last_name="Lefèvre", first_name="Hélène"), headers=headers)
    client.post(
        URL, json=patient_payload(last_name="Martin", first_name="Paul", sex="M", nir=make_nir()), headers=headers
    )
    for query in [
        "(filters:!((col:last_name,opr:ct,value:lefevre)))",
        "(filters:!((col:last_name,opr:sw,value:LEFÈ)))",
        "(filters:!((col:last_name,opr:name,value:'helene LEFEVRE')))",
    ]:
        found = client.get(URL, query_string={"q": query}, headers=headers).get_json()
        assert [p["first_name"] for p in found["result"]] == ["Hélène"], query


def test_unknown_filter_operation_is_400(client, api):
    response = client.get(
        URL, query_string={"q": "(filters:!((col:last_name,opr:nope,value:x)))"}, headers=api("doctor")
    )
    assert response.status_code == 400


def test_bad_nir_gives_field_error_json(client, api, sql_conn):
    response = client.post(URL, json=patient_payload(nir="185057800608492"), headers=api("doctor"))
    assert response.status_code == 422
    assert response.get_json() == {"message": {"nir": ["Invalid NIR key: 92 given, 91 expected."]}}
    assert count_patients(sql_conn) == 0


def test_invalid_fields_are_all_reported(client, api):
    response = client.post(
        URL, json=patient_payload(sex="Z", birth_date="2999-01-01", phone="call me", email="x@"), headers=api("doctor")
    )
    assert response.status_code == 422
    messages = response.get_json()["message"]
    assert set(messages) == {"sex", "birth_date", "phone", "email"}
    assert messages["birth_date"] == ["Birth date cannot be in the future."]


def test_missing_required_fields_are_reported(client, api):
    response = client.post(URL, json={"first_name": "Jean"}, headers=api("doctor"))
    assert response.status_code == 422
    assert set(response.get_json()["message"]) == {"last_name", "birth_date", "sex"}


def test_database_refusal_becomes_a_field_message_and_no_row(client, api, sql_conn):
    """The postal code has no Python validator: the CHECK constraint refuses it
    and the API reports it on the field instead of a 500 or raw SQL."""
    response = client.post(URL, json=patient_payload(postal_code="75@11"), headers=api("doctor"))
    assert response.status_code == 422
    assert response.get_json() == {"message": {"postal_code": ["Not a valid postal code."]}}
    assert count_patients(sql_conn) == 0


def test_duplicate_nir_is_a_field_message(client, api):
    headers = api("doctor")
    nir = make_nir("2850578006")
    assert client.post(URL, json=patient_payload(nir=nir), headers=headers).status_code == 201
    response = client.post(URL, json=patient_payload(nir=nir, first_name="Other"), headers=headers)
    assert response.status_code == 422
    assert response.get_json() == {"message": {"nir": ["This NIR is already recorded for another patient."]}}


def test_update_refused_by_database_keeps_the_row_unchanged(client, api, sql_conn):
    headers = api("doctor")
    patient_id = client.post(URL, json=patient_payload(city="Paris"), headers=headers).get_json()["id"]
    response = client.put(f"{URL}{patient_id}", json={"city": "Lyon", "postal_code": "69@01"}, headers=headers)
    assert response.status_code == 422
    assert sql_conn.execute("SELECT city FROM patients WHERE id = %s", [patient_id]).fetchone() == ("Paris",)


def test_not_json_is_400(client, api):
    response = client.post(URL, data="last_name=x", headers=api("doctor"))
    assert response.status_code == 400


def test_no_token_is_401(client):
    assert client.get(URL).status_code == 401
    assert client.post(URL, json=patient_payload()).status_code == 401


def test_missing_patient_is_404(client, api):
    assert client.get(f"{URL}999999", headers=api("doctor")).status_code == 404


# role -> (can read, can write, can delete) on patients, from the role matrix.
PATIENT_ACCESS = {
    "admin": (True, True, True),
    "doctor": (True, True, False),
    "secretary": (True, True, False),
    "nurse": (True, False, False),
    "radiologist": (True, False, False),
}


@pytest.mark.parametrize("username", PATIENT_ACCESS)
def test_role_matrix_on_patients_api(client, api, sql_conn, username):
    can_read, can_write, can_delete = PATIENT_ACCESS[username]
    (patient_id,) = sql_conn.execute(
        "INSERT INTO patients (last_name, first_name, birth_date, sex) "
        "VALUES ('Roux', 'Léa', '1990-01-01', 'F') RETURNING id"
    ).fetchone()
    headers = api(username)
    expect = {True: {200, 201}, False: {403}}
    assert client.get(URL, headers=headers).status_code in expect[can_read]
    assert client.get(f"{URL}{patient_id}", headers=headers).status_code in expect[can_read]
    assert client.post(URL, json=patient_payload(), headers=headers).status_code in expect[can_write]
    assert client.put(f"{URL}{patient_id}", json={"city": "Nice"}, headers=headers).status_code in expect[can_write]
    assert client.delete(f"{URL}{patient_id}", headers=headers).status_code in expect[can_delete]


# role -> (staff, rooms) access: "r" read only, "rwd" everything, "" nothing.
OTHER_ACCESS = {
    "admin": ("rwd", "rwd"),
    "doctor": ("r", "r"),
    "secretary": ("r", "r"),
    "nurse": ("", ""),
    "radiologist": ("", ""),
}


@pytest.mark.parametrize("username", OTHER_ACCESS)
def test_role_matrix_on_staff_and_rooms_api(client, api, username):
    headers = api(username)
    staff_access, room_access = OTHER_ACCESS[username]
    for url, access, payload in [
        ("/api/v1/staff/", staff_access, {"last_name": "Petit", "first_name": "Zoé", "profession": "nurse"}),
        ("/api/v1/rooms/", room_access, {"code": "CONS-9", "name": "Consultation 9", "kind": "consultation"}),
    ]:
        assert client.get(url, headers=headers).status_code == (200 if "r" in access else 403), url
        assert client.post(url, json=payload, headers=headers).status_code == (201 if "w" in access else 403), url


def test_openapi_spec_lists_the_record_apis(client, api):
    spec = client.get("/api/v1/_openapi", headers=api("admin"))
    assert spec.status_code == 200
    paths = spec.get_json()["paths"]
    assert {"/api/v1/patients/", "/api/v1/staff/", "/api/v1/rooms/"} <= set(paths)


def test_swagger_ui_needs_a_browser_login(client, login):
    assert client.get("/swagger/v1").status_code in (302, 401, 403)
    login("admin")
    page = client.get("/swagger/v1")
    assert page.status_code == 200 and "swagger" in page.get_data(as_text=True).lower()


def test_api_errors_do_not_leak_sql(client, api):
    response = client.post(URL, json=patient_payload(postal_code="75@11"), headers=api("doctor"))
    body = response.get_data(as_text=True)
    assert "INSERT" not in body and "psycopg" not in body and "CheckViolation" not in body


def test_refused_write_puts_no_patient_data_in_the_logs(client, api, caplog):
    """PostgreSQL quotes a refused row in its message; it must not reach the logs."""
    client.post(URL, json=patient_payload(last_name="Zyxwvutsrq", postal_code="75@11"), headers=api("doctor"))
    assert "Zyxwvutsrq" not in caplog.text


def test_nir_typed_in_groups_is_accepted_and_stored_normalised(client, api, sql_conn):
    response = client.post(URL, json=patient_payload(nir="2 85 05 78 006 084 41"), headers=api("secretary"))
    assert response.status_code == 201, response.get_json()
    assert sql_conn.execute("SELECT nir FROM patients").fetchone()[0] == "285057800608441"


def test_nir_contradicting_sex_or_birth_is_a_422_on_the_nir(client, api, sql_conn):
    headers = api("secretary")
    wrong_sex = client.post(URL, json=patient_payload(nir="1 85 05 78 006 084 91"), headers=headers)
    assert wrong_sex.status_code == 422
    assert "but the sex is F" in wrong_sex.get_json()["message"]["nir"][0]
    wrong_year = client.post(URL, json=patient_payload(birth_date="1986-05-17"), headers=headers)
    assert wrong_year.status_code == 422
    assert "the date of birth is in 1986" in wrong_year.get_json()["message"]["nir"][0]
    assert count_patients(sql_conn) == 0
    created = client.post(URL, json=patient_payload(), headers=headers).get_json()["id"]
    changed = client.put(f"{URL}{created}", json={"sex": "M"}, headers=headers)
    assert changed.status_code == 422 and "nir" in changed.get_json()["message"]
