"""Find a slot: the next free slots for a doctor or a specialty, a type or a
duration, a period and a room; one click on "Book" books through the same
rules as everywhere else."""

import re

from tests.agenda import book
from tests.agenda_screens import MONDAY, at, page_csrf_token

SLOT_ROWS = re.compile(r'<tr class="ct-slot" data-starts-at="([^"]+)" data-doctor-id="(\d+)">')


def find(client, **params):
    response = client.get("/find-slot/", query_string={"from": MONDAY.isoformat(), "to": MONDAY.isoformat(), **params})
    return response, SLOT_ROWS.findall(response.get_data(as_text=True))


def test_lists_the_next_free_slots_of_a_doctor_around_bookings(client, login, clinic):
    book(clinic["conn"], clinic["dubois"], clinic["martin"], at(9), 45)
    login("nurse")
    response, slots = find(client, doctor_id=clinic["martin"], type_id=clinic["consultation"])
    assert response.status_code == 200
    assert [start for start, _doctor in slots][:4] == [
        at(9, 45).isoformat(),
        at(10).isoformat(),
        at(10, 15).isoformat(),
        at(10, 30).isoformat(),
    ]
    assert len(slots) == 10 and {doctor for _start, doctor in slots} == {str(clinic["martin"])}
    assert "Book</button>" not in response.get_data(as_text=True)  # a nurse reads, does not book


def test_a_duration_overrides_the_types_and_lunch_breaks_are_respected(client, login, clinic):
    login("secretary")
    _response, slots = find(client, doctor_id=clinic["martin"], type_id=clinic["consultation"], duration=150)
    # 150 minutes: 9:00, 9:15 and 9:30 fit before noon, then only from 14:00.
    morning = [(9, 0), (9, 15), (9, 30)]
    afternoon = [(14, 0), (14, 15), (14, 30), (14, 45), (15, 0), (15, 15), (15, 30)]
    assert [start for start, _ in slots] == [at(h, m).isoformat() for h, m in morning + afternoon]


def test_a_specialty_searches_every_doctor_of_it(client, login, clinic):
    login("secretary")
    _response, slots = find(client, specialty="paediatrics", type_id=clinic["consultation"])
    assert slots and {doctor for _start, doctor in slots} == {str(clinic["petit"])}


def test_a_type_that_needs_a_room_asks_for_one(client, login, clinic):
    login("secretary")
    response, slots = find(client, doctor_id=clinic["martin"], type_id=clinic["imaging"])
    assert response.status_code == 400 and slots == []
    assert "Imaging needs a room: choose one." in response.get_data(as_text=True)
    clinic["conn"].execute(
        "INSERT INTO appointments (patient_id, doctor_id, type_id, room_id, starts_at, duration_minutes) "
        "VALUES (%s, %s, %s, %s, %s, 120)",
        [clinic["durand"], clinic["petit"], clinic["imaging"], clinic["imaging_room"], at(9)],
    )
    _response, slots = find(
        client, doctor_id=clinic["martin"], type_id=clinic["imaging"], room_id=clinic["imaging_room"]
    )
    assert slots[0][0] == at(11).isoformat()  # the room is taken until 11:00


def test_one_click_books_the_slot_for_the_chosen_patient(client, login, clinic):
    login("secretary")
    response, slots = find(
        client, doctor_id=clinic["martin"], type_id=clinic["consultation"], patient_id=clinic["dubois"]
    )
    html = response.get_data(as_text=True)
    assert "DUBOIS Hélène" in html  # the picker shows who is booked
    starts_at, doctor_id = slots[0]
    answer = client.post(
        "/find-slot/book",
        data={
            "csrf_token": page_csrf_token(html),
            "doctor_id": doctor_id,
            "starts_at": starts_at,
            "duration": "30",
            "type_id": clinic["consultation"],
            "room_id": "",
            "patient_id": clinic["dubois"],
            "search": f"doctor_id={doctor_id}",
        },
    )
    assert answer.status_code == 302
    assert f"doctor_id={doctor_id}" in answer.headers["Location"] and "view=timeGridDay" in answer.headers["Location"]
    row = (
        clinic["conn"].execute("SELECT patient_id, doctor_id, starts_at, duration_minutes FROM appointments").fetchone()
    )
    assert row == (clinic["dubois"], clinic["martin"], at(9), 30)
    shown = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert f"Booked: DUBOIS Hélène with Dr Paul MARTIN on {MONDAY:%d/%m/%Y} at 09:00." in shown


def test_a_slot_taken_meanwhile_shows_the_refusal_on_the_page(client, login, clinic):
    login("secretary")
    response, slots = find(client, doctor_id=clinic["martin"], type_id=clinic["consultation"])
    book(clinic["conn"], clinic["durand"], clinic["martin"], at(9))  # someone else was quicker
    answer = client.post(
        "/find-slot/book",
        data={
            "csrf_token": page_csrf_token(response.get_data(as_text=True)),
            "doctor_id": clinic["martin"],
            "starts_at": slots[0][0],
            "duration": "30",
            "type_id": clinic["consultation"],
            "patient_id": clinic["dubois"],
            "search": f"doctor_id={clinic['martin']}&type_id={clinic['consultation']}&from={MONDAY}&to={MONDAY}",
        },
    )
    assert answer.status_code == 409
    html = answer.get_data(as_text=True)
    assert "Dr Paul MARTIN already sees M. Durand" in html
    assert SLOT_ROWS.findall(html)[0][0] == at(9, 30).isoformat()  # the search again, without the taken slot


def test_booking_without_a_patient_says_so(client, login, clinic):
    login("secretary")
    response, slots = find(client, doctor_id=clinic["martin"], type_id=clinic["consultation"])
    answer = client.post(
        "/find-slot/book",
        data={
            "csrf_token": page_csrf_token(response.get_data(as_text=True)),
            "doctor_id": clinic["martin"],
            "starts_at": slots[0][0],
            "type_id": clinic["consultation"],
        },
    )
    assert answer.status_code == 422
    assert "Choose the patient first" in answer.get_data(as_text=True)
    assert clinic["conn"].execute("SELECT count(*) FROM appointments").fetchone()[0] == 0


def test_a_doctor_cannot_book_in_another_doctors_agenda_from_the_results(client, login, clinic):
    login("doctor")
    response, slots = find(client, doctor_id=clinic["petit"], type_id=clinic["consultation"])
    answer = client.post(
        "/find-slot/book",
        data={
            "csrf_token": page_csrf_token(response.get_data(as_text=True)),
            "doctor_id": clinic["petit"],
            "starts_at": slots[0][0],
            "type_id": clinic["consultation"],
            "patient_id": clinic["dubois"],
        },
    )
    assert answer.status_code == 403
    assert "You may only change your own agenda." in answer.get_data(as_text=True)
    assert clinic["conn"].execute("SELECT count(*) FROM appointments").fetchone()[0] == 0
