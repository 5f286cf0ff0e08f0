"""The patient timeline (app/core/timeline.py and each domain's source), the
clinical screens and the patient-record sheet's clinical summary: each role
sees only the kinds its rules allow (a secretary sees nothing clinical)."""

from datetime import UTC, datetime, timedelta

import pytest

from app.core.actor import Actor
from app.core.extensions import db
from app.core.timeline import patient_timeline
from tests.clinical import consultation, make_clinical_ward, observation
from tests.conftest import browser_login, csrf_token
from tests.prescribing import make_reference, signed

CLINICAL_KINDS = {"consultation", "diagnosis", "observation", "problem"}


@pytest.fixture
def story(sql_conn):
    """Hélène Dubois's story: an appointment, a signed consultation (J20 principal) with an addendum,
    a problem, observations (one abnormal), a signed prescription."""
    ward = make_clinical_ward(sql_conn)
    conn, patient = sql_conn, ward["dubois"]
    now = datetime.now(UTC)
    visit = consultation(conn, patient, ward["martin"], reason="Toux fébrile")
    conn.execute("UPDATE consultations SET started_at = %s WHERE id = %s", [now - timedelta(days=3), visit])
    conn.execute(
        "INSERT INTO consultation_diagnoses (consultation_id, icd10_code, label, rank)"
        " VALUES (%s, 'J20', 'Acute bronchitis', 'principal')",
        [visit],
    )
    conn.execute("UPDATE consultations SET status = 'signed' WHERE id = %s", [visit])
    conn.execute(
        "INSERT INTO consultation_addenda (consultation_id, author_id, body) VALUES (%s, %s, 'Radio normale')",
        [visit, ward["martin"]],
    )
    conn.execute(
        "INSERT INTO patient_problems (patient_id, icd10_code, label, onset_on) VALUES (%s, 'I10', 'Hypertension', %s)",
        [patient, (now - timedelta(days=400)).date()],
    )
    observation(conn, patient, "temperature", 38.9, at=now - timedelta(days=3, hours=-1))
    observation(conn, patient, "blood_pressure", 128, 82, at=now - timedelta(hours=2))
    medications = make_reference(conn)
    ward["prescription"] = signed(conn, patient, ward["martin"], [medications["PARA"]])
    ward["consultation"] = visit
    return ward


def actor_of(app, username: str) -> Actor:
    with app.app_context():
        return Actor.of(app.appbuilder.sm.find_user(username=username))


def kinds_seen(app, story, username: str) -> set[str]:
    actor = actor_of(app, username)
    with app.test_request_context():
        return {item.kind for item in patient_timeline(db.session, story["dubois"], actor)}


def test_the_timeline_tells_the_story_newest_first_with_links(app, story):
    actor = actor_of(app, "doctor")
    with app.test_request_context():
        items = patient_timeline(db.session, story["dubois"], actor)
    assert {item.kind for item in items} == {*CLINICAL_KINDS, "appointment", "prescription"}
    moments = [item.at for item in items]
    assert moments == sorted(moments, reverse=True)
    assert all(item.url for item in items)
    titles = [item.title for item in items]
    assert any("Addendum" in title for title in titles)
    assert "J20 Acute bronchitis" in titles


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("doctor", {*CLINICAL_KINDS, "appointment", "prescription"}),
        ("nurse", {*CLINICAL_KINDS, "appointment", "prescription"}),
        ("radiologist", {"problem", "observation", "appointment", "prescription"}),
        ("secretary", {"appointment"}),
        ("auditor", set()),
    ],
)
def test_each_role_sees_the_kinds_its_rules_allow(app, story, username, expected):
    assert kinds_seen(app, story, username) == expected


def test_the_timeline_screen_filters_by_kind_and_hides_clinical_lines_from_a_secretary(app, story):
    doctor = app.test_client()
    browser_login(doctor, "doctor")
    url = f"/clinical/patients/{story['dubois']}/timeline"
    page = doctor.get(url).get_data(as_text=True)
    for kind in ("consultation", "diagnosis", "observation", "problem", "appointment", "prescription"):
        assert f'data-kind="{kind}"' in page, kind
    only = doctor.get(url, query_string={"kind": "observation"}).get_data(as_text=True)
    assert 'data-kind="observation"' in only and 'data-kind="consultation"' not in only
    secretary = app.test_client()
    browser_login(secretary, "secretary")
    answer = secretary.get(url)
    assert answer.status_code == 200
    text = answer.get_data(as_text=True)
    assert 'data-kind="appointment"' in text
    assert not any(f'data-kind="{kind}"' in text for kind in CLINICAL_KINDS)
    assert "Toux" not in text and "38.9" not in text


def test_the_patient_page_shows_the_clinical_section_to_who_may_read_it(app, story):
    doctor = app.test_client()
    browser_login(doctor, "doctor")
    page = doctor.get(f"/patients/show/{story['dubois']}").get_data(as_text=True)
    assert 'id="patient-latest-observations"' in page and "128/82 mmHg" in page
    assert (
        'id="patient-active-problems"' in page
        and "I10" in page
        and "J20" not in page.split("patient-active-problems")[0][-1:]
    )
    assert f"/clinical/patients/{story['dubois']}/timeline" in page
    secretary = app.test_client()
    browser_login(secretary, "secretary")
    page = secretary.get(f"/patients/show/{story['dubois']}").get_data(as_text=True)
    assert "patient-latest-observations" not in page and "patient-active-problems" not in page
    assert secretary.get(f"/clinical/patients/{story['dubois']}/observations").status_code == 403
    assert secretary.get(f"/consultations/{story['consultation']}").status_code == 403


def test_the_vital_signs_screen_refuses_370_degrees_on_the_field(app, story, sql_conn):
    nurse = app.test_client()
    browser_login(nurse, "nurse")
    url = f"/clinical/patients/{story['dubois']}/observations"
    page = nurse.get(url).get_data(as_text=True)
    assert "/static/vendor/chartjs/chart.umd.min.js" in page and "cdn" not in page.lower()
    before = sql_conn.execute("SELECT count(*) FROM observations").fetchone()[0]
    refused = nurse.post(url, data={"csrf_token": csrf_token(page), "kind": "temperature", "value": "370"})
    assert refused.status_code == 422
    assert 'data-field="value"' in refused.get_data(as_text=True) and "25 to 45" in refused.get_data(as_text=True)
    recorded = nurse.post(url, data={"csrf_token": csrf_token(page), "kind": "temperature", "value": "37,2"})
    assert recorded.status_code == 302
    assert sql_conn.execute("SELECT count(*) FROM observations").fetchone()[0] == before + 1


def test_a_doctor_writes_and_signs_a_consultation_on_the_screens(app, story, sql_conn):
    doctor = app.test_client()
    browser_login(doctor, "doctor")
    form = doctor.get(f"/consultations/new?patient_id={story['dubois']}").get_data(as_text=True)
    saved = doctor.post(
        f"/consultations/new?patient_id={story['dubois']}",
        data={
            "csrf_token": csrf_token(form),
            "reason": "Douleur lombaire",
            "examination": "Lasègue négatif",
            "diagnoses": "M54.5 principal",
        },
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)[:500]
    pk = int(saved.headers["Location"].rstrip("/").split("/")[-1])
    page = doctor.get(f"/consultations/{pk}").get_data(as_text=True)
    assert "M54.5" in page and "Sign" in page
    signed_answer = doctor.post(f"/consultations/{pk}/sign", data={"csrf_token": csrf_token(page)})
    assert signed_answer.status_code == 302
    assert sql_conn.execute("SELECT status FROM consultations WHERE id = %s", [pk]).fetchone()[0] == "signed"
    page = doctor.get(f"/consultations/{pk}").get_data(as_text=True)
    assert "Add an addendum" in page and "Edit the draft" not in page


def test_the_patient_record_sheet_carries_the_clinical_summary_for_who_may_read_it(app, story):
    from tests.documents import issue, pdf_text

    by_doctor = pdf_text(issue(app, "doctor", patient_id=story["dubois"], kind="patient_record", fields={}).content)
    assert "Synthèse clinique" in by_doctor and "Hypertension" in by_doctor and "128/82 mmHg" in by_doctor
    by_secretary = pdf_text(
        issue(app, "secretary", patient_id=story["dubois"], kind="patient_record", fields={}).content
    )
    assert "Synthèse clinique" not in by_secretary and "Hypertension" not in by_secretary


def test_a_consultation_opened_from_the_appointment_page_marks_the_patient_arrived(app, story, sql_conn):
    doctor = app.test_client()
    browser_login(doctor, "doctor")
    appointment = story["appointment"]
    page = doctor.get(f"/appointments/show/{appointment}").get_data(as_text=True)
    assert f"/consultations/new?appointment_id={appointment}" in page
    form = doctor.get(f"/consultations/new?appointment_id={appointment}").get_data(as_text=True)
    assert "Dubois" in form.upper() or "DUBOIS" in form
    saved = doctor.post(
        f"/consultations/new?appointment_id={appointment}",
        data={
            "csrf_token": csrf_token(form),
            "patient_id": story["dubois"],
            "appointment_id": appointment,
            "reason": "Douleur",
        },
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)[:500]
    (status,) = sql_conn.execute("SELECT status FROM appointments WHERE id = %s", [appointment]).fetchone()
    assert status == "arrived"


def test_the_problems_screen_records_uncoded_history_and_resolves_a_problem(app, story, sql_conn):
    doctor = app.test_client()
    browser_login(doctor, "doctor")
    url = f"/clinical/patients/{story['dubois']}/problems"
    page = doctor.get(url).get_data(as_text=True)
    recorded = doctor.post(
        url,
        data={"csrf_token": csrf_token(page), "category": "family_history", "label": "Diabète", "relative": "père"},
    )
    assert recorded.status_code == 302
    row = sql_conn.execute(
        "SELECT is_coded, relative FROM patient_problems WHERE category = 'family_history' AND patient_id = %s",
        [story["dubois"]],
    ).fetchone()
    assert row == (False, "père")
    (problem,) = sql_conn.execute("SELECT id FROM patient_problems WHERE icd10_code = 'I10'").fetchone()
    resolved = doctor.post(url, data={"csrf_token": csrf_token(page), "problem_id": problem})
    assert resolved.status_code == 302
    assert sql_conn.execute("SELECT status FROM patient_problems WHERE id = %s", [problem]).fetchone()[0] == "resolved"
    nurse = app.test_client()
    browser_login(nurse, "nurse")
    nurse_page = nurse.get(url)
    assert nurse_page.status_code == 200 and "Record a problem" not in nurse_page.get_data(as_text=True)
    token = csrf_token(nurse.get(f"/clinical/patients/{story['dubois']}/observations").get_data(as_text=True))
    refused = nurse.post(url, data={"csrf_token": token, "label": "x"})
    assert refused.status_code == 403
