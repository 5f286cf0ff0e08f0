"""Doctors, hours, patients and bookings for agenda tests, written in SQL
(the way a DBA in psql would: the database's rules apply just the same)."""

import itertools
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
WEEKDAYS = (1, 2, 3, 4, 5)
DAY_RANGES = ((time(9), time(12)), (time(14), time(18)))

_serial = itertools.count(1)


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def next_weekday(weekday: int, after: date | None = None) -> date:
    """The next date (strictly after `after`, default the hospital's today:
    between midnight in Paris and midnight UTC, the machine's date is still
    yesterday's, and "next Monday" was the hospital's today) with this ISO weekday."""
    day = after or datetime.now(PARIS).date()
    offset = (weekday - day.isoweekday()) % 7 or 7
    return date.fromordinal(day.toordinal() + offset)


def make_doctor(
    conn,
    last_name: str = "Martin",
    first_name: str = "Paul",
    specialty: str = "Cardiology",
    profession: str = "doctor",
    user_id: int | None = None,
) -> int:
    return conn.execute(
        "INSERT INTO staff (last_name, first_name, profession, specialty, user_id) VALUES (%s, %s, %s, %s, %s) "
        "RETURNING id",
        [last_name, first_name, profession, specialty, user_id],
    ).fetchone()[0]


def make_patient(conn, last_name: str = "Dubois", first_name: str = "Marie", sex: str = "F") -> int:
    return conn.execute(
        "INSERT INTO patients (last_name, first_name, birth_date, sex) VALUES (%s, %s, DATE '1980-05-17', %s) "
        "RETURNING id",
        [f"{last_name}", first_name, sex],
    ).fetchone()[0]


def make_room(conn, code: str | None = None, kind: str = "consultation") -> int:
    code = code or f"R-{next(_serial)}"
    return conn.execute(
        "INSERT INTO rooms (code, name, kind) VALUES (%s, %s, %s) RETURNING id", [code, f"Room {code}", kind]
    ).fetchone()[0]


def weekly_hours(conn, doctor_id: int, days=WEEKDAYS, ranges=DAY_RANGES, valid_from=None, valid_until=None) -> None:
    for day in days:
        for start, end in ranges:
            conn.execute(
                "INSERT INTO doctor_schedule (doctor_id, day_of_week, start_time, end_time, valid_from, valid_until) "
                "VALUES (%s, %s, %s, %s, %s, %s)",
                [doctor_id, day, start, end, valid_from, valid_until],
            )


def type_id(conn, code: str = "consultation") -> int:
    return conn.execute("SELECT id FROM appointment_types WHERE code = %s", [code]).fetchone()[0]


def book(
    conn,
    patient_id: int,
    doctor_id: int,
    starts_at: datetime,
    minutes: int = 30,
    *,
    kind: str = "consultation",
    room_id: int | None = None,
    override_reason: str | None = None,
) -> int:
    return conn.execute(
        "INSERT INTO appointments (patient_id, doctor_id, type_id, starts_at, duration_minutes, room_id, "
        "override_reason) VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id",
        [patient_id, doctor_id, type_id(conn, kind), starts_at, minutes, room_id, override_reason],
    ).fetchone()[0]
