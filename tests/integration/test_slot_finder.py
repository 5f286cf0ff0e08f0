"""The slot finder against a brute-force oracle: every minute of the period
is checked by hand (working hours read on the local wall clock, absences,
active bookings), on random schedules with breaks, around both
daylight-saving changes; and a slot found can really be booked."""

import random
from datetime import UTC, datetime, time, timedelta

import pytest
from psycopg import errors

from app.agenda.slots import find_free_slots
from app.core.extensions import db
from tests.agenda import PARIS, book, make_doctor, make_patient, make_room, next_weekday, paris, type_id, weekly_hours

# Quarter-hour boundaries that exist exactly once on both change days
# (no range starts or ends between 02:00 and 03:00 local).
BOUNDARIES = [time(h, m) for h in range(24) for m in (0, 15, 30, 45) if h not in (2,) and (h, m) != (3, 0)]


def random_day_ranges(rng: random.Random) -> list[tuple[time, time]]:
    """1 to 3 ranges with breaks between them, e.g. 08:15-12:00 and 13:30-17:45."""
    points = sorted(rng.sample(BOUNDARIES, rng.choice((2, 4, 6))))
    return [(points[i], points[i + 1]) for i in range(0, len(points), 2)]


def oracle(schedule, absences, bookings, starts, ends, duration, step) -> set[datetime]:
    """Every start, minute by minute, of a free slot on the step grid of its
    range.  All arithmetic in UTC (aware datetimes sharing a zone compare and
    subtract on the wall clock in Python)."""
    length = timedelta(minutes=duration)
    free = set()
    moment = starts
    while moment + length <= ends:
        local_start = moment.astimezone(PARIS).replace(tzinfo=None)
        local_end = (moment + length).astimezone(PARIS).replace(tzinfo=None)
        day = local_start.date()
        for weekday, start, end in schedule:
            if weekday != day.isoweekday():
                continue
            if not (datetime.combine(day, start) <= local_start and local_end <= datetime.combine(day, end)):
                continue
            range_start = datetime.combine(day, start, tzinfo=PARIS).astimezone(UTC)
            if (moment - range_start) % timedelta(minutes=step):
                continue
            busy = any(s < moment + length and moment < e for s, e in absences + bookings)
            if not busy:
                free.add(moment)
        moment += timedelta(minutes=1)
    return free


@pytest.mark.parametrize(
    ("seed", "first_day"),
    [(1, (2027, 3, 27)), (2, (2027, 3, 27)), (3, (2027, 10, 30)), (4, (2027, 10, 30)), (5, (2027, 6, 12))],
)
def test_slot_finder_matches_the_minute_by_minute_oracle(app, sql_conn, seed, first_day):
    rng = random.Random(seed)
    doctor = make_doctor(sql_conn, f"Oracle{seed}", "Test")
    schedule = []
    for weekday in range(1, 8):
        for start, end in random_day_ranges(rng):
            weekly_hours(sql_conn, doctor, days=(weekday,), ranges=((start, end),))
            schedule.append((weekday, start, end))
    first = paris(*first_day)
    starts = first.astimezone(UTC)
    ends = paris(*(first.date() + timedelta(days=3)).timetuple()[:3]).astimezone(UTC)  # Saturday to Tuesday

    absences = []
    for _ in range(rng.randint(0, 2)):
        begin = starts + timedelta(minutes=15 * rng.randrange(0, 3 * 96))
        absences.append((begin, begin + timedelta(minutes=15 * rng.randint(2, 16))))
        sql_conn.execute(
            "INSERT INTO doctor_absence (doctor_id, starts_at, ends_at, reason) VALUES (%s, %s, %s, 'Away')",
            [doctor, *absences[-1]],
        )
    patient = make_patient(sql_conn, f"Oracle{seed}", "Patient")
    bookings = []
    for attempt in range(40):
        begin = starts + timedelta(minutes=5 * rng.randrange(0, 3 * 288))
        minutes = rng.choice((10, 15, 20, 30, 45))
        try:
            appointment = book(sql_conn, patient, doctor, begin, minutes)
        except (errors.ExclusionViolation, errors.CheckViolation):
            continue  # outside hours, absent, or taken: the database said no
        if attempt % 5 == 0:  # a cancelled booking frees its slot again
            sql_conn.execute(
                "UPDATE appointments SET status = 'cancelled', cancellation_reason = 'test' WHERE id = %s",
                [appointment],
            )
        else:
            bookings.append((begin, begin + timedelta(minutes=minutes)))

    duration = rng.choice((15, 20, 30, 45))
    step = rng.choice((10, 15, 20))
    expected = oracle(schedule, absences, bookings, starts, ends, duration, step)
    found = set()
    with app.app_context():
        for day in range(3):  # one query per local day keeps each under the result cap
            date = first.date() + timedelta(days=day)
            day_start = paris(*date.timetuple()[:3])
            day_end = paris(*(date + timedelta(days=1)).timetuple()[:3])
            slots = find_free_slots(
                db.session,
                starts=day_start, ends=day_end, duration_minutes=duration, doctor_ids=[doctor],
                step_minutes=step, limit=200,
            )  # fmt: skip
            assert len(slots) < 200
            found |= {slot.starts_at.astimezone(UTC) for slot in slots}
    assert found == expected
    assert expected, "the random schedule should leave some room"

    # What the finder proposes, the database accepts.
    other_patient = make_patient(sql_conn, f"Booker{seed}", "Patient")
    book(sql_conn, other_patient, doctor, min(found), duration)


def test_next_free_slots_skip_bookings_absences_and_a_busy_room(app, sql_conn):
    monday = next_weekday(1)
    doctor = make_doctor(sql_conn)
    weekly_hours(sql_conn, doctor, days=(monday.isoweekday(),), ranges=((time(9), time(12)),))
    marie, luc = make_patient(sql_conn, "Dubois"), make_patient(sql_conn, "Durand", "Luc", "M")
    room = make_room(sql_conn)
    nine = paris(monday.year, monday.month, monday.day, 9)
    book(sql_conn, marie, doctor, nine, 30)  # 9:00-9:30 taken
    sql_conn.execute(
        "INSERT INTO doctor_absence (doctor_id, starts_at, ends_at, reason) VALUES (%s, %s, %s, 'Meeting')",
        [doctor, nine + timedelta(hours=1), nine + timedelta(hours=1, minutes=30)],
    )  # 10:00-10:30 away
    colleague = make_doctor(sql_conn, "Petit", "Anne")
    weekly_hours(sql_conn, colleague, days=(monday.isoweekday(),), ranges=((time(9), time(12)),))
    book(sql_conn, luc, colleague, nine + timedelta(minutes=30), 30, room_id=room)  # room busy 9:30-10:00

    def starts(**kwargs):
        with app.app_context():
            slots = find_free_slots(
                db.session, starts=nine, ends=nine + timedelta(hours=3), duration_minutes=30, **kwargs
            )
        return [slot.starts_at.astimezone(PARIS).strftime("%H:%M") for slot in slots]

    # 9:45 would run into the absence at 10:00
    assert starts(doctor_ids=[doctor], limit=4) == ["09:30", "10:30", "10:45", "11:00"]
    assert starts(doctor_ids=[doctor], room_id=room, limit=2) == ["10:30", "10:45"]
    assert starts(doctor_ids=[doctor], patient_id=luc, limit=2) == ["10:30", "10:45"]
    # by specialty: both doctors (Cardiology), earliest first
    with app.app_context():
        slots = find_free_slots(
            db.session,
            starts=nine,
            ends=nine + timedelta(hours=1),
            duration_minutes=30,
            specialty="cardiology",
            limit=3,
        )
    assert [(s.doctor_id, s.starts_at.astimezone(PARIS).strftime("%H:%M")) for s in slots] == [
        (colleague, "09:00"),
        (doctor, "09:30"),
    ]
    assert type_id(sql_conn)  # the default type exists for the API's duration lookup
