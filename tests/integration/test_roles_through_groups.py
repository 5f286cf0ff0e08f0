"""A role given through a group (FAB's Security > Groups) counts as a role
given to the user directly, at every step: the menus and FAB's permission
checks, the domain's rules, and the requirement of a second factor.

The user's role names are read as one array with the user (issue 22).
Before, FAB's checks counted the groups' roles but the domain's rules (the
Actor) and the second-factor requirement read only the user's own: a
doctor by group saw the doctors' screens, was refused by their rules,
and signed in without a second factor."""

import pytest

from tests.agenda import make_patient
from tests.conftest import TEST_PASSWORD, browser_login


@pytest.fixture
def doctor_by_group(app):
    """'cardio': no role of their own, a Doctor through the group Cardiology."""
    with app.app_context():
        sm = app.appbuilder.sm
        group = sm.add_group("cardiology", "Cardiology", "The cardiologists", roles=[sm.find_role("Doctor")])
        sm.add_user("cardio", "Carla", "Dio", "cardio@test.local", [], password=TEST_PASSWORD, groups=[group])
    return "cardio"


def test_a_doctor_by_group_reads_the_patients_a_doctor_reads(client, login, sql_conn, doctor_by_group):
    patient = make_patient(sql_conn, "Lagarde", "Inès")
    login(doctor_by_group)
    listed = client.get("/patients/list/")
    assert listed.status_code == 200 and "LAGARDE" in listed.get_data(as_text=True).upper()
    page = client.get(f"/patients/show/{patient}")
    assert page.status_code == 200 and "Lagarde" in page.get_data(as_text=True)


def test_a_doctor_by_group_uses_the_api_as_a_doctor(client, api, sql_conn, doctor_by_group):
    make_patient(sql_conn, "Lagarde", "Inès")
    answer = client.get("/api/v1/patients/", headers=api(doctor_by_group))
    assert answer.status_code == 200, answer.get_json()
    assert [row["last_name"] for row in answer.get_json()["result"]] == ["Lagarde"]


def test_a_role_given_through_a_group_requires_the_second_factor(app, client, doctor_by_group):
    app.config["MFA_REQUIRED_ROLES"] = "Admin,Doctor"
    landed = browser_login(client, doctor_by_group)
    assert landed.request.path == "/mfa/enrol/"
    token = app.test_client().post(
        "/api/v1/security/login", json={"username": doctor_by_group, "password": TEST_PASSWORD, "provider": "db"}
    )
    assert token.status_code == 401 and "two-factor" in token.get_json()["message"]


def test_each_user_acts_with_their_own_roles_only(client, api, doctor_by_group):
    """The array of role names is the signed-in user's, not every user's:
    the secretary and the doctor by group are refused the audit, which the
    auditor of the same database reads."""
    assert client.get("/api/audit/stats", headers=api("auditor")).status_code == 200
    for username in ("secretary", doctor_by_group):
        assert client.get("/api/audit/stats", headers=api(username)).status_code == 403, username
