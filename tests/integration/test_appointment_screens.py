"""The agenda's list and form screens (FAB): appointments, working hours,
absences, appointment types.  A write the database refuses comes back on the
form in plain words, what was typed still there; agendas are written only by
their owners (or a secretary, an admin)."""

from tests.agenda import book
from tests.agenda_screens import MONDAY, at
from tests.conftest import browser_logout, csrf_token


def submit(client, url: str, fields: dict):
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    return client.post(
        url, data={**fields, "csrf_token": csrf_token(page.get_data(as_text=True))}, follow_redirects=True
    )


def form(clinic, **overrides) -> dict:
    fields = {
        "patient": clinic["dubois"],
        "doctor": clinic["martin"],
        "type": clinic["consultation"],
        "starts_at": f"{MONDAY}T10:00",
        "duration_minutes": "",
        "room": "",
        "notes": "",
        "override_reason": "",
    }
    fields.update(overrides)
    return fields


def appointments(conn):
    return conn.execute(
        "SELECT patient_id, doctor_id, starts_at, duration_minutes, status FROM appointments"
    ).fetchall()


def test_secretary_adds_an_appointment_with_the_types_duration(client, login, clinic):
    login("secretary")
    response = submit(client, "/appointments/add", form(clinic))
    assert " saved." in response.get_data(as_text=True)
    assert appointments(clinic["conn"]) == [(clinic["dubois"], clinic["martin"], at(10), 30, "scheduled")]
    (booked_by,) = (
        clinic["conn"]
        .execute("SELECT u.username FROM appointments a JOIN ab_user u ON u.id = a.booked_by_id")
        .fetchone()
    )
    assert booked_by == "secretary"


def test_the_add_form_picks_the_patient_as_you_type(client, login, clinic):
    login("secretary")
    html = client.get("/appointments/add").get_data(as_text=True)
    assert 'class="ct-patient-picker"' in html and "js/patient_picker.js" in html
    assert "DUBOIS" not in html  # no list of every patient in the page


def test_a_double_booking_is_refused_on_the_form_in_plain_words(client, login, clinic):
    book(clinic["conn"], clinic["durand"], clinic["martin"], at(10))
    login("secretary")
    response = submit(client, "/appointments/add", form(clinic, starts_at=f"{MONDAY}T10:15", notes="typed"))
    html = response.get_data(as_text=True)
    assert "Dr Paul MARTIN already sees M. Durand" in html and "from 10:00 to 10:30" in html
    assert "ExclusionViolation" not in html and "INSERT INTO" not in html
    assert "typed</textarea>" in html  # what was typed is still there
    assert len(appointments(clinic["conn"])) == 1


def test_outside_working_hours_is_refused_on_the_form(client, login, clinic):
    login("secretary")
    html = submit(client, "/appointments/add", form(clinic, starts_at=f"{MONDAY}T07:00")).get_data(as_text=True)
    assert "Outside the doctor&#39;s working hours" in html
    assert appointments(clinic["conn"]) == []


def test_edit_moves_through_the_same_rules(client, login, clinic):
    conn = clinic["conn"]
    book(conn, clinic["dubois"], clinic["martin"], at(10))
    moved = book(conn, clinic["durand"], clinic["martin"], at(11))
    login("secretary")
    fields = form(clinic, starts_at=f"{MONDAY}T10:15", duration_minutes="30", status="scheduled")
    del fields["patient"]
    refused = submit(client, f"/appointments/edit/{moved}", fields).get_data(as_text=True)
    assert "already sees Mme Dubois" in refused
    assert conn.execute("SELECT starts_at FROM appointments WHERE id = %s", [moved]).fetchone() == (at(11),)
    accepted = submit(client, f"/appointments/edit/{moved}", {**fields, "starts_at": f"{MONDAY}T15:00"})
    assert " saved." in accepted.get_data(as_text=True)
    assert conn.execute("SELECT starts_at FROM appointments WHERE id = %s", [moved]).fetchone() == (at(15),)


def test_the_edit_form_shows_the_patient_and_an_empty_room_reads_no_room(client, login, clinic):
    conn = clinic["conn"]
    appointment = book(conn, clinic["dubois"], clinic["martin"], at(10))
    (mrn,) = conn.execute("SELECT mrn FROM patients WHERE id = %s", [clinic["dubois"]]).fetchone()
    login("secretary")
    html = client.get(f"/appointments/edit/{appointment}").get_data(as_text=True)
    shown = html[html.index('class="form-control-static ct-patient-shown"') :].split("</p>")[0]
    assert "DUBOIS Hélène" in shown and mrn in shown and "born 17/05/1980" in shown
    assert f"IPP {mrn}" not in shown  # the IPP reads as itself (IPP00000001), not "IPP IPP00000001"
    assert f'href="/patients/show/{clinic["dubois"]}"' in shown
    assert '<option selected value="__None">No room</option>' in html
    assert ">__None<" not in html
    # The patient is shown, not posted: a forged value changes nothing; an empty room stays empty.
    fields = form(clinic, patient=clinic["durand"], room="__None", duration_minutes="30", status="confirmed")
    assert " saved." in submit(client, f"/appointments/edit/{appointment}", fields).get_data(as_text=True)
    assert conn.execute(
        "SELECT patient_id, room_id, status FROM appointments WHERE id = %s", [appointment]
    ).fetchone() == (
        clinic["dubois"],
        None,
        "confirmed",
    )


def test_a_doctor_moving_their_own_appointment_onto_another_sees_why(client, login, clinic):
    """The agenda check runs before the write without flushing the form's
    values: the refusal is the service's plain words, not an error page."""
    conn = clinic["conn"]
    book(conn, clinic["dubois"], clinic["martin"], at(10))
    moved = book(conn, clinic["durand"], clinic["martin"], at(11))
    login("doctor")
    fields = form(clinic, starts_at=f"{MONDAY}T10:15", duration_minutes="", status="scheduled")
    del fields["patient"]
    response = submit(client, f"/appointments/edit/{moved}", fields)
    assert response.status_code == 200
    assert "already sees Mme Dubois" in response.get_data(as_text=True)
    assert conn.execute("SELECT starts_at, duration_minutes FROM appointments WHERE id = %s", [moved]).fetchone() == (
        at(11),
        30,
    )


def test_cancelling_on_the_form_needs_a_reason(client, login, clinic):
    appointment = book(clinic["conn"], clinic["dubois"], clinic["martin"], at(10))
    login("secretary")
    fields = form(clinic, duration_minutes="30", status="cancelled", cancellation_reason="")
    del fields["patient"]
    html = submit(client, f"/appointments/edit/{appointment}", fields).get_data(as_text=True)
    assert "Give a reason for the cancellation." in html
    assert appointments(clinic["conn"])[0][4] == "scheduled"


def test_a_doctor_cannot_add_to_another_doctors_agenda(client, login, clinic):
    login("doctor")
    html = submit(client, "/appointments/add", form(clinic, doctor=clinic["petit"])).get_data(as_text=True)
    assert "You may only change your own agenda." in html
    assert appointments(clinic["conn"]) == []
    assert " saved." in submit(client, "/appointments/add", form(clinic)).get_data(as_text=True)


def test_a_doctor_cannot_edit_another_doctors_appointment(client, login, clinic):
    appointment = book(clinic["conn"], clinic["dubois"], clinic["petit"], at(10))
    login("doctor")
    fields = form(clinic, doctor=clinic["martin"], duration_minutes="30", status="scheduled")
    del fields["patient"]
    html = submit(client, f"/appointments/edit/{appointment}", fields).get_data(as_text=True)
    assert "You may only change your own agenda." in html
    assert appointments(clinic["conn"])[0][1] == clinic["petit"]


def listed(client, query: str) -> int:
    response = client.get(f"/appointments/list/?{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True).count('<input id="') or response.get_data(as_text=True).count("fa-search")


def test_the_list_filters_by_day_doctor_status_and_patient(client, login, clinic):
    conn = clinic["conn"]
    book(conn, clinic["dubois"], clinic["martin"], at(10))
    book(conn, clinic["durand"], clinic["petit"], at(11))
    next_week = MONDAY.toordinal() + 7
    later = book(conn, clinic["durand"], clinic["martin"], at(10, day=MONDAY.fromordinal(next_week)))
    conn.execute("UPDATE appointments SET status = 'cancelled', cancellation_reason = 'x' WHERE id = %s", [later])
    login("nurse")

    def count(query: str) -> int:
        response = client.get(f"/appointments/list/?{query}")
        assert response.status_code == 200
        return response.get_data(as_text=True).count("/appointments/show/")

    assert count("") == 3
    assert count(f"_flt_0_starts_at={MONDAY}") == 2  # on that day
    assert count(f"_flt_1_starts_at={MONDAY.fromordinal(next_week)}") == 1  # from that day
    assert count(f"_flt_1_starts_at={MONDAY}&_flt_2_starts_at={MONDAY}") == 2  # a period
    assert count(f"_flt_0_doctor={clinic['martin']}") == 2
    assert count("_flt_2_status=cancelled") == 1
    assert count("_flt_0_patient=LUC durand") == 2  # the patient's names, any order, no accents needed
    assert count("_flt_0_patient=helene") == 1
    assert count(f"_flt_1_patient={clinic['dubois']}") == 1  # the patient page's link


def test_an_appointment_downloads_as_ics(client, login, clinic):
    import icalendar

    appointment = book(clinic["conn"], clinic["dubois"], clinic["martin"], at(10))
    login("nurse")
    page = client.get(f"/appointments/show/{appointment}").get_data(as_text=True)
    assert f"/appointments/ics/{appointment}" in page
    response = client.get(f"/appointments/ics/{appointment}")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    [event] = icalendar.Calendar.from_ical(response.data).walk("VEVENT")
    assert event.decoded("dtstart") == at(10) and str(event["uid"]) == f"appointment-{appointment}@caretrail"
    assert client.get("/appointments/ics/999999").status_code == 404


def test_working_hours_are_added_and_overlaps_refused_on_the_form(client, login, clinic):
    login("secretary")
    fields = {"doctor": clinic["petit"], "day_of_week": "6", "start_time": "09:00", "end_time": "12:00"}
    fields.update(valid_from="", valid_until="")
    assert " saved." in submit(client, "/schedules/add", fields).get_data(as_text=True)
    html = submit(client, "/schedules/add", {**fields, "start_time": "11:00", "end_time": "13:00"}).get_data(
        as_text=True
    )
    assert "These hours overlap other working hours of the same doctor." in html
    rows = clinic["conn"].execute("SELECT start_time::text FROM doctor_schedule WHERE day_of_week = 6").fetchall()
    assert rows == [("09:00:00",)]
    assert "Saturday" in client.get("/schedules/list/").get_data(as_text=True)


def test_a_doctor_edits_only_their_own_working_hours(client, login, clinic):
    login("doctor")
    fields = {"day_of_week": "6", "start_time": "09:00", "end_time": "12:00", "valid_from": "", "valid_until": ""}
    refused = submit(client, "/schedules/add", {**fields, "doctor": clinic["petit"]}).get_data(as_text=True)
    assert "You may only change your own agenda." in refused
    assert " saved." in submit(client, "/schedules/add", {**fields, "doctor": clinic["martin"]}).get_data(as_text=True)
    (count,) = clinic["conn"].execute("SELECT count(*) FROM doctor_schedule WHERE day_of_week = 6").fetchone()
    assert count == 1


def test_absences_are_added_in_hospital_time_and_checked(client, login, clinic):
    login("secretary")
    fields = {"doctor": clinic["martin"], "starts_at": f"{MONDAY}T14:00", "ends_at": f"{MONDAY}T18:00"}
    assert " saved." in submit(client, "/absences/add", {**fields, "reason": "Training"}).get_data(as_text=True)
    rows = clinic["conn"].execute("SELECT starts_at, ends_at, reason FROM doctor_absence").fetchall()
    assert rows == [(at(14), at(18), "Training")]
    html = submit(client, "/absences/add", {**fields, "ends_at": f"{MONDAY}T13:00", "reason": "x"}).get_data(
        as_text=True
    )
    assert "An absence must end after it starts." in html


def test_admins_extend_the_appointment_types_and_others_only_read_them(client, login, clinic):
    fields = {"name": "Dressing change", "code": "dressing", "default_duration_minutes": "20", "is_active": "y"}
    login("secretary")
    assert "Consultation" in client.get("/appointment-types/list/").get_data(as_text=True)
    assert client.get("/appointment-types/add").status_code == 403
    browser_logout(client)
    login("admin")
    assert " saved." in submit(client, "/appointment-types/add", fields).get_data(as_text=True)
    html = submit(client, "/appointment-types/add", {**fields, "name": "Other", "code": "Bad Code"}).get_data(
        as_text=True
    )
    assert "Code: lower-case letters, digits and _, starting with a letter." in html
    (duration,) = (
        clinic["conn"]
        .execute("SELECT default_duration_minutes FROM appointment_types WHERE code = 'dressing'")
        .fetchone()
    )
    assert duration == 20


def test_the_patient_page_lists_upcoming_and_past_appointments(client, login, clinic):
    conn = clinic["conn"]
    upcoming = book(conn, clinic["dubois"], clinic["martin"], at(10))
    past = conn.execute(
        "INSERT INTO appointments (patient_id, doctor_id, type_id, starts_at, duration_minutes, override_reason) "
        "SELECT %s, %s, id, now() - interval '40 days', 30, 'Night emergency' FROM appointment_types "
        "WHERE code = 'emergency' RETURNING id",
        [clinic["dubois"], clinic["petit"]],
    ).fetchone()[0]
    other_patient = book(conn, clinic["durand"], clinic["martin"], at(11))
    login("nurse")
    html = client.get(f"/patients/show/{clinic['dubois']}").get_data(as_text=True)
    upcoming_part = html.split('id="patient-upcoming"')[1].split('id="patient-past"')[0]
    past_part = html.split('id="patient-past"')[1]
    assert f'data-appointment-id="{upcoming}"' in upcoming_part and "Dr Paul MARTIN" in upcoming_part
    assert f'data-appointment-id="{past}"' in past_part and "Emergency" in past_part
    assert f'data-appointment-id="{other_patient}"' not in html
