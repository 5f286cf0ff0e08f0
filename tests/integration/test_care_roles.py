"""Role rules on every care kind, at the API and in the timeline: nurses
write care tasks, check-offs, doses and vaccinations; doctors plan care,
read the administration record and record vaccinations; secretaries,
radiologists and auditors see none of it (403 everywhere, nothing in the
timeline)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from app.core.extensions import db
from app.core.timeline import patient_timeline
from tests.care import actor, give, load_reference, ward_with_line

NONE_OF_IT = ("secretary", "radiologist", "auditor")


@pytest.fixture
def ward(app, sql_conn):
    load_reference(app)
    ward = ward_with_line(sql_conn)
    starts = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    ward["task"] = sql_conn.execute(
        "INSERT INTO care_tasks (patient_id, description, starts_at) VALUES (%s, 'Dressing', %s) RETURNING id",
        [ward["dubois"], starts],
    ).fetchone()[0]
    sql_conn.execute("INSERT INTO care_task_checks (care_task_id, due_at) VALUES (%s, %s)", [ward["task"], starts])
    ward["vaccination"] = give(sql_conn, ward["dubois"], "FLU", date.today())
    ward["prescription"] = sql_conn.execute(
        "SELECT prescription_id FROM prescription_items WHERE id = %s", [ward["line"]]
    ).fetchone()[0]
    return ward


def reads(ward) -> list[str]:
    patient = ward["dubois"]
    return [
        f"/api/v1/care_tasks/?patient_id={patient}",
        "/api/v1/care_tasks/overdue",
        f"/api/v1/care_task_checks/?care_task_id={ward['task']}",
        f"/api/v1/administrations/planned?patient_id={patient}",
        f"/api/v1/administrations/?prescription_id={ward['prescription']}",
        f"/api/v1/vaccinations/?patient_id={patient}",
        f"/api/v1/vaccinations/due?patient_id={patient}",
        "/api/v1/vaccines/",
        "/api/v1/vaccination_schedule/",
    ]


@pytest.mark.parametrize("username", NONE_OF_IT)
def test_roles_without_care_see_none_of_it(client, api, ward, username, sql_conn, app):
    headers = api(username)
    for url in reads(ward):
        assert client.get(url, headers=headers).status_code == 403, url
    writes = {
        "/api/v1/care_tasks/": {"patient_id": ward["dubois"], "description": "x", "starts_at": "2026-01-01T08:00:00Z"},
        "/api/v1/care_task_checks/": {"care_task_id": ward["task"], "due_at": "2026-01-01T08:00:00Z"},
        "/api/v1/administrations/": {
            "prescription_item_id": ward["line"],
            "planned_at": "2026-01-01T08:00:00Z",
            "status": "given",
        },
        "/api/v1/vaccinations/": {
            "patient_id": ward["dubois"],
            "vaccine_id": 1,
            "given_on": "2026-01-01",
            "lot_number": "L",
            "site": "oral",
        },
    }
    for url, body in writes.items():
        assert client.post(url, json=body, headers=headers).status_code == 403, url
    with app.app_context():
        try:
            kinds = {item.kind for item in patient_timeline(db.session, ward["dubois"], actor(sql_conn, username))}
        finally:
            db.session.remove()
    assert not kinds & {"administration", "vaccination", "care"}


@pytest.mark.parametrize("username", ["nurse", "doctor"])
def test_carers_read_every_kind_and_see_it_in_the_timeline(client, api, ward, username, sql_conn, app):
    headers = api(username)
    for url in reads(ward):
        assert client.get(url, headers=headers).status_code == 200, url
    with app.app_context():
        try:
            kinds = {item.kind for item in patient_timeline(db.session, ward["dubois"], actor(sql_conn, username))}
        finally:
            db.session.remove()
    assert {"vaccination", "care"} <= kinds


def test_the_reference_is_written_by_administrators_only(client, api, ward):
    body = {"code": "NEWVAC", "name": "New vaccine", "diseases": ["influenza"]}
    for username in ("nurse", "doctor"):
        assert client.post("/api/v1/vaccines/", json=body, headers=api(username)).status_code == 403
    assert client.post("/api/v1/vaccines/", json=body, headers=api("admin")).status_code == 201
    wrong = client.post("/api/v1/vaccines/", json={**body, "code": "BAD", "diseases": ["flu"]}, headers=api("admin"))
    assert wrong.status_code == 422 and "diseases" in wrong.get_json()["message"]


def test_the_demo_loads_the_reference_and_care_only_on_its_own_patients(app, sql_conn):
    """The demo's vaccinations and care tasks go to patients it created; a
    patient already there gets none; running it again adds nothing."""
    from app.demo.hospital import seed_demo_data
    from tests.agenda import make_patient

    mine = make_patient(sql_conn, "Existant", "Patient")
    with app.app_context():
        try:
            first = seed_demo_data(app.appbuilder, password="Demo-Password-42", patient_count=8)
            again = seed_demo_data(app.appbuilder, password="Demo-Password-42", patient_count=8)
        finally:
            db.session.remove()
    assert first.care.vaccines > 5 and first.care.calendar_steps > 20
    assert first.care.vaccinations == 3 and first.care.care_tasks == 2
    assert again.care.vaccines == 0 and again.care.vaccinations == 0
    counts = sql_conn.execute(
        "SELECT (SELECT count(*) FROM vaccinations WHERE patient_id = %s),"
        " (SELECT count(*) FROM care_tasks WHERE patient_id = %s)",
        [mine, mine],
    ).fetchone()
    assert counts == (0, 0)


@pytest.mark.parametrize(
    "path",
    [
        "/care/worklist/",
        "/care/rounds/",
        "/caretasks/list/",
        "/caretasks/add",
        "/vaccinations/list/",
        "/vaccinations/add",
        "/vaccines/list/",
        "/vaccination_calendar/list/",
    ],
)
def test_the_care_screens_open_for_a_nurse_and_not_for_a_secretary(client, login, ward, path):
    from tests.conftest import browser_logout

    login("nurse")
    assert client.get(path).status_code == 200, path
    browser_logout(client)
    login("secretary")
    assert client.get(path).status_code in (302, 403), path
