"""/api/v1/prescriptions/: drafts with their lines, the checks without
saving, signing (an override reason for a contraindication), renewing,
cancelling; who may do what; bad input is a 4xx naming the field, never a 500."""

import pytest

from tests.prescribing import allergy, make_ward, signed, status_of

URL = "/api/v1/prescriptions/"


@pytest.fixture
def ward(sql_conn):
    """Two doctors (Dr Martin is the `doctor` login), two patients, a small drug reference."""
    return make_ward(sql_conn)


def line(ward, code: str, **values) -> dict:
    return {
        "medication_id": ward["med"][code],
        "dose": "1",
        "dose_unit": "tablet",
        "frequency": "twice a day",
        **values,
    }


def body(ward, *codes, **values) -> dict:
    return {"patient_id": ward["dubois"], "items": [line(ward, code) for code in codes], **values}


def count(conn, table: str = "prescriptions") -> int:
    return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_check_returns_the_alerts_of_a_draft_without_saving_it(client, api, ward):
    signed(ward["conn"], ward["dubois"], ward["petit"], [ward["med"]["WARF"]])
    before = count(ward["conn"])
    response = client.post(f"{URL}check", json=body(ward, "ASPI", "PARA"), headers=api("doctor"))
    assert response.status_code == 200, response.get_json()
    result = response.get_json()
    [alert] = result["alerts"]
    assert (alert["kind"], alert["severity"], alert["line"]) == ("interaction", "avoid", 1)
    assert "Bleeding risk with aspirin." in alert["message"] and result["needs_override"] is False
    assert count(ward["conn"]) == before


def test_a_doctor_writes_a_draft_changes_it_and_signs_it(client, api, ward):
    headers = api("doctor")
    created = client.post(URL, json=body(ward, "PARA", notes="after meals", renewals_allowed=2), headers=headers)
    assert created.status_code == 201, created.get_json()
    result = created.get_json()["result"]
    assert (result["status"], result["prescriber_id"], result["renewals_allowed"]) == ("draft", ward["martin"], 2)
    assert [(i["position"], i["medication_name"], i["dose"], i["route"]) for i in result["items"]] == [
        (1, "Paracetamol 1 g", "1.000", "oral")  # the route defaults to the medication's
    ]
    pk = created.get_json()["id"]
    changed = client.put(f"{URL}{pk}", json={"items": [line(ward, "IBUP"), line(ward, "PARA")]}, headers=headers)
    assert changed.status_code == 200, changed.get_json()
    assert [i["medication_name"] for i in changed.get_json()["result"]["items"]] == [
        "Ibuprofen 400 mg",
        "Paracetamol 1 g",
    ]
    shown = client.get(f"{URL}{pk}", headers=api("nurse")).get_json()["result"]
    assert len(shown["items"]) == 2 and shown["notes"] == "after meals"
    response = client.post(f"{URL}{pk}/sign", headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["result"]["status"] == "signed"
    again = client.put(f"{URL}{pk}", json={"notes": "later"}, headers=headers)
    assert again.status_code == 422 and "status" in again.get_json()["message"]


def test_signing_a_contraindication_needs_an_override_reason(client, api, ward):
    allergy(ward["conn"], ward["dubois"], atc_code="J01C")
    headers = api("doctor")
    pk = client.post(URL, json=body(ward, "AMOX"), headers=headers).get_json()["id"]
    refused = client.post(f"{URL}{pk}/sign", json={}, headers=headers)
    assert refused.status_code == 422
    assert "override_reason" in refused.get_json()["message"]
    assert [a["kind"] for a in refused.get_json()["alerts"]] == ["allergy"]
    assert status_of(ward["conn"], pk) == "draft"
    accepted = client.post(f"{URL}{pk}/sign", json={"override_reason": "Tolerated in 2025"}, headers=headers)
    assert accepted.status_code == 200
    assert accepted.get_json()["result"]["override_reason"] == "Tolerated in 2025"


def test_renew_counts_against_the_renewals_allowed(client, api, ward):
    original = signed(ward["conn"], ward["dubois"], ward["martin"], [ward["med"]["WARF"]], renewals_allowed=1)
    headers = api("doctor")
    renewed = client.post(f"{URL}{original}/renew", json={"sign": True}, headers=headers)
    assert renewed.status_code == 201, renewed.get_json()
    result = renewed.get_json()["result"]
    assert (result["status"], result["renewal_of_id"]) == ("signed", original)
    assert client.get(f"{URL}{original}", headers=headers).get_json()["result"]["renewals_used"] == 1
    none_left = client.post(f"{URL}{original}/renew", headers=headers)
    assert none_left.status_code == 422 and "renewals_allowed" in none_left.get_json()["message"]


def test_renewals_due_lists_the_doctors_prescriptions_ending_soon(client, api, ward):
    conn = ward["conn"]
    soon = signed(conn, ward["dubois"], ward["martin"], [ward["med"]["WARF"]], valid_until="today")
    signed(conn, ward["durand"], ward["petit"], [ward["med"]["PARA"]], valid_until="today")  # another doctor's
    signed(conn, ward["durand"], ward["martin"], [ward["med"]["PARA"]])  # ends in 90 days
    response = client.get(f"{URL}renewals_due?days=7", headers=api("doctor"))
    assert response.status_code == 200
    assert [(r["id"], r["days_left"]) for r in response.get_json()["result"]] == [(soon, 0)]
    assert client.get(f"{URL}renewals_due?days=abc", headers=api("doctor")).status_code == 400


def test_renewals_due_lists_a_renewed_prescription_once(client, api, ward):
    """Issue 15 point 19: the original and its renewal were both listed, each "1 renewal left"."""
    conn = ward["conn"]
    original = signed(conn, ward["dubois"], ward["martin"], [ward["med"]["WARF"]], valid_until="today",
                      renewals_allowed=2)  # fmt: skip
    renewal = signed(conn, ward["dubois"], ward["martin"], [ward["med"]["WARF"]], valid_until="today",
                     renewal_of_id=original)  # fmt: skip
    due = client.get(f"{URL}renewals_due?days=7", headers=api("doctor")).get_json()["result"]
    assert [r["id"] for r in due] == [renewal]
    assert status_of(conn, original) == "renewed"
    again = client.post(f"{URL}{original}/renew", headers=api("doctor"))
    assert again.status_code == 422
    assert again.get_json()["message"] == {
        "status": [f"This prescription was renewed by prescription {renewal}: renew that one."]
    }


def test_cancel_needs_a_reason(client, api, ward):
    pk = signed(ward["conn"], ward["dubois"], ward["martin"], [ward["med"]["PARA"]])
    headers = api("doctor")
    assert client.post(f"{URL}{pk}/cancel", json={}, headers=headers).status_code == 422
    response = client.post(f"{URL}{pk}/cancel", json={"reason": "Stopped: rash"}, headers=headers)
    assert response.status_code == 200 and response.get_json()["result"]["status"] == "cancelled"


def test_nurse_and_radiologist_read_but_cannot_write(client, api, ward):
    pk = signed(ward["conn"], ward["dubois"], ward["martin"], [ward["med"]["PARA"]])
    for user in ("nurse", "radiologist"):
        headers = api(user)
        assert client.get(URL, headers=headers).status_code == 200
        assert client.get(f"{URL}{pk}", headers=headers).status_code == 200
        assert client.post(URL, json=body(ward, "PARA"), headers=headers).status_code == 403
        assert client.post(f"{URL}{pk}/cancel", json={"reason": "x"}, headers=headers).status_code == 403
    assert status_of(ward["conn"], pk) == "signed"


def test_secretary_has_no_access_to_prescriptions_nor_allergies(client, api, ward):
    pk = signed(ward["conn"], ward["dubois"], ward["martin"], [ward["med"]["PARA"]])
    headers = api("secretary")
    assert client.get(URL, headers=headers).status_code == 403
    assert client.get(f"{URL}{pk}", headers=headers).status_code == 403
    assert client.post(f"{URL}check", json=body(ward, "PARA"), headers=headers).status_code == 403
    assert client.get("/api/v1/allergies/", headers=headers).status_code == 403
    assert client.get("/api/v1/medications/", headers=headers).status_code == 403


def test_a_doctor_cannot_change_or_sign_another_doctors_prescription(client, api, ward):
    conn = ward["conn"]
    from tests.prescribing import draft

    theirs = draft(conn, ward["dubois"], ward["petit"], [ward["med"]["PARA"]])
    headers = api("doctor")
    assert client.put(f"{URL}{theirs}", json={"notes": "mine now"}, headers=headers).status_code == 403
    assert client.post(f"{URL}{theirs}/sign", headers=headers).status_code == 403
    assert client.post(URL, json=body(ward, "PARA", prescriber_id=ward["petit"]), headers=headers).status_code == 403
    assert client.post(f"{URL}{theirs}/sign", headers=api("admin")).status_code == 403  # signing is personal
    assert status_of(conn, theirs) == "draft"


def test_an_admin_prescribes_in_a_doctors_name_who_then_signs(client, api, ward):
    response = client.post(URL, json=body(ward, "PARA", prescriber_id=ward["martin"]), headers=api("admin"))
    assert response.status_code == 201, response.get_json()
    pk = response.get_json()["id"]
    assert client.post(f"{URL}{pk}/sign", headers=api("doctor")).status_code == 200
    missing = client.post(URL, json=body(ward, "PARA"), headers=api("admin"))
    assert missing.status_code == 422 and "prescriber_id" in missing.get_json()["message"]


@pytest.mark.parametrize(
    "change, field",
    [
        ({"items": []}, "items"),
        ({"items": None}, "items"),
        ({"patient_id": "abc"}, "patient_id"),
        ({"patient_id": 10**20}, "patient_id"),
        ({"patient_id": 999999}, "patient_id"),
        ({"valid_until": "31/12/2026"}, "valid_until"),
        ({"renewals_allowed": 13}, "renewals_allowed"),
        ({"items": [{"medication_id": 1}]}, "items"),
        ({"items": [{"medication_id": 999999, "dose": "1", "dose_unit": "mg", "frequency": "daily"}]}, "items"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(client, api, ward, change, field):
    response = client.post(URL, json={**body(ward, "PARA"), **change}, headers=api("doctor"))
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["message"]
    assert count(ward["conn"]) == 0


@pytest.mark.parametrize(
    "item, field",
    [
        ({"dose": "-1"}, "dose"),
        ({"dose": "abc"}, "dose"),
        ({"duration_days": 0}, "duration_days"),
        ({"frequency": ""}, "frequency"),
    ],
)
def test_a_bad_line_names_the_line_and_the_field(client, api, ward, item, field):
    response = client.post(URL, json={**body(ward), "items": [line(ward, "PARA", **item)]}, headers=api("doctor"))
    assert response.status_code == 422
    assert field in response.get_json()["message"]["items"]["0"]


def test_bad_bodies_and_ids_are_4xx_never_500(client, api, ward):
    headers = api("doctor")
    assert client.post(URL, data="not json", headers=headers).status_code == 400
    assert client.post(URL, json=[1, 2], headers=headers).status_code == 400
    assert (
        client.post(
            f"{URL}check", json={"patient_id": ward["dubois"], "items": [{"medication_id": 999999}]}, headers=headers
        ).status_code
        == 422
    )
    assert (
        client.post(
            f"{URL}check", json={"patient_id": 999999, "items": [line(ward, "PARA")]}, headers=headers
        ).status_code
        == 422
    )
    assert client.post(f"{URL}999999/sign", headers=headers).status_code == 404
    assert client.get(f"{URL}999999", headers=headers).status_code == 404
    assert client.post(f"{URL}1/sign", json={"override_reason": "x" * 501}, headers=headers).status_code == 422


def test_the_openapi_spec_lists_the_prescription_endpoints(client, api):
    spec = client.get("/api/v1/_openapi", headers=api("admin")).get_json()
    paths = {path.removeprefix("/api/v1") for path in spec["paths"]}
    assert {"/prescriptions/", "/prescriptions/{pk}", "/prescriptions/check", "/prescriptions/{pk}/sign"} <= paths
    assert {"/prescriptions/{pk}/renew", "/prescriptions/{pk}/cancel", "/prescriptions/renewals_due"} <= paths
    assert {"/medications/", "/drug_interactions/", "/allergies/"} <= paths


def test_allergies_api_refuses_a_substance_the_reference_does_not_know(client, api, ward):
    headers = api("nurse")
    payload = {"patient_id": ward["dubois"], "substance": "amoxicilin", "severity": "severe"}
    refused = client.post("/api/v1/allergies/", json=payload, headers=headers)
    assert refused.status_code == 422 and "substance" in refused.get_json()["message"]
    accepted = client.post("/api/v1/allergies/", json={**payload, "substance": "Amoxicillin"}, headers=headers)
    assert accepted.status_code == 201, accepted.get_json()
    (substance, recorded_by) = (
        ward["conn"]
        .execute("SELECT a.substance, u.username FROM patient_allergies a JOIN ab_user u ON u.id = a.recorded_by_id")
        .fetchone()
    )
    assert (substance, recorded_by) == ("amoxicillin", "nurse")
    both = client.post(
        "/api/v1/allergies/", json={**payload, "substance": "ibuprofen", "atc_code": "M01A"}, headers=headers
    )
    assert both.status_code == 422


def test_the_drug_reference_api_is_written_by_admins_and_read_by_doctors(client, api, ward):
    medication = {"code": "67000001", "name": "Doliprane 500 mg", "substances": ["Paracétamol"], "atc_code": "n02be01"}
    assert client.post("/api/v1/medications/", json=medication, headers=api("doctor")).status_code == 403
    created = client.post("/api/v1/medications/", json=medication, headers=api("admin"))
    assert created.status_code == 201, created.get_json()
    shown = client.get(f"/api/v1/medications/{created.get_json()['id']}", headers=api("doctor")).get_json()["result"]
    assert (shown["substances"], shown["atc_code"]) == (["paracetamol"], "N02BE01")
    pair = {"a_kind": "atc", "a_value": "M01A", "b_kind": "substance", "b_value": "Warfarin"}
    pair.update(severity="avoid", message="Bleeding.")
    assert client.post("/api/v1/drug_interactions/", json=pair, headers=api("admin")).status_code == 201
    reversed_pair = {**pair, "a_kind": "substance", "a_value": "warfarin", "b_kind": "atc", "b_value": "M01A"}
    refused = client.post("/api/v1/drug_interactions/", json=reversed_pair, headers=api("admin"))
    assert refused.status_code == 422 and "a_value" in refused.get_json()["message"]
    info = client.get(f"{URL}_info", headers=api("doctor"))
    assert info.status_code == 200, info.get_json()
