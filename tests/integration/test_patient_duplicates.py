"""A likely duplicate (similar name, same date of birth) is shown before a
new patient is saved, at every door (issue 15 point 8)."""

import pytest

from tests.conftest import csrf_token
from tests.factories import patient_payload
from tests.integration.test_patient_screens import FORM, patient_rows, submit

URL = "/api/v1/patients/"


def new(**fields) -> dict:
    return patient_payload(nir=None, **fields)


def count(sql_conn) -> int:
    return sql_conn.execute("SELECT count(*) FROM patients").fetchone()[0]


def test_the_api_answers_409_with_the_candidates_then_saves_once_confirmed(client, api, sql_conn):
    headers = api("secretary")
    first = client.post(URL, json=new(last_name="Dubois", first_name="Marie"), headers=headers).get_json()["id"]
    again = client.post(URL, json=new(last_name="DUBOIS", first_name="Marie"), headers=headers)
    assert again.status_code == 409, again.get_json()
    body = again.get_json()
    assert "Likely duplicate" in body["message"] and [c["id"] for c in body["candidates"]] == [first]
    assert count(sql_conn) == 1
    confirmed = client.post(
        URL,
        json=new(last_name="DUBOIS", first_name="Marie"),
        headers=headers,
        query_string={"confirm_duplicate": "true"},
    )
    assert confirmed.status_code == 201
    assert count(sql_conn) == 2


@pytest.mark.parametrize(
    "last_name, first_name",
    [("Dubois", "Marie-Hélène"), ("Marie", "Dubois"), ("Dubóis", "Marïe"), ("Dubois", "Maria")],
)
def test_similar_names_born_the_same_day_are_likely_duplicates(client, api, last_name, first_name):
    headers = api("secretary")
    assert client.post(URL, json=new(last_name="Dubois", first_name="Marie"), headers=headers).status_code == 201
    response = client.post(URL, json=new(last_name=last_name, first_name=first_name), headers=headers)
    assert response.status_code == 409


@pytest.mark.parametrize(
    "fields", [{"last_name": "Durand", "first_name": "Paul", "sex": "M"}, {"birth_date": "1985-05-18"}]
)
def test_another_name_or_another_birth_date_is_no_duplicate(client, api, fields):
    headers = api("secretary")
    assert client.post(URL, json=new(last_name="Dubois", first_name="Marie"), headers=headers).status_code == 201
    assert (
        client.post(
            URL, json=new(**{"last_name": "Dubois", "first_name": "Marie", **fields}), headers=headers
        ).status_code
        == 201
    )


def test_the_form_warns_and_saves_only_once_ticked(client, login, sql_conn):
    login("secretary")
    submit(client, "/patients/add", FORM)
    warned = submit(client, "/patients/add", {**FORM, "last_name": "LEFEVRE"}).get_data(as_text=True)
    assert "Likely duplicate: LEFÈVRE Hélène" in warned
    assert len(patient_rows(sql_conn)) == 1
    # The box appears on the refused form: tick it there and save again.
    assert 'name="confirm_duplicate"' in warned
    shown = {name: value for name, value in FORM.items() if f'name="{name}"' in warned}
    data = {**shown, "last_name": "LEFEVRE", "confirm_duplicate": "y", "csrf_token": csrf_token(warned)}
    client.post("/patients/add", data=data, follow_redirects=True)
    assert len(patient_rows(sql_conn)) == 2
