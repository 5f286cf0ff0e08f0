"""The patient banner on every page of a record that belongs to one patient:
the appointment's page and form, the consultation's page and form, a care
task, an archived document, a hospitalisation report, the clinical record's
pages, a prescription: the patient's name, IPP, and the allergy flag in red."""

import pytest

from tests.clinical import consultation
from tests.documents import issue, make_chart

# (user, page): {a} appointment, {c} consultation, {t} care task, {d} document,
# {r} hospitalisation report, {p} patient, {rx} prescription.
PAGES = [
    ("doctor", "/appointments/show/{a}"),
    ("doctor", "/appointments/edit/{a}"),
    ("secretary", "/appointments/show/{a}"),
    ("doctor", "/consultations/{c}"),
    ("doctor", "/consultations/new?patient_id={p}"),
    ("nurse", "/caretasks/show/{t}"),
    ("nurse", "/caretasks/edit/{t}"),
    ("doctor", "/documents/show/{d}"),
    ("doctor", "/hospitalisation-reports/show/{r}"),
    ("doctor", "/hospitalisation-reports/edit/{r}"),
    ("doctor", "/clinical/patients/{p}/timeline"),
    ("doctor", "/clinical/patients/{p}/observations"),
    ("doctor", "/clinical/patients/{p}/problems"),
    ("doctor", "/prescriptions/show/{rx}"),
]


@pytest.fixture
def chart(app, sql_conn):
    """Hélène Dubois (allergic to penicillin) with an appointment, a draft
    consultation, a care task, a document, a hospitalisation report and a prescription."""
    chart = make_chart(sql_conn, appointments=1)
    patient = chart["dubois"]
    (appointment,) = sql_conn.execute("SELECT id FROM appointments WHERE patient_id = %s", [patient]).fetchone()
    (task,) = sql_conn.execute(
        "INSERT INTO care_tasks (patient_id, description, starts_at) VALUES (%s, 'Pansement', now()) RETURNING id",
        [patient],
    ).fetchone()
    document = issue(app, "doctor", patient_id=patient, kind="patient_record", fields={})
    return {
        "p": patient,
        "a": appointment,
        "c": consultation(sql_conn, patient, chart["martin"]),
        "t": task,
        "d": document.id,
        "r": chart["report"],
        "rx": chart["prescription"],
        "mrn": sql_conn.execute("SELECT mrn FROM patients WHERE id = %s", [patient]).fetchone()[0],
    }


@pytest.mark.parametrize(("user", "path"), PAGES, ids=[f"{u}:{p}" for u, p in PAGES])
def test_every_record_of_a_patient_shows_their_banner(sign_in, live_server, chart, user, path):
    page = sign_in(user)
    answer = page.goto(live_server + path.format(**chart))
    assert answer.status == 200, path
    banner = page.locator(f".patient-banner[data-patient-id='{chart['p']}']")
    assert banner.count() == 1, f"{path}: {banner.count()} banners"
    text = banner.inner_text()
    assert "DUBOIS Hélène" in text and chart["mrn"] in text
    if user != "secretary":  # the secretary does not read allergies
        assert "patient-banner-allergy" in banner.get_attribute("class")
        assert "penicillin" in banner.locator(".allergy-flag").inner_text()
