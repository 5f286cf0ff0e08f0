"""Two PUTs at once, on two patients, each change their own patient.

FAB keeps one schema per API for all the threads of a worker, and
marshmallow-sqlalchemy's load() keeps the record being loaded on that
schema: without app/core/api.py's one_load_at_a_time(), a PUT could write
its data onto the other request's patient (the load test caught one)."""

import contextlib
import threading

import marshmallow

from tests.agenda import make_patient


def test_two_puts_at_once_each_change_their_own_patient(app, api, sql_conn, monkeypatch):
    first = make_patient(sql_conn, "Durand", "Nathalie", "F")
    second = make_patient(sql_conn, "Petit", "Jean", "M")
    headers = api("doctor")
    both_inside = threading.Barrier(2, timeout=2)
    load = marshmallow.Schema.load

    def load_when_both_are_inside(self, *args, **kwargs):
        # The two loads overlap when nothing keeps them apart (else the wait times out).
        with contextlib.suppress(threading.BrokenBarrierError):
            both_inside.wait()
        return load(self, *args, **kwargs)

    monkeypatch.setattr(marshmallow.Schema, "load", load_when_both_are_inside)
    answers = {}

    def put(patient_id: int, city: str) -> None:
        answers[patient_id] = app.test_client().put(
            f"/api/v1/patients/{patient_id}", json={"city": city}, headers=headers
        )

    writers = [threading.Thread(target=put, args=(first, "Lyon")), threading.Thread(target=put, args=(second, "Brest"))]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(30)
    assert {pid: answer.status_code for pid, answer in answers.items()} == {first: 200, second: 200}
    rows = sql_conn.execute(
        "SELECT id, last_name, first_name, city FROM patients WHERE id IN (%s, %s) ORDER BY id", [first, second]
    ).fetchall()
    assert rows == [(first, "Durand", "Nathalie", "Lyon"), (second, "Petit", "Jean", "Brest")]
    assert sql_conn.execute("SELECT count(*) FROM patients WHERE last_name IN ('Durand', 'Petit')").fetchone()[0] == 2
