"""Issue 15's agenda points in a real browser: the calendar's popup offers
Postpone (and no Arrived before the day), postponing through the slot
finder, the edit form showing the patient and "No room", and the absence
form listing the appointments it covers with a decision for each."""

from tests.agenda import book
from tests.agenda_screens import MONDAY, at, make_clinic


def open_event(page, live_server, clinic, text: str):
    page.goto(f"{live_server}/calendar/?doctor_id={clinic['martin']}&date={MONDAY}&view=timeGridDay")
    page.locator(".fc-event", has_text=text).click()
    page.wait_for_selector("#event-modal.in")


def test_postponing_from_the_calendar_popup_through_the_slot_finder(sign_in, live_server, sql_conn):
    clinic = make_clinic(sql_conn)
    old = book(sql_conn, clinic["dubois"], clinic["martin"], at(9))
    page = sign_in("secretary")
    open_event(page, live_server, clinic, "Mme Dubois")
    actions = page.locator("#event-actions")
    assert "Confirmed" in actions.inner_text()
    assert "Arrived" not in actions.inner_text()  # next Monday: not before the day
    actions.locator("a.ct-postpone").click()
    page.wait_for_selector(".ct-postponing")
    assert "DUBOIS Hélène" in page.locator(".ct-postponing").inner_text()
    # The finder lists the first free times from now: from Monday to Friday those
    # are today's. The secretary narrows it to that Monday, as she would.
    page.fill("#slot-from", MONDAY.isoformat())
    page.fill("#slot-to", MONDAY.isoformat())
    page.locator("#find-slot-form button[type=submit]").click()
    page.wait_for_selector("#slot-results")
    page.locator(f'tr.ct-slot[data-starts-at="{at(14).isoformat()}"]').locator(
        "button", has_text="Postpone to this time"
    ).click()
    page.wait_for_selector(".alert-success")
    assert "Postponed: DUBOIS Hélène now sees Dr Paul MARTIN" in page.content()
    status, new = sql_conn.execute("SELECT status, postponed_to_id FROM appointments WHERE id = %s", [old]).fetchone()
    assert status == "postponed"
    assert sql_conn.execute("SELECT starts_at FROM appointments WHERE id = %s", [new]).fetchone() == (at(14),)


def test_the_edit_form_shows_the_patient_and_no_room(sign_in, live_server, sql_conn):
    clinic = make_clinic(sql_conn)
    appointment = book(sql_conn, clinic["dubois"], clinic["martin"], at(9))
    page = sign_in("secretary")
    page.goto(f"{live_server}/appointments/edit/{appointment}")
    shown = page.locator(".ct-patient-shown")
    assert "DUBOIS Hélène" in shown.inner_text() and "born 17/05/1980" in shown.inner_text()
    # What the user sees of the form (Select2 draws the room's choice): "No room", never "__None".
    assert "No room" in page.locator("form#model_form").inner_text()
    assert "__None" not in page.locator("form#model_form").inner_text()
    statuses = page.locator("select#status option").all_inner_texts()
    assert "Postponed" not in statuses and "Confirmed" in statuses


def test_the_absence_form_asks_what_to_do_with_each_appointment(sign_in, live_server, sql_conn):
    clinic = make_clinic(sql_conn)
    morning = book(sql_conn, clinic["dubois"], clinic["martin"], at(10))
    afternoon = book(sql_conn, clinic["durand"], clinic["martin"], at(15))
    page = sign_in("secretary")
    page.goto(f"{live_server}/absences/add")
    page.select_option("select#doctor", str(clinic["martin"]))
    page.fill("input#starts_at", f"{MONDAY}T08:00")
    page.fill("input#ends_at", f"{MONDAY}T18:00")
    page.fill("input#reason", "Training")
    page.locator("form#model_form button[type=submit]").first.click()
    page.wait_for_selector("table.ct-covered")
    assert "covers 2 booked appointments" in page.content()
    rows = page.locator("tr.ct-covered-appointment")
    assert rows.count() == 2
    page.check(f'input[name="decisions-{morning}"][value="keep"]')
    page.fill(f'input[name="decisions-{morning}-reason"]', "Seen by Dr Petit")
    page.check(f'input[name="decisions-{afternoon}"][value="rebook"]')
    page.locator("form#model_form button[type=submit]").first.click()
    page.wait_for_selector(".alert-success")
    assert sql_conn.execute("SELECT count(*) FROM doctor_absence").fetchone() == (1,)
    page.goto(f"{live_server}/to-rebook/list/")
    assert "DURAND Luc" in page.content() and "DUBOIS Hélène" not in page.content()
