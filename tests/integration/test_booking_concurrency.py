"""Fifty people book the same slot at the same moment, each on their own
connection: the database lets exactly one through.

When two bookings clash on two constraints at once (the same room, two
doctors), PostgreSQL may also break the tie with a deadlock error instead of
an exclusion violation: still a refusal, and the application retries it
(app/agenda/rules.py), then sees the exclusion violation."""

import threading

import psycopg
import pytest
from psycopg import errors

from tests.agenda import book, make_doctor, make_patient, make_room, next_weekday, paris, weekly_hours

CLIENTS = 50


def race(conninfo: str, attempt) -> tuple[int, list[BaseException]]:
    """Run attempt(conn, n) on CLIENTS connections released together; (successes, refusals)."""
    connections = [psycopg.connect(conninfo, autocommit=True) for _ in range(CLIENTS)]
    start = threading.Barrier(CLIENTS)
    successes, refusals, lock = [], [], threading.Lock()

    def client(n: int) -> None:
        start.wait()
        try:
            attempt(connections[n], n)
        except (errors.ExclusionViolation, errors.DeadlockDetected) as refused:
            with lock:
                refusals.append(refused)
        else:
            with lock:
                successes.append(n)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        for conn in connections:
            conn.close()
    return len(successes), refusals


@pytest.fixture
def clinic(sql_conn, postgres_server, database_name):
    """Two doctors at work next Monday, 50 patients, a room, and a conninfo for more connections."""
    doctors = []
    for name in ("Martin", "Petit"):
        doctor = make_doctor(sql_conn, name, "Paul")
        weekly_hours(sql_conn, doctor)
        doctors.append(doctor)
    patients = [make_patient(sql_conn, f"Patient{n}", "Test") for n in range(CLIENTS)]
    monday = next_weekday(1)
    return {
        "conn": sql_conn,
        "conninfo": postgres_server.conninfo(database_name),
        "doctors": doctors,
        "patients": patients,
        "room": make_room(sql_conn),
        "ten": paris(monday.year, monday.month, monday.day, 10),
    }


def test_fifty_clients_one_doctor_slot_exactly_one_wins(clinic):
    doctor = clinic["doctors"][0]

    def attempt(conn, n):
        book(conn, clinic["patients"][n], doctor, clinic["ten"])

    booked, refused = race(clinic["conninfo"], attempt)
    assert booked == 1 and len(refused) == CLIENTS - 1
    assert {r.diag.constraint_name for r in refused} == {"appointments_doctor_overlap"}
    (count,) = clinic["conn"].execute("SELECT count(*) FROM appointments WHERE doctor_id = %s", [doctor]).fetchone()
    assert count == 1


def test_fifty_clients_one_room_exactly_one_wins(clinic):
    """Different doctors and patients (so only the room can clash): half of the
    clients book with one doctor, half with the other, all in the same room."""

    def attempt(conn, n):
        book(conn, clinic["patients"][n], clinic["doctors"][n % 2], clinic["ten"], room_id=clinic["room"])

    booked, refused = race(clinic["conninfo"], attempt)
    assert booked == 1 and len(refused) == CLIENTS - 1
    constraints = {r.diag.constraint_name for r in refused if isinstance(r, errors.ExclusionViolation)}
    assert "appointments_room_overlap" in constraints
    assert constraints <= {"appointments_room_overlap", "appointments_doctor_overlap"}
    (count,) = (
        clinic["conn"].execute("SELECT count(*) FROM appointments WHERE room_id = %s", [clinic["room"]]).fetchone()
    )
    assert count == 1
