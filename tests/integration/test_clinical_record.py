"""The clinical record (app/clinical, migration 0091): signed consultations
never change whoever writes, addenda keep the original, ICD-10 diagnoses feed
the problem list, observation bounds and units are the database's, and every
door answers a refusal with a 4xx naming the field."""

from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from psycopg import errors

from app.clinical import icd10
from app.clinical.models import OBSERVATION_KINDS
from tests.clinical import consultation, make_clinical_ward, observation
from tests.conftest import APP_ROLE, APP_ROLE_PASSWORD


@pytest.fixture
def ward(sql_conn):
    """make_clinical_ward(): Dr Martin (doctor login), nurse Roux (nurse login), Hélène Dubois and her appointment."""
    return make_clinical_ward(sql_conn)


# --- signed consultations, in SQL ------------------------------------------


def test_a_signed_consultation_refuses_update_and_delete_whoever_writes(ward, sql_conn, postgres_server, database_name):
    """The owner (psql) and the application's role alike: the trigger refuses."""
    signed = consultation(sql_conn, ward["dubois"], ward["martin"], signed=True)
    (signed_at,) = sql_conn.execute("SELECT signed_at FROM consultations WHERE id = %s", [signed]).fetchone()
    assert signed_at is not None
    with pytest.raises(errors.CheckViolation) as refused:
        sql_conn.execute("UPDATE consultations SET conclusion = 'rewritten' WHERE id = %s", [signed])
    assert refused.value.diag.constraint_name == "consultations_signed_immutable"
    with pytest.raises(errors.CheckViolation):
        sql_conn.execute("UPDATE consultations SET status = 'draft', signed_at = NULL WHERE id = %s", [signed])
    with pytest.raises(errors.CheckViolation):
        sql_conn.execute("DELETE FROM consultations WHERE id = %s", [signed])
    conninfo = postgres_server.conninfo(database_name)
    with (
        psycopg.connect(conninfo, user=APP_ROLE, password=APP_ROLE_PASSWORD, autocommit=True) as app_conn,
        pytest.raises(errors.CheckViolation),
    ):
        app_conn.execute("UPDATE consultations SET reason = 'other' WHERE id = %s", [signed])
    (reason,) = sql_conn.execute("SELECT reason FROM consultations WHERE id = %s", [signed]).fetchone()
    assert reason == "Toux"


def test_a_signed_consultations_diagnoses_are_frozen_and_addenda_never_change(ward, sql_conn):
    draft = consultation(sql_conn, ward["dubois"], ward["martin"])
    sql_conn.execute(
        "INSERT INTO consultation_diagnoses (consultation_id, icd10_code, label, rank)"
        " VALUES (%s, 'J20', 'Bronchitis', 'principal')",
        [draft],
    )
    with pytest.raises(errors.CheckViolation) as refused:
        sql_conn.execute(
            "INSERT INTO consultation_addenda (consultation_id, author_id, body) VALUES (%s, %s, 'x')",
            [draft, ward["martin"]],
        )
    assert refused.value.diag.constraint_name == "consultation_addenda_signed_only"
    sql_conn.execute("UPDATE consultations SET status = 'signed' WHERE id = %s", [draft])
    with pytest.raises(errors.CheckViolation):
        sql_conn.execute("UPDATE consultation_diagnoses SET rank = 'secondary' WHERE consultation_id = %s", [draft])
    with pytest.raises(errors.CheckViolation):
        sql_conn.execute(
            "INSERT INTO consultation_diagnoses (consultation_id, icd10_code, label)"
            " VALUES (%s, 'I10', 'Hypertension')",
            [draft],
        )
    (addendum,) = sql_conn.execute(
        "INSERT INTO consultation_addenda (consultation_id, author_id, body)"
        " VALUES (%s, %s, 'Radio normale') RETURNING id",
        [draft, ward["martin"]],
    ).fetchone()
    with pytest.raises(errors.CheckViolation) as refused:
        sql_conn.execute("UPDATE consultation_addenda SET body = 'changed' WHERE id = %s", [addendum])
    assert refused.value.diag.constraint_name == "consultation_addenda_immutable"
    with pytest.raises(errors.CheckViolation):
        sql_conn.execute("DELETE FROM consultation_addenda WHERE id = %s", [addendum])


def test_a_draft_is_deleted_with_its_diagnoses(ward, sql_conn):
    draft = consultation(sql_conn, ward["dubois"], ward["martin"])
    sql_conn.execute(
        "INSERT INTO consultation_diagnoses (consultation_id, icd10_code, label) VALUES (%s, 'J20', 'Bronchitis')",
        [draft],
    )
    sql_conn.execute("DELETE FROM consultations WHERE id = %s", [draft])
    assert sql_conn.execute("SELECT count(*) FROM consultation_diagnoses").fetchone()[0] == 0


# --- consultations through the API ------------------------------------------


def test_doctor_opens_signs_and_amends_a_consultation_through_the_api(client, api, ward, sql_conn):
    """Opening from the appointment marks it arrived, signing completes it and
    feeds the problem list; a PUT on the signed one is a 422, the addendum keeps the original."""
    doctor = api("doctor")
    opened = client.post(
        "/api/v1/consultations/",
        headers=doctor,
        json={
            "patient_id": ward["dubois"],
            "appointment_id": ward["appointment"],
            "reason": "Toux depuis 10 jours",
            "examination": "Sibilants.\nPas de fièvre.",
            "diagnoses": [{"code": "j450", "rank": "principal"}, {"code": "R05"}],
        },
    )
    assert opened.status_code == 201, opened.get_json()
    body = opened.get_json()["result"]
    pk = body["id"]
    assert body["status"] == "draft" and body["examination"] == "Sibilants.\nPas de fièvre."
    assert [(d["icd10_code"], d["rank"]) for d in body["diagnoses"]] == [("J45.0", "principal"), ("R05", "secondary")]
    assert _appointment_status(sql_conn, ward["appointment"]) == "arrived"

    signed = client.post(f"/api/v1/consultations/{pk}/sign", headers=doctor)
    assert signed.status_code == 200, signed.get_json()
    assert signed.get_json()["result"]["signed_at"]
    assert _appointment_status(sql_conn, ward["appointment"]) == "completed"
    problems = sql_conn.execute(
        "SELECT icd10_code, is_coded, status FROM patient_problems WHERE patient_id = %s ORDER BY icd10_code",
        [ward["dubois"]],
    ).fetchall()
    assert problems == [("J45.0", True, "active"), ("R05", True, "active")]

    changed = client.put(f"/api/v1/consultations/{pk}", headers=doctor, json={"conclusion": "autre"})
    assert changed.status_code == 422
    assert "addendum" in str(changed.get_json()).lower()
    assert client.delete(f"/api/v1/consultations/{pk}", headers=doctor).status_code == 422

    amended = client.post(f"/api/v1/consultations/{pk}/addenda", headers=doctor, json={"body": "EFR prévue."})
    assert amended.status_code == 201, amended.get_json()
    shown = client.get(f"/api/v1/consultations/{pk}", headers=doctor).get_json()["result"]
    assert shown["conclusion"] is None and shown["reason"] == "Toux depuis 10 jours"
    assert [a["body"] for a in shown["addenda"]] == ["EFR prévue."]


def test_a_second_signed_consultation_does_not_repeat_an_active_problem(client, api, ward, sql_conn):
    doctor = api("doctor")
    for _ in range(2):
        pk = client.post(
            "/api/v1/consultations/",
            headers=doctor,
            json={"patient_id": ward["dubois"], "reason": "Suivi", "diagnoses": [{"code": "I10", "rank": "principal"}]},
        ).get_json()["id"]
        assert client.post(f"/api/v1/consultations/{pk}/sign", headers=doctor).status_code == 200
    (count,) = sql_conn.execute("SELECT count(*) FROM patient_problems WHERE icd10_code = 'I10'").fetchone()
    assert count == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": "x", "diagnoses": [{"code": "ZZZ.9"}]}, "diagnoses"),
        (
            {"reason": "x", "diagnoses": [{"code": "J45", "rank": "principal"}, {"code": "I10", "rank": "principal"}]},
            "diagnoses",
        ),
        ({"reason": "x", "diagnoses": [{"code": "J45", "rank": "main"}]}, "diagnoses"),
        ({"reason": "x" * 2001}, "reason"),
        ({"reason": "x", "patient_id": "one"}, "patient_id"),
        ({"reason": "x", "appointment_id": 10**19}, "appointment_id"),
    ],
)
def test_the_consultation_api_names_the_field_it_refuses(client, api, ward, sql_conn, body, field):
    payload = {"patient_id": ward["dubois"], **body}
    answer = client.post("/api/v1/consultations/", headers=api("doctor"), json=payload)
    assert answer.status_code in (400, 422), answer.get_json()
    assert field in (answer.get_json().get("errors") or answer.get_json().get("message") or {}), answer.get_json()
    assert sql_conn.execute("SELECT count(*) FROM consultations").fetchone()[0] == 0


def test_another_patients_appointment_is_refused(client, api, ward, sql_conn):
    from tests.agenda import make_patient

    other = make_patient(sql_conn, "Durand", "Luc", "M")
    answer = client.post(
        "/api/v1/consultations/",
        headers=api("doctor"),
        json={"patient_id": other, "appointment_id": ward["appointment"], "reason": "x"},
    )
    assert answer.status_code == 422 and "appointment_id" in str(answer.get_json())


def test_only_the_clinician_signs_and_a_nurse_writes_no_consultation(client, api, ward, sql_conn):
    petits = consultation(sql_conn, ward["dubois"], ward["petit"])
    assert client.post(f"/api/v1/consultations/{petits}/sign", headers=api("doctor")).status_code == 403
    assert client.put(f"/api/v1/consultations/{petits}", headers=api("doctor"), json={"plan": "x"}).status_code == 403
    nurse = api("nurse")
    assert client.get(f"/api/v1/consultations/{petits}", headers=nurse).status_code == 200
    assert client.post("/api/v1/consultations/", headers=nurse, json={"patient_id": ward["dubois"]}).status_code == 403


# --- ICD-10 ------------------------------------------------------------------


def test_icd10_search_by_code_words_and_without_accents(client, api, app):
    doctor = api("doctor")

    def codes(q):
        answer = client.get("/api/v1/icd10/search", headers=doctor, query_string={"term": q})
        assert answer.status_code == 200, answer.get_json()
        return [entry["code"] for entry in answer.get_json()["result"]]

    assert codes("J45.0")[0] == "J45.0"
    assert codes("j450")[0] == "J45.0"
    assert "J45" in codes("J45")
    assert "J45.0" in codes("allergic asthma")
    for spelling in ("Ménière", "meniere", "MENIERE"):
        assert "H81.0" in codes(spelling), spelling
    assert "G61.0" in codes("guillain barre")
    assert codes("nothing like this at all") == []
    assert client.get("/api/v1/icd10/search", headers=doctor).status_code == 400
    assert (
        client.get("/api/v1/icd10/search", headers=api("secretary"), query_string={"term": "asthma"}).status_code == 403
    )


def test_icd10_codes_are_checked_against_the_classification():
    assert icd10.lookup("j45.0").code == "J45.0"
    assert icd10.lookup("J450").label == "Predominantly allergic asthma"
    assert icd10.lookup("J99.9") is None  # well formed, not in the classification
    assert icd10.lookup("I") is None  # a chapter is not a diagnosis


# --- problems and history -----------------------------------------------------


def test_problems_coded_or_flagged_uncoded_and_resolved(client, api, ward, sql_conn):
    doctor = api("doctor")
    coded = client.post(
        "/api/v1/problems/",
        headers=doctor,
        json={"patient_id": ward["dubois"], "icd10_code": "e119", "onset_on": "2020-03-01"},
    )
    assert coded.status_code == 201, coded.get_json()
    assert coded.get_json()["result"]["icd10_code"] == "E11.9" and coded.get_json()["result"]["is_coded"] is True
    free = client.post(
        "/api/v1/problems/",
        headers=doctor,
        json={
            "patient_id": ward["dubois"],
            "category": "family_history",
            "label": "Cancer du sein",
            "relative": "mère",
        },
    ).get_json()["result"]
    assert free["is_coded"] is False and free["recorded_by_id"]
    resolved = client.put(
        f"/api/v1/problems/{coded.get_json()['id']}",
        headers=doctor,
        json={"status": "resolved", "resolved_on": "2019-01-01"},
    )
    assert resolved.status_code == 422 and "resolved_on" in str(resolved.get_json())
    bad = client.post("/api/v1/problems/", headers=doctor, json={"patient_id": ward["dubois"], "icd10_code": "Q99.99"})
    assert bad.status_code == 422 and "icd10_code" in str(bad.get_json())
    assert (
        client.post(
            "/api/v1/problems/", headers=api("nurse"), json={"patient_id": ward["dubois"], "label": "x"}
        ).status_code
        == 403
    )
    assert client.get("/api/v1/problems/", headers=api("radiologist")).status_code == 200


# --- observations ------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "diastolic", "constraint"),
    [
        ("temperature", 370, None, "observations_temperature_bounds"),
        ("pulse", 400, None, "observations_pulse_bounds"),
        ("spo2", 101, None, "observations_spo2_bounds"),
        ("pain_score", 4.5, None, "observations_pain_score_bounds"),
        ("blood_pressure", 120, None, "observations_diastolic_bounds"),
        ("blood_pressure", 80, 120, "observations_diastolic_below_systolic"),
        ("weight", 70, 40, "observations_diastolic_bounds"),
    ],
)
def test_the_database_refuses_observations_out_of_bounds(ward, sql_conn, kind, value, diastolic, constraint):
    with pytest.raises(errors.CheckViolation) as refused:
        observation(sql_conn, ward["dubois"], kind, value, diastolic)
    assert refused.value.diag.constraint_name == constraint
    assert sql_conn.execute("SELECT count(*) FROM observations").fetchone()[0] == 0


def test_the_unit_is_the_kinds_and_the_future_is_refused(ward, sql_conn):
    with pytest.raises(errors.CheckViolation) as refused:
        sql_conn.execute(
            "INSERT INTO observations (patient_id, kind, value, unit) VALUES (%s, 'temperature', 37, '°F')",
            [ward["dubois"]],
        )
    assert refused.value.diag.constraint_name == "observations_unit_check"
    with pytest.raises(errors.CheckViolation) as refused:
        observation(sql_conn, ward["dubois"], "pulse", 70, at=datetime.now(UTC) + timedelta(hours=1))
    assert refused.value.diag.constraint_name == "observations_measured_at_check"


def test_python_and_sql_agree_on_units_and_abnormal_ranges(sql_conn):
    for kind, spec in OBSERVATION_KINDS.items():
        (unit,) = sql_conn.execute("SELECT observation_unit(%s)", [kind]).fetchone()
        assert unit == spec.unit
        if spec.normal_low is not None:
            below = sql_conn.execute(
                "SELECT observation_is_abnormal(%s, %s, 70)", [kind, spec.normal_low - 1]
            ).fetchone()[0]
            at_low = sql_conn.execute("SELECT observation_is_abnormal(%s, %s, 70)", [kind, spec.normal_low]).fetchone()[
                0
            ]
            assert below and not at_low, kind
        if spec.normal_high is not None:
            above = sql_conn.execute(
                "SELECT observation_is_abnormal(%s, %s, 70)", [kind, spec.normal_high + 1]
            ).fetchone()[0]
            assert above, kind


def test_abnormal_values_are_flagged(ward, sql_conn):
    cases = {
        ("temperature", 39.2, None): True,
        ("temperature", 37.0, None): False,
        ("blood_pressure", 120, 80): False,
        ("blood_pressure", 120, 95): True,
        ("spo2", 91, None): True,
        ("weight", 150, None): False,
    }
    for (kind, value, diastolic), expected in cases.items():
        row = observation(sql_conn, ward["dubois"], kind, value, diastolic)
        (flag,) = sql_conn.execute("SELECT is_abnormal FROM observations WHERE id = %s", [row]).fetchone()
        assert flag is expected, (kind, value, diastolic)


def test_the_api_answers_an_observation_out_of_bounds_with_a_422_naming_the_field(client, api, ward, sql_conn):
    nurse = api("nurse")
    refused = client.post(
        "/api/v1/observations/",
        headers=nurse,
        json={"patient_id": ward["dubois"], "kind": "temperature", "value": "370"},
    )
    assert refused.status_code == 422
    answer = refused.get_json()
    assert "value" in str(answer) and "25 to 45" in str(answer)
    unknown = client.post(
        "/api/v1/observations/", headers=nurse, json={"patient_id": ward["dubois"], "kind": "mood", "value": "3"}
    )
    assert unknown.status_code == 422 and "kind" in str(unknown.get_json())
    huge = client.post(
        "/api/v1/observations/", headers=nurse, json={"patient_id": ward["dubois"], "kind": "pulse", "value": "1e30"}
    )
    assert huge.status_code == 422 and "value" in str(huge.get_json())
    naive = client.post(
        "/api/v1/observations/",
        headers=nurse,
        json={"patient_id": ward["dubois"], "kind": "pulse", "value": "70", "measured_at": "2026-12-01T08:00:00"},
    )
    assert naive.status_code == 422 and "measured_at" in str(naive.get_json())
    assert sql_conn.execute("SELECT count(*) FROM observations").fetchone()[0] == 0
    recorded = client.post(
        "/api/v1/observations/",
        headers=nurse,
        json={"patient_id": ward["dubois"], "kind": "blood_pressure", "value": "150", "diastolic": "95"},
    )
    assert recorded.status_code == 201, recorded.get_json()
    assert recorded.get_json()["result"]["is_abnormal"] is True and recorded.get_json()["result"]["unit"] == "mmHg"
    assert client.put(
        f"/api/v1/observations/{recorded.get_json()['id']}", headers=nurse, json={"value": "1"}
    ).status_code in (404, 405)
    assert (
        client.post(
            "/api/v1/observations/",
            headers=api("radiologist"),
            json={"patient_id": ward["dubois"], "kind": "pulse", "value": "70"},
        ).status_code
        == 403
    )


def test_the_chart_data_endpoint_gives_a_kind_over_time_and_the_bmi(client, api, ward, sql_conn):
    now = datetime.now(UTC)
    observation(sql_conn, ward["dubois"], "temperature", 38.5, at=now - timedelta(hours=2))
    observation(sql_conn, ward["dubois"], "temperature", 37.1, at=now - timedelta(hours=1))
    observation(sql_conn, ward["dubois"], "height", 170, at=now - timedelta(days=30))
    observation(sql_conn, ward["dubois"], "weight", 72.25, at=now - timedelta(days=1))
    doctor = api("doctor")
    series = client.get(f"/api/v1/observations/chart/{ward['dubois']}/temperature", headers=doctor).get_json()
    assert series["unit"] == "°C" and series["normal_high"] == 38.0
    assert [(p["value"], p["abnormal"]) for p in series["points"]] == [(38.5, True), (37.1, False)]
    bmi = client.get(f"/api/v1/observations/chart/{ward['dubois']}/bmi", headers=doctor).get_json()
    assert [p["value"] for p in bmi["points"]] == [25.0]
    assert client.get(f"/api/v1/observations/chart/{ward['dubois']}/mood", headers=doctor).status_code == 422
    assert client.get(f"/api/v1/observations/chart/{ward['dubois']}/pulse", headers=api("secretary")).status_code == 403


def _appointment_status(conn, appointment_id: int) -> str:
    return conn.execute("SELECT status FROM appointments WHERE id = %s", [appointment_id]).fetchone()[0]


def test_a_draft_changed_since_it_was_read_is_not_overwritten(client, api, ward):
    """Optimistic locking: a PUT with the If-Match of an older version is a 412."""
    doctor = api("doctor")
    pk = client.post(
        "/api/v1/consultations/", headers=doctor, json={"patient_id": ward["dubois"], "reason": "Céphalées"}
    ).get_json()["id"]
    etag = client.get(f"/api/v1/consultations/{pk}", headers=doctor).headers["ETag"]
    first = client.put(f"/api/v1/consultations/{pk}", headers={**doctor, "If-Match": etag}, json={"plan": "Repos"})
    assert first.status_code == 200, first.get_json()
    second = client.put(f"/api/v1/consultations/{pk}", headers={**doctor, "If-Match": etag}, json={"plan": "Scanner"})
    assert second.status_code == 412
    assert client.get(f"/api/v1/consultations/{pk}", headers=doctor).get_json()["result"]["plan"] == "Repos"
