"""GET /api/v1/search: patients by name (typos, accents), IPP, NIR, phone,
birth date; appointments, documents and prescriptions by patient; each group
only for a role that may read it."""

import pytest

from tests.agenda import book, paris, weekly_hours
from tests.prescribing import draft, make_ward


@pytest.fixture
def people(sql_conn):
    """The prescribing ward (tests/prescribing.py) with Hélène Dubois given a NIR, a
    birth date and a phone, an appointment with Dr Martin and a draft prescription."""
    ward = make_ward(sql_conn)
    dubois = ward["dubois"]
    sql_conn.execute(
        "UPDATE patients SET sex = 'M', nir = '185057800608491', birth_date = DATE '1985-05-12',"
        " phone = '+33612345678' WHERE id = %s",
        [dubois],
    )
    weekly_hours(sql_conn, ward["martin"])
    appointment = book(sql_conn, dubois, ward["martin"], paris(2030, 3, 12, 10))
    prescription = draft(sql_conn, dubois, ward["martin"], [next(iter(ward["med"].values()))])
    return {"appointment": appointment, "prescription": prescription, **ward}


def search(client, headers, q):
    return client.get("/api/v1/search", query_string={"q": q}, headers=headers)


def ids(answer, kind):
    return [row["id"] for row in answer.get_json()["groups"].get(kind, [])]


def test_a_typo_in_the_name_finds_the_patient(client, api, people):
    answer = search(client, api("doctor"), "dubuis")
    assert answer.status_code == 200
    assert people["dubois"] in ids(answer, "patients")
    assert answer.get_json()["matched_by"] == "name"


def test_accents_and_capitals_do_not_matter(client, api, people):
    assert ids(search(client, api("doctor"), "HELENE dubois"), "patients") == [people["dubois"]]


@pytest.mark.parametrize("typed", ["1 85 05 78 006 084 91", "185057800608491", "1850578006084"])
def test_nir_with_or_without_spaces(client, api, people, typed):
    answer = search(client, api("secretary"), typed)
    assert answer.get_json()["matched_by"] == "nir"
    assert ids(answer, "patients") == ([people["dubois"]] if len(typed.replace(" ", "")) == 15 else [])


@pytest.mark.parametrize("typed", ["12/05/1985", "1985-05-12"])
def test_birth_date_either_way(client, api, people, typed):
    answer = search(client, api("secretary"), typed)
    assert answer.get_json()["matched_by"] == "birth_date"
    assert ids(answer, "patients") == [people["dubois"]]


def test_phone_and_hospital_number(client, api, sql_conn, people):
    (mrn,) = sql_conn.execute("SELECT mrn FROM patients WHERE id = %s", [people["durand"]]).fetchone()
    assert ids(search(client, api("secretary"), "06 12 34 56 78"), "patients") == [people["dubois"]]
    assert ids(search(client, api("secretary"), mrn.lower()), "patients") == [people["durand"]]


def test_appointments_by_patient_and_by_doctor(client, api, people):
    headers = api("secretary")
    assert ids(search(client, headers, "dubois"), "appointments") == [people["appointment"]]
    answer = search(client, headers, "martin")
    assert people["appointment"] in ids(answer, "appointments")
    assert "Dr Martin" in answer.get_json()["groups"]["appointments"][0]["detail"]


def test_a_secretary_never_sees_prescriptions(client, api, people):
    secretary = search(client, api("secretary"), "dubois").get_json()["groups"]
    assert "prescriptions" not in secretary
    doctor = search(client, api("doctor"), "dubois").get_json()["groups"]
    assert [row["id"] for row in doctor["prescriptions"]] == [people["prescription"]]


def test_an_auditor_finds_no_patient_and_the_nir_needs_its_field(client, api, people):
    auditor = search(client, api("auditor"), "dubois").get_json()["groups"]
    assert auditor == {}


@pytest.mark.parametrize("q", ["", "   ", "du", "x" * 101])
def test_bad_input_is_a_400_naming_q(client, api, people, q):
    answer = search(client, api("doctor"), q)
    assert answer.status_code == 400
    assert "q" in str(answer.get_json())


def test_without_a_token_it_is_401(client, people):
    assert client.get("/api/v1/search?q=dubois").status_code == 401


def test_in_the_openapi_spec(client, api):
    spec = client.get("/api/v1/_openapi", headers=api("admin")).get_json()
    assert "/api/v1/search" in spec["paths"]
    assert "/api/v1/home/{kind}" in spec["paths"]
