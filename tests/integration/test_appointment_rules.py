"""The agenda's rules, straight in SQL (as a DBA in psql): the database itself
refuses double bookings, bookings outside working hours or during an
absence, and status changes that are not allowed."""

from datetime import time, timedelta

import pytest
from psycopg import errors

from tests.agenda import book, make_doctor, make_patient, make_room, next_weekday, paris, weekly_hours

MONDAY = next_weekday(1)
PAST_MONDAY = MONDAY - timedelta(days=7)  # today at the latest: arrival and completion are allowed


def at(hour: int, minute: int = 0, day=MONDAY):
    return paris(day.year, day.month, day.day, hour, minute)


@pytest.fixture
def agenda(sql_conn):
    """A doctor working Mon-Fri 9-12 and 14-18, two patients, a room."""
    doctor = make_doctor(sql_conn)
    weekly_hours(sql_conn, doctor)
    return {
        "conn": sql_conn,
        "doctor": doctor,
        "marie": make_patient(sql_conn, "Dubois", "Marie", "F"),
        "luc": make_patient(sql_conn, "Durand", "Luc", "M"),
        "room": make_room(sql_conn),
    }


def constraint_of(excinfo) -> str:
    return excinfo.value.diag.constraint_name


def test_same_doctor_overlap_is_refused(agenda):
    conn = agenda["conn"]
    book(conn, agenda["marie"], agenda["doctor"], at(10))
    with pytest.raises(errors.ExclusionViolation) as refused:
        book(conn, agenda["luc"], agenda["doctor"], at(10, 15))
    assert constraint_of(refused) == "appointments_doctor_overlap"


def test_touching_appointments_are_fine(agenda):
    conn = agenda["conn"]
    book(conn, agenda["marie"], agenda["doctor"], at(10))
    book(conn, agenda["luc"], agenda["doctor"], at(10, 30))
    book(conn, agenda["marie"], agenda["doctor"], at(9, 30))
    (count,) = conn.execute("SELECT count(*) FROM appointments").fetchone()
    assert count == 3


def test_same_room_overlap_is_refused_across_doctors(agenda):
    conn = agenda["conn"]
    other = make_doctor(conn, "Petit", "Anne")
    weekly_hours(conn, other)
    book(conn, agenda["marie"], agenda["doctor"], at(10), room_id=agenda["room"])
    with pytest.raises(errors.ExclusionViolation) as refused:
        book(conn, agenda["luc"], other, at(10, 20), room_id=agenda["room"])
    assert constraint_of(refused) == "appointments_room_overlap"
    book(conn, agenda["luc"], other, at(10, 20))  # without the room: fine


def test_same_patient_overlap_is_refused_across_doctors(agenda):
    conn = agenda["conn"]
    other = make_doctor(conn, "Petit", "Anne")
    weekly_hours(conn, other)
    book(conn, agenda["marie"], agenda["doctor"], at(10))
    with pytest.raises(errors.ExclusionViolation) as refused:
        book(conn, agenda["marie"], other, at(10, 15))
    assert constraint_of(refused) == "appointments_patient_overlap"


@pytest.mark.parametrize("status", ["cancelled", "no_show"])
def test_an_inactive_appointment_frees_the_slot(agenda, status):
    conn = agenda["conn"]
    first = book(conn, agenda["marie"], agenda["doctor"], at(10))
    conn.execute(
        "UPDATE appointments SET status = %s, cancellation_reason = 'patient called' WHERE id = %s", [status, first]
    )
    book(conn, agenda["luc"], agenda["doctor"], at(10))
    # and the first cannot come back over the new one
    if status == "no_show":
        with pytest.raises(errors.ExclusionViolation):
            conn.execute("UPDATE appointments SET status = 'scheduled' WHERE id = %s", [first])


def test_end_is_derived_from_start_and_duration(agenda):
    conn = agenda["conn"]
    appointment = book(conn, agenda["marie"], agenda["doctor"], at(10), minutes=45)
    (ends_at,) = conn.execute("SELECT ends_at FROM appointments WHERE id = %s", [appointment]).fetchone()
    assert ends_at == at(10, 45)
    conn.execute("UPDATE appointments SET duration_minutes = 20, ends_at = now() WHERE id = %s", [appointment])
    (ends_at,) = conn.execute("SELECT ends_at FROM appointments WHERE id = %s", [appointment]).fetchone()
    assert ends_at == at(10, 20)


@pytest.mark.parametrize(
    ("hour", "minute", "minutes"),
    [(8, 30, 30), (11, 45, 30), (12, 0, 30), (13, 45, 30), (17, 45, 30), (18, 0, 15)],
)
def test_outside_working_hours_is_refused(agenda, hour, minute, minutes):
    with pytest.raises(errors.CheckViolation) as refused:
        book(agenda["conn"], agenda["marie"], agenda["doctor"], at(hour, minute), minutes=minutes)
    assert constraint_of(refused) == "appointments_working_hours"


def test_weekend_and_validity_dates_are_respected(agenda):
    conn = agenda["conn"]
    saturday = MONDAY + timedelta(days=5)
    with pytest.raises(errors.CheckViolation):
        book(conn, agenda["marie"], agenda["doctor"], at(10, day=saturday))
    # Saturday mornings only from the week after
    weekly_hours(conn, agenda["doctor"], days=(6,), ranges=((time(9), time(12)),), valid_from=saturday + timedelta(7))
    with pytest.raises(errors.CheckViolation):
        book(conn, agenda["marie"], agenda["doctor"], at(10, day=saturday))
    book(conn, agenda["marie"], agenda["doctor"], at(10, day=saturday + timedelta(7)))


def test_absence_is_refused_and_emergency_needs_a_reason(agenda):
    conn = agenda["conn"]
    conn.execute(
        "INSERT INTO doctor_absence (doctor_id, starts_at, ends_at, reason) VALUES (%s, %s, %s, 'Training')",
        [agenda["doctor"], at(14), at(16)],
    )
    with pytest.raises(errors.CheckViolation) as refused:
        book(conn, agenda["marie"], agenda["doctor"], at(15))
    assert constraint_of(refused) == "appointments_doctor_absent"
    with pytest.raises(errors.CheckViolation):
        book(conn, agenda["marie"], agenda["doctor"], at(15), kind="emergency")  # no reason
    with pytest.raises(errors.CheckViolation):  # a reason does not make a consultation an emergency
        book(conn, agenda["marie"], agenda["doctor"], at(15), override_reason="urgent")
    book(conn, agenda["marie"], agenda["doctor"], at(15), kind="emergency", override_reason="chest pain")
    book(conn, agenda["luc"], agenda["doctor"], at(20), kind="emergency", override_reason="night admission")
    book(conn, agenda["luc"], agenda["doctor"], at(16))  # the absence is over


def test_emergency_still_cannot_double_book(agenda):
    conn = agenda["conn"]
    book(conn, agenda["marie"], agenda["doctor"], at(20), kind="emergency", override_reason="night")
    with pytest.raises(errors.ExclusionViolation):
        book(conn, agenda["luc"], agenda["doctor"], at(20, 10), kind="emergency", override_reason="night too")


def test_status_transitions(agenda):
    conn = agenda["conn"]
    appointment = book(conn, agenda["marie"], agenda["doctor"], at(10, day=PAST_MONDAY))

    def move_to(status):
        conn.execute("UPDATE appointments SET status = %s WHERE id = %s", [status, appointment])

    move_to("confirmed")
    move_to("arrived")
    with pytest.raises(errors.CheckViolation) as refused:
        move_to("scheduled")
    assert constraint_of(refused) == "appointments_status_transition"
    move_to("completed")
    for status in ("scheduled", "cancelled", "arrived"):
        with pytest.raises(errors.CheckViolation):
            move_to(status)
    with pytest.raises(errors.CheckViolation) as refused:
        conn.execute("UPDATE appointments SET starts_at = starts_at + interval '1 hour' WHERE id = %s", [appointment])
    assert constraint_of(refused) == "appointments_closed_unchanged"
    conn.execute("UPDATE appointments SET notes = 'seen, all well' WHERE id = %s", [appointment])


def test_cancellation_needs_a_reason_and_is_final(agenda):
    conn = agenda["conn"]
    appointment = book(conn, agenda["marie"], agenda["doctor"], at(10))
    with pytest.raises(errors.CheckViolation) as refused:
        conn.execute("UPDATE appointments SET status = 'cancelled' WHERE id = %s", [appointment])
    assert constraint_of(refused) == "appointments_cancellation_reason_check"
    conn.execute(
        "UPDATE appointments SET status = 'cancelled', cancellation_reason = 'sick' WHERE id = %s", [appointment]
    )
    with pytest.raises(errors.CheckViolation):
        conn.execute("UPDATE appointments SET status = 'scheduled' WHERE id = %s", [appointment])


def test_postponed_needs_its_new_appointment(agenda):
    conn = agenda["conn"]
    appointment = book(conn, agenda["marie"], agenda["doctor"], at(10))
    with pytest.raises(errors.CheckViolation) as refused:
        conn.execute("UPDATE appointments SET status = 'postponed' WHERE id = %s", [appointment])
    assert constraint_of(refused) == "appointments_postponed_check"


def test_marking_completed_survives_a_schedule_change(agenda):
    """Availability is checked when the time or doctor changes, not on a
    status change: yesterday's hours may be gone today."""
    conn = agenda["conn"]
    appointment = book(conn, agenda["marie"], agenda["doctor"], at(10, day=PAST_MONDAY))
    conn.execute("DELETE FROM doctor_schedule WHERE doctor_id = %s", [agenda["doctor"]])
    conn.execute("UPDATE appointments SET status = 'arrived' WHERE id = %s", [appointment])
    conn.execute("UPDATE appointments SET status = 'completed' WHERE id = %s", [appointment])
    with pytest.raises(errors.CheckViolation):
        book(conn, agenda["luc"], agenda["doctor"], at(11))


def test_imaging_needs_a_room_and_only_doctors_take_appointments(agenda):
    conn = agenda["conn"]
    with pytest.raises(errors.CheckViolation) as refused:
        book(conn, agenda["marie"], agenda["doctor"], at(10), kind="imaging")
    assert constraint_of(refused) == "appointments_room_required"
    book(conn, agenda["marie"], agenda["doctor"], at(10), kind="imaging", room_id=agenda["room"])
    nurse = make_doctor(conn, "Soin", "Julie", profession="nurse")
    with pytest.raises(errors.CheckViolation) as refused:
        book(conn, agenda["luc"], nurse, at(10))
    assert constraint_of(refused) == "appointments_doctor_check"
    with pytest.raises(errors.CheckViolation) as refused:
        weekly_hours(conn, nurse)
    assert constraint_of(refused) == "doctor_schedule_doctor_check"


def test_working_hours_of_one_doctor_may_not_overlap(agenda):
    conn = agenda["conn"]
    with pytest.raises(errors.ExclusionViolation) as refused:
        weekly_hours(conn, agenda["doctor"], days=(1,), ranges=((time(11), time(13)),))
    assert constraint_of(refused) == "doctor_schedule_no_overlap"
    # adjacent is fine, and so is the same range in another validity period
    weekly_hours(conn, agenda["doctor"], days=(1,), ranges=((time(12), time(13)),))
    other = make_doctor(conn, "Petit", "Anne")
    weekly_hours(conn, other, days=(1,), ranges=((time(9), time(12)),), valid_until=MONDAY)
    weekly_hours(conn, other, days=(1,), ranges=((time(10), time(11)),), valid_from=MONDAY + timedelta(1))


@pytest.mark.parametrize(
    ("sunday", "clock_change"),
    [((2027, 3, 28), "spring forward"), ((2027, 10, 31), "fall back")],
)
def test_working_hours_are_local_time_across_daylight_saving(agenda, sunday, clock_change):
    """Hours are read in the hospital's zone (Europe/Paris): 9:00 local is
    08:00 UTC in winter and 07:00 UTC in summer, whatever the session's zone."""
    conn = agenda["conn"]
    conn.execute("SET TIME ZONE 'UTC'")
    year, month, day = sunday
    doctor = make_doctor(conn, "Weekend", "Sam")
    weekly_hours(conn, doctor, days=(7, 1), ranges=((time(9), time(12)),))
    before = paris(year, month, day, 9) - timedelta(days=7)  # the Sunday before the change
    on_the_day = paris(year, month, day, 9)
    after = paris(year, month, day, 9) + timedelta(days=1)  # Monday after
    for start in (before, on_the_day, after):
        book(conn, agenda["marie"], doctor, start, minutes=180)
    assert before.utcoffset() != after.utcoffset(), clock_change
    with pytest.raises(errors.CheckViolation):  # 8:45 local on the day, whatever UTC says
        book(conn, agenda["luc"], doctor, on_the_day - timedelta(minutes=15), minutes=15)
    rows = conn.execute(
        "SELECT (starts_at AT TIME ZONE 'Europe/Paris')::time FROM appointments WHERE doctor_id = %s", [doctor]
    ).fetchall()
    assert {row[0] for row in rows} == {time(9)}


def test_hospital_time_zone_is_checked(sql_conn):
    with pytest.raises(errors.CheckViolation):
        sql_conn.execute("UPDATE hospital_settings SET timezone = 'Mars/Olympus'")
    sql_conn.execute("UPDATE hospital_settings SET timezone = 'America/Cayenne'")
    (zone,) = sql_conn.execute("SELECT hospital_time_zone()").fetchone()
    assert zone == "America/Cayenne"


def test_setup_keeps_the_hospital_zone_equal_to_the_setting(app, sql_conn):
    from app.bootstrap import sync_hospital_time_zone

    with app.app_context():
        assert sync_hospital_time_zone("Europe/Paris") is False  # already so
        assert sync_hospital_time_zone("Indian/Reunion") is True
        assert sync_hospital_time_zone("Indian/Reunion") is False
    (zone,) = sql_conn.execute("SELECT timezone FROM hospital_settings").fetchone()
    assert zone == "Indian/Reunion"
