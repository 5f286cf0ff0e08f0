"""The calendar's JSON feed: FullCalendar's period in, events out in the
hospital's time zone, filtered by doctor and room, coloured by status, with
absences as background events and the doctor's working hours."""

from datetime import date

from tests.agenda import book, next_weekday, paris
from tests.agenda_screens import at, wall

# The Monday after the last Sunday of March 2027 (summer time: UTC+2) and a
# Monday in winter (UTC+1).
SUMMER_MONDAY = date(2027, 3, 29)
WINTER_MONDAY = date(2027, 1, 11)


def events(client, start: str, end: str, **filters):
    response = client.get("/calendar/events", query_string={"start": start, "end": end, **filters})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def day_events(client, day=None, **filters):
    day = day or at(0).date()
    return events(client, wall(0, day=day), wall(23, 59, day=day), **filters)


def appointments_only(feed):
    return [event for event in feed if event["extendedProps"]["kind"] == "appointment"]


def test_events_are_in_the_hospitals_wall_time_across_daylight_saving(client, login, clinic):
    conn = clinic["conn"]
    book(conn, clinic["dubois"], clinic["martin"], paris(2027, 1, 11, 9))
    book(conn, clinic["dubois"], clinic["martin"], paris(2027, 3, 29, 9))
    login("nurse")
    [winter] = appointments_only(day_events(client, WINTER_MONDAY))
    [summer] = appointments_only(day_events(client, SUMMER_MONDAY))
    # 09:00 on the wall both times, though 08:00 UTC in winter and 07:00 UTC in summer.
    assert (winter["start"], winter["end"]) == ("2027-01-11T09:00:00", "2027-01-11T09:30:00")
    assert (summer["start"], summer["end"]) == ("2027-03-29T09:00:00", "2027-03-29T09:30:00")
    assert winter["extendedProps"]["starts_at"].endswith("+01:00")
    assert summer["extendedProps"]["starts_at"].endswith("+02:00")


def test_the_period_may_be_sent_with_an_offset_too(client, login, clinic):
    book(clinic["conn"], clinic["dubois"], clinic["martin"], at(10))
    login("nurse")
    day = at(0).date().isoformat()
    assert len(events(client, f"{day}T00:00:00+01:00", f"{day}T23:00:00Z")) == 1
    assert events(client, f"{day}T11:00:00", f"{day}T12:00:00") == []  # ends before the period


def test_an_event_carries_what_the_popup_shows(client, login, clinic):
    book(clinic["conn"], clinic["dubois"], clinic["martin"], at(10), room_id=clinic["room"])
    login("secretary")
    [event] = day_events(client)
    assert event["title"] == "Mme Dubois · Consultation"
    assert event["color"] == "#337ab7" and event["classNames"] == ["ct-status-scheduled"]
    assert event["editable"] is True
    props = event["extendedProps"]
    assert props["patient"] == "DUBOIS Hélène" and props["doctor"] == "Dr Paul MARTIN"
    assert props["room"] == "CONS-9 - Room CONS-9" and props["duration_minutes"] == 30
    # arrived waits for the appointment's day (next Monday)
    assert [s["code"] for s in props["next_statuses"]] == ["confirmed", "cancelled", "no_show"]


def test_filters_by_doctor_and_by_room(client, login, clinic):
    conn = clinic["conn"]
    with_room = book(conn, clinic["dubois"], clinic["martin"], at(10), room_id=clinic["room"])
    other_doctor = book(conn, clinic["durand"], clinic["petit"], at(10))
    login("secretary")
    assert {e["id"] for e in day_events(client)} == {str(with_room), str(other_doctor)}
    assert [e["id"] for e in day_events(client, doctor_id=clinic["petit"])] == [str(other_doctor)]
    assert [e["id"] for e in day_events(client, room_id=clinic["room"])] == [str(with_room)]
    assert day_events(client, room_id=clinic["imaging_room"]) == []


def test_colours_follow_the_status_and_closed_ones_are_hidden_unless_asked(client, login, clinic):
    conn = clinic["conn"]
    confirmed = book(conn, clinic["dubois"], clinic["martin"], at(10))
    cancelled = book(conn, clinic["durand"], clinic["martin"], at(11))
    conn.execute("UPDATE appointments SET status = 'confirmed' WHERE id = %s", [confirmed])
    conn.execute("UPDATE appointments SET status = 'cancelled', cancellation_reason = 'ill' WHERE id = %s", [cancelled])
    login("secretary")
    [shown] = day_events(client)
    assert (shown["id"], shown["color"], shown["editable"]) == (str(confirmed), "#3c763d", True)
    everything = {e["id"]: e for e in day_events(client, inactive="1")}
    assert everything[str(cancelled)]["color"] == "#c0392b"
    assert everything[str(cancelled)]["editable"] is False
    assert everything[str(cancelled)]["extendedProps"]["next_statuses"] == []


def test_events_are_editable_only_in_the_users_own_agenda(client, login, clinic):
    conn = clinic["conn"]
    own = book(conn, clinic["dubois"], clinic["martin"], at(10))
    other = book(conn, clinic["durand"], clinic["petit"], at(10))
    login("doctor")
    editable = {e["id"]: e["editable"] for e in day_events(client)}
    assert editable == {str(own): True, str(other): False}


def test_absences_are_background_events(client, login, clinic):
    clinic["conn"].execute(
        "INSERT INTO doctor_absence (doctor_id, starts_at, ends_at, reason) VALUES (%s, %s, %s, 'Training')",
        [clinic["martin"], at(14), at(18)],
    )
    login("nurse")
    [absence] = day_events(client, doctor_id=clinic["martin"])
    assert absence["display"] == "background"
    assert (absence["start"], absence["end"]) == (wall(14), wall(18))
    assert absence["title"] == "Dr Paul MARTIN away: Training"
    assert day_events(client, doctor_id=clinic["petit"]) == []


def test_a_bad_period_is_a_400_naming_it(client, login, clinic):
    login("nurse")
    response = client.get("/calendar/events", query_string={"start": "yesterday", "end": wall(10)})
    assert response.status_code == 400 and "start" in response.get_json()["message"]
    response = client.get("/calendar/events", query_string={"start": "2026-01-01", "end": "2026-12-31"})
    assert response.status_code == 400 and "62 days" in response.get_json()["message"]


def test_the_feed_needs_a_login(client, clinic):
    response = client.get("/calendar/events", query_string={"start": wall(0), "end": wall(23)})
    assert response.status_code == 401


def test_working_hours_are_the_doctors_schedule_as_business_hours(client, login, clinic):
    conn = clinic["conn"]
    saturday_doctor = clinic["petit"]
    conn.execute(
        "INSERT INTO doctor_schedule (doctor_id, day_of_week, start_time, end_time, valid_until) "
        "VALUES (%s, 6, '09:00', '12:00', '2020-12-31')",
        [saturday_doctor],
    )  # expired long ago: not shaded
    login("nurse")
    monday = next_weekday(1)
    response = client.get(
        "/calendar/hours",
        query_string={"doctor_id": saturday_doctor, "start": wall(0, day=monday), "end": wall(0, day=monday)[:10]},
    )
    assert response.status_code == 400  # end before start
    response = client.get(
        "/calendar/hours", query_string={"doctor_id": saturday_doctor, "start": f"{monday}", "end": f"{monday}T23:00"}
    )
    hours = response.get_json()["business_hours"]
    assert len(hours) == 10  # Monday to Friday, morning and afternoon
    assert {"daysOfWeek": [1], "startTime": "09:00", "endTime": "12:00"} in hours
    assert {"daysOfWeek": [5], "startTime": "14:00", "endTime": "18:00"} in hours
    assert all(h["daysOfWeek"] != [6] for h in hours)


def test_a_sunday_schedule_is_day_zero_for_fullcalendar(client, login, clinic):
    clinic["conn"].execute(
        "INSERT INTO doctor_schedule (doctor_id, day_of_week, start_time, end_time) VALUES (%s, 7, '08:00', '13:00')",
        [clinic["martin"]],
    )
    login("nurse")
    hours = client.get(
        "/calendar/hours", query_string={"doctor_id": clinic["martin"], "start": wall(0), "end": wall(23)}
    ).get_json()["business_hours"]
    assert {"daysOfWeek": [0], "startTime": "08:00", "endTime": "13:00"} in hours
