"""Each role lands on its home; GET /api/v1/home/<kind> answers its figures
under the domains' permissions; the patient banner on the patient's page."""

from datetime import datetime, timedelta

import pytest

from tests.agenda import book
from tests.prescribing import make_ward


def home(client, headers, kind):
    return client.get(f"/api/v1/home/{kind}", headers=headers)


def test_the_secretary_home_shows_the_waiting_room(client, api, ward_today):
    answer = home(client, api("secretary"), "secretary")
    assert answer.status_code == 200
    figures = answer.get_json()
    waiting = figures["waiting_room"]
    assert [row["id"] for row in waiting] == [ward_today["appointment"]]
    assert waiting[0]["waiting_since"]  # from the audit of the status change
    assert figures["days"][0]["doctors"][0]["doctor"] == "Dr Martin"
    assert figures["status_counts"] == {"arrived": 1}


def test_the_doctor_home_is_the_doctors_own(client, api, ward_today):
    figures = home(client, api("doctor"), "doctor").get_json()
    assert [row["id"] for row in figures["agenda"]] == [ward_today["appointment"]]
    assert [row["patient_id"] for row in figures["allergy_alerts"]] == [ward_today["dubois"]]
    assert figures["renewals_due"] == [] and figures["unsigned_drafts"] == []


@pytest.mark.parametrize(
    ("user", "kind"),
    [("doctor", "secretary"), ("nurse", "oversight"), ("secretary", "doctor"), ("auditor", "nurse")],
)
def test_a_home_is_refused_to_other_roles(client, api, ward_today, user, kind):
    assert home(client, api(user), kind).status_code == 403


def test_an_auditor_sees_the_audit_but_neither_alerts_nor_jobs(client, api, ward_today):
    figures = home(client, api("auditor"), "oversight").get_json()
    assert "alerts" not in figures and "failed_jobs" not in figures
    assert figures["audit"]["total"] >= 1 and len(figures["audit"]["per_hour"]) == 24
    admin = home(client, api("admin"), "oversight").get_json()
    assert {"alerts", "audit", "failed_jobs"} <= set(admin)


def test_nurse_home_flags_allergies_and_lists_the_overdue_care_tasks(client, api, ward_today, sql_conn):
    figures = home(client, api("nurse"), "nurse").get_json()
    assert [(row["patient_id"], row["allergy"]) for row in figures["patients"]] == [(ward_today["dubois"], True)]
    assert figures["care_tasks"] == [] and figures["care_tasks_available"] is True
    sql_conn.execute(
        "INSERT INTO care_tasks (patient_id, description, starts_at)"
        " VALUES (%s, 'Pansement', now() - interval '3 hours')",
        [ward_today["dubois"]],
    )
    (task,) = home(client, api("nurse"), "nurse").get_json()["care_tasks"]
    assert task["task"] == "Pansement" and task["url"] == "/care/worklist/"
    # A secretary reads today's patients, not the care: no task, none said to exist.
    by_secretary = home(client, api("secretary"), "nurse").get_json()
    assert by_secretary["care_tasks"] == [] and by_secretary["care_tasks_available"] is False


def test_unknown_home_and_no_token(client, api, ward_today):
    assert home(client, api("admin"), "kitchen").status_code == 404
    assert client.get("/api/v1/home/secretary").status_code == 401


@pytest.mark.parametrize(
    ("user", "title"),
    [("secretary", "Reception"), ("doctor", "My day"), ("nurse", "Care tasks"), ("auditor", "Oversight")],
)
def test_each_role_lands_on_its_home(client, login, ward_today, user, title):
    page = login(user).get_data(as_text=True)
    assert title in page
    assert 'id="global-search-input"' in page


def test_the_patient_banner(client, login, ward_today):
    login("doctor")
    page = client.get(f"/patients/show/{ward_today['dubois']}").get_data(as_text=True)
    assert "patient-banner-allergy" in page and "penicilline" in page.lower()
    assert "1 85 05 78 006 084 91" in page and ">male<" in page
    assert 'data-action="edit"' in page and 'data-action="prescribe"' in page
    # clinical first for a doctor: the sections come before the identity tables
    assert page.index('class="patient-sections"') < page.index('class="patient-administrative"')


def test_the_secretary_banner_has_no_prescribing_and_administrative_first(client, login, ward_today):
    login("secretary")
    page = client.get(f"/patients/show/{ward_today['dubois']}").get_data(as_text=True)
    assert 'data-action="edit"' in page and 'data-action="book"' in page
    assert 'data-action="prescribe"' not in page and "penicilline" not in page.lower()
    assert page.index('class="patient-administrative"') < page.index('class="patient-sections"')
    edit = client.get(f"/patients/edit/{ward_today['dubois']}").get_data(as_text=True)
    assert "patient-banner" in edit


def test_the_printable_day_list_per_doctor(client, login, ward_today):
    login("secretary")
    page = client.get(f"/calendar/day/print?doctor_id={ward_today['martin']}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "DUBOIS" in text and "Dr Paul MARTIN" in text
    assert client.get("/calendar/day/?by=room").status_code == 200


def test_the_banner_heads_the_prescription_pages(client, login, ward_today):
    login("doctor")
    form = client.get(f"/prescriptions/add?patient_id={ward_today['dubois']}").get_data(as_text=True)
    assert "patient-banner-allergy" in form


@pytest.fixture
def busy_day(sql_conn):
    """Dr Petit booked every ten minutes of today and of tomorrow (288 appointments)."""
    ward = make_ward(sql_conn)
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(sql_conn.execute("SELECT hospital_time_zone()").fetchone()[0])
    midnight = datetime.combine(datetime.now(zone).date(), datetime.min.time(), zone)
    today_slots = [midnight + timedelta(minutes=10 * n) for n in range(144)]
    tomorrow = datetime.combine(midnight.date() + timedelta(days=1), datetime.min.time(), zone)
    for starts in today_slots + [tomorrow + timedelta(minutes=10 * n) for n in range(144)]:
        book(sql_conn, ward["durand"], ward["petit"], starts, minutes=10, kind="emergency", override_reason="test")
    return {**ward, "today_slots": today_slots, "zone": zone}


def test_the_reception_home_stays_bounded_on_a_busy_day(client, api, login, busy_day):
    """288 appointments of one doctor over two days: the home lists the next
    arrivals (from an hour late on, the soonest first, at most 20) and each
    doctor's next three of today; each doctor's count of today and of
    tomorrow links to that day.  It used to list every appointment of both
    days (1,200 each at 50 doctors)."""
    before = datetime.now(busy_day["zone"])
    figures = home(client, api("secretary"), "secretary").get_json()
    after = datetime.now(busy_day["zone"])

    due = [datetime.fromisoformat(s) for s in _starts(busy_day, [row["id"] for row in figures["to_check_in"]])]
    remaining = [s for s in busy_day["today_slots"] if s >= before - timedelta(hours=1)]
    assert due == sorted(due) and len(due) == min(20, len(remaining)) and len(due) <= 20
    assert due[0] in {remaining[0], next(s for s in busy_day["today_slots"] if s >= after - timedelta(hours=1))}
    assert figures["to_check_in_count"] == 144, "every arrival of the day still to check in is counted"

    for day in figures["days"]:
        (petit,) = [doctor for doctor in day["doctors"] if doctor["doctor"] == "Dr Petit"]
        assert petit["count"] == 144
        assert f"doctor_id={busy_day['petit']}" in petit["day_url"] and f"date={day['day']}" in petit["day_url"]
    today, tomorrow = (next(d for d in day["doctors"] if d["doctor"] == "Dr Petit") for day in figures["days"])
    shown = [datetime.fromisoformat(s) for s in _starts(busy_day, [row["id"] for row in today["appointments"]])]
    assert len(shown) == 3 and shown == sorted(shown) and shown[0] >= before - timedelta(hours=1)
    assert tomorrow["appointments"] is None, "tomorrow: the count and the link to the day"

    login("secretary")
    page = client.get("/").get_data(as_text=True)
    assert page.count("data-appointment-id=") <= 20 + 3, "the page lists a bounded number of appointments"
    assert "The next 20 of 144" in page or len(remaining) < 20


def _starts(ward, appointment_ids) -> list[str]:
    rows = (
        ward["conn"]
        .execute(
            "SELECT starts_at FROM appointments WHERE id = ANY(%s) ORDER BY array_position(%s, id)",
            [appointment_ids, appointment_ids],
        )
        .fetchall()
    )
    return [starts.astimezone(ward["zone"]).isoformat() for (starts,) in rows]


def test_the_nurse_home_lists_the_patients_here_and_the_next_expected(client, api, busy_day, sql_conn):
    """The patients arrived (wherever their time) and the next 30 expected,
    from an hour late on; the badge counts the day's.  It listed the whole day."""
    first = sql_conn.execute(
        "SELECT id FROM appointments WHERE doctor_id = %s ORDER BY starts_at LIMIT 1", [busy_day["petit"]]
    ).fetchone()[0]
    sql_conn.execute("UPDATE appointments SET status = 'arrived' WHERE id = %s", [first])  # at midnight: here still
    before = datetime.now(busy_day["zone"])
    figures = home(client, api("nurse"), "nurse").get_json()
    ids = [row["id"] for row in figures["patients"]]
    starts = [datetime.fromisoformat(s) for s in _starts(busy_day, ids)]
    assert ids[0] == first and starts == sorted(starts)
    assert all(s >= before - timedelta(hours=1) for s in starts[1:]) and len(ids) <= 1 + 30
    remaining = [s for s in busy_day["today_slots"][1:] if s >= before - timedelta(hours=1)]
    assert len(ids) - 1 == min(30, len(remaining)) or len(ids) - 1 == min(30, len(remaining)) - 1
    assert figures["patients_count"] == 144


@pytest.mark.parametrize("user", ["secretary", "nurse", "doctor"])
def test_a_home_costs_the_same_queries_whatever_the_day_holds(app, client, login, busy_day, sql_conn, user):
    """A count, not a timing: a home's queries do not grow with its rows (a
    query per row, per doctor or per arrival would show), and stay within
    issue 22's ten a page besides the reception's, which reads more lists."""
    from tests.integration.test_permission_checks import count_queries

    def book_martin(minutes: int, *, arrived: bool) -> None:
        starts = busy_day["today_slots"][0] + timedelta(minutes=minutes + 5)
        appointment = book(
            sql_conn, busy_day["dubois"], busy_day["martin"], starts, minutes=5, kind="emergency", override_reason="t"
        )
        if arrived:
            sql_conn.execute("UPDATE appointments SET status = 'arrived' WHERE id = %s", [appointment])

    book_martin(0, arrived=True)  # a second doctor and an arrival: every part of each home has rows
    login(user)
    before = count_queries(app, client, "/")
    for minutes in range(45, 60 * 23, 45):  # then many more rows and arrivals
        book_martin(minutes, arrived=minutes % 90 == 0)
    after = count_queries(app, client, "/")
    assert after == before, (before, after)
    assert after <= {"secretary": 13, "nurse": 8, "doctor": 10}[user], after
