"""An absence over booked appointments is never silent: it is refused until
each appointment it covers is kept as an exception (with a reason) or marked
to be rebooked, decided with the absence in one transaction.  The database
refuses the same at commit (doctor_absence_covers_appointments, migration
0042); the API answers 409 listing them; the screen shows them with a
choice for each; the secretaries work from the list "To be rebooked"."""

from datetime import timedelta

import psycopg
import pytest
from psycopg import errors

from app.agenda.absences import ABSENCE_RULES, AbsenceCoversAppointments, AbsenceDecisionRefused
from app.agenda.models import DoctorAbsence
from app.core.actor import Actor
from app.core.extensions import db
from tests.agenda import book
from tests.agenda_screens import MONDAY, at
from tests.conftest import csrf_token

TUESDAY = MONDAY + timedelta(days=1)


def decisions_of(conn, *appointments):
    return [
        conn.execute(
            "SELECT needs_rebooking, absence_exception_reason FROM appointments WHERE id = %s", [appointment]
        ).fetchone()
        for appointment in appointments
    ]


def absences(conn) -> int:
    return conn.execute("SELECT count(*) FROM doctor_absence").fetchone()[0]


@pytest.fixture
def booked(clinic):
    """Dr Martin sees Mme Dubois at 10:00 and M. Durand at 15:00 on Monday; a cancelled one at 11:00."""
    conn = clinic["conn"]
    cancelled = book(conn, clinic["durand"], clinic["martin"], at(11))
    conn.execute("UPDATE appointments SET status = 'cancelled', cancellation_reason = 'x' WHERE id = %s", [cancelled])
    return {
        **clinic,
        "morning": book(conn, clinic["dubois"], clinic["martin"], at(10)),
        "afternoon": book(conn, clinic["durand"], clinic["martin"], at(15)),
    }


def test_the_database_refuses_an_absence_over_undecided_appointments(booked, postgres_server, database_name):
    conn = booked["conn"]
    insert = "INSERT INTO doctor_absence (doctor_id, starts_at, ends_at, reason) VALUES (%s, %s, %s, 'Training')"
    with pytest.raises(errors.CheckViolation) as refused:
        conn.execute(insert, [booked["martin"], at(8), at(18)])
    assert refused.value.diag.constraint_name == "doctor_absence_covers_appointments"
    assert absences(conn) == 0
    # Decided in the same transaction (in any order): accepted at commit.
    with psycopg.connect(postgres_server.conninfo(database_name)) as tx:
        tx.execute(insert, [booked["martin"], at(8), at(18)])
        tx.execute("UPDATE appointments SET needs_rebooking = true WHERE id = %s", [booked["morning"]])
        tx.execute(
            "UPDATE appointments SET absence_exception_reason = 'Seen anyway' WHERE id = %s", [booked["afternoon"]]
        )
    assert absences(conn) == 1
    assert decisions_of(conn, booked["morning"], booked["afternoon"]) == [(True, None), (False, "Seen anyway")]
    # Another doctor's absence, or a period with nothing booked, needs nothing.
    conn.execute(insert, [booked["petit"], at(8), at(18)])
    conn.execute(insert, [booked["martin"], at(12), at(14)])


def test_the_rules_refuse_then_apply_each_decision_with_the_absence(app, booked):
    conn = booked["conn"]
    with app.app_context():
        secretary = Actor.of(app.appbuilder.sm.find_user(username="secretary"))

        def absence():
            return DoctorAbsence(doctor_id=booked["martin"], starts_at=at(8), ends_at=at(18), reason="Congress")

        with pytest.raises(AbsenceCoversAppointments) as refused:
            ABSENCE_RULES.save(db.session, secretary, absence())
        db.session.rollback()
        assert refused.value.status == 409
        assert "2 booked appointments" in refused.value.message
        listed = refused.value.details["appointments"]
        assert [a["id"] for a in listed] == [booked["morning"], booked["afternoon"]]
        assert listed[0]["patient"] == "DUBOIS Hélène" and listed[0]["when"].endswith(f"{MONDAY:%d/%m/%Y} 10:00")
        with pytest.raises(AbsenceDecisionRefused) as refused:
            ABSENCE_RULES.save(
                db.session,
                secretary,
                _with(absence(), {booked["morning"]: ("keep", " "), booked["afternoon"]: ("rebook", None)}),
            )
        db.session.rollback()
        assert "Say why the appointment of Mme Dubois" in refused.value.message
        assert absences(conn) == 0 and decisions_of(conn, booked["morning"]) == [(False, None)]
        ABSENCE_RULES.save(
            db.session,
            secretary,
            _with(absence(), {booked["morning"]: ("keep", "Urgent follow-up"), booked["afternoon"]: ("rebook", None)}),
        )
    assert absences(conn) == 1
    assert decisions_of(conn, booked["morning"], booked["afternoon"]) == [(False, "Urgent follow-up"), (True, None)]


def _with(item, decisions):
    item.decisions = decisions
    return item


def test_the_api_answers_409_listing_the_appointments_unless_decided(client, api, booked):
    headers = api("secretary")
    body = {
        "doctor_id": booked["martin"],
        "starts_at": at(8).isoformat(),
        "ends_at": at(18).isoformat(),
        "reason": "Day off",
    }
    refused = client.post("/api/v1/absences/", json=body, headers=headers)
    assert refused.status_code == 409, refused.get_json()
    answer = refused.get_json()
    assert "covers 2 booked appointments" in answer["message"] and "to be rebooked" in answer["message"]
    assert [a["id"] for a in answer["appointments"]] == [booked["morning"], booked["afternoon"]]
    assert absences(booked["conn"]) == 0
    bad = client.post(
        "/api/v1/absences/",
        json={**body, "decisions": [{"appointment_id": booked["morning"], "decision": "maybe"}]},
        headers=headers,
    )
    assert bad.status_code == 422
    decided = client.post(
        "/api/v1/absences/",
        json={
            **body,
            "decisions": [
                {"appointment_id": booked["morning"], "decision": "rebook"},
                {"appointment_id": booked["afternoon"], "decision": "keep", "reason": "Seen by phone"},
            ],
        },
        headers=headers,
    )
    assert decided.status_code == 201, decided.get_json()
    assert "decisions" not in decided.get_json()["result"]
    assert decisions_of(booked["conn"], booked["morning"], booked["afternoon"]) == [
        (True, None),
        (False, "Seen by phone"),
    ]
    # Moving the absence over a new booking asks again, for that one only.
    other = book(booked["conn"], booked["dubois"], booked["martin"], at(9, day=TUESDAY))
    moved = client.put(
        f"/api/v1/absences/{decided.get_json()['id']}",
        json={"ends_at": at(18, day=TUESDAY).isoformat()},
        headers=headers,
    )
    assert moved.status_code == 409 and [a["id"] for a in moved.get_json()["appointments"]] == [other]


def absence_form(booked, **overrides) -> dict:
    fields = {
        "doctor": booked["martin"],
        "starts_at": f"{MONDAY}T08:00",
        "ends_at": f"{MONDAY}T18:00",
        "reason": "Training",
    }
    fields.update(overrides)
    return fields


def test_the_screen_lists_the_covered_appointments_and_asks_for_a_decision(client, login, booked):
    conn = booked["conn"]
    login("secretary")
    page = client.get("/absences/add")
    token = csrf_token(page.get_data(as_text=True))
    refused = client.post("/absences/add", data={**absence_form(booked), "csrf_token": token})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 200 and absences(conn) == 0
    assert "covers 2 booked appointments" in html
    assert (
        f'data-appointment-id="{booked["morning"]}"' in html and f'data-appointment-id="{booked["afternoon"]}"' in html
    )
    assert "DUBOIS Hélène" in html and "DURAND Luc" in html
    # Keeping one without a reason: refused, the list and the choices still there.
    partial = {
        f"decisions-{booked['morning']}": "keep",
        f"decisions-{booked['morning']}-reason": "",
        f"decisions-{booked['afternoon']}": "rebook",
    }
    html = client.post("/absences/add", data={**absence_form(booked), **partial, "csrf_token": token}).get_data(
        as_text=True
    )
    assert "Say why the appointment of Mme Dubois" in html and absences(conn) == 0
    assert f'name="decisions-{booked["afternoon"]}" value="rebook" checked' in html
    decided = {**partial, f"decisions-{booked['morning']}-reason": "Post-op check, seen by Dr Petit"}
    saved = client.post(
        "/absences/add", data={**absence_form(booked), **decided, "csrf_token": token}, follow_redirects=True
    )
    assert saved.status_code == 200 and absences(conn) == 1
    assert decisions_of(conn, booked["morning"], booked["afternoon"]) == [
        (False, "Post-op check, seen by Dr Petit"),
        (True, None),
    ]
    # The secretaries' list shows the one to rebook; postponing it takes it off.
    listed = client.get("/to-rebook/list/").get_data(as_text=True)
    assert "DURAND Luc" in listed and "DUBOIS Hélène" not in listed
    new = book(conn, booked["durand"], booked["petit"], at(15, day=TUESDAY))
    conn.execute(
        "UPDATE appointments SET status = 'postponed', postponed_to_id = %s WHERE id = %s", [new, booked["afternoon"]]
    )
    assert "DURAND Luc" not in client.get("/to-rebook/list/").get_data(as_text=True)


def test_an_absence_over_nothing_booked_saves_at_once(client, login, booked):
    login("secretary")
    page = client.get("/absences/add")
    fields = absence_form(booked, starts_at=f"{MONDAY}T12:00", ends_at=f"{MONDAY}T14:00")
    saved = client.post(
        "/absences/add", data={**fields, "csrf_token": csrf_token(page.get_data(as_text=True))}, follow_redirects=True
    )
    assert saved.status_code == 200 and absences(booked["conn"]) == 1
    assert "covers" not in saved.get_data(as_text=True)


def test_the_calendar_marks_an_appointment_to_be_rebooked(client, login, booked):
    conn = booked["conn"]
    conn.execute("UPDATE appointments SET needs_rebooking = true WHERE id = %s", [booked["morning"]])
    login("secretary")
    start, end = at(0).replace(tzinfo=None).isoformat(), at(23).replace(tzinfo=None).isoformat()
    events = {e["id"]: e for e in client.get(f"/calendar/events?start={start}&end={end}").get_json()}
    marked = events[str(booked["morning"])]
    assert marked["title"].endswith("to be rebooked") and "ct-to-rebook" in marked["classNames"]
    assert marked["extendedProps"]["needs_rebooking"] is True
    assert "ct-to-rebook" not in events[str(booked["afternoon"])]["classNames"]


def test_changing_only_an_absences_reason_asks_nothing_and_a_move_clears_the_decision(client, api, booked):
    """An absence recorded before decisions existed (put in place here with
    the trigger off, as migration 0042 found them) keeps its reason editable;
    an appointment moved elsewhere is rebooked: its decision no longer applies."""
    conn = booked["conn"]
    book(conn, booked["dubois"], booked["martin"], at(10, day=TUESDAY))
    conn.execute("ALTER TABLE doctor_absence DISABLE TRIGGER doctor_absence_covers_appointments")
    (absence,) = conn.execute(
        "INSERT INTO doctor_absence (doctor_id, starts_at, ends_at, reason) VALUES (%s, %s, %s, 'Old') RETURNING id",
        [booked["martin"], at(9, day=TUESDAY), at(18, day=TUESDAY)],
    ).fetchone()
    conn.execute("ALTER TABLE doctor_absence ENABLE TRIGGER doctor_absence_covers_appointments")
    headers = api("secretary")
    renamed = client.put(f"/api/v1/absences/{absence}", json={"reason": "Training"}, headers=headers)
    assert renamed.status_code == 200, renamed.get_json()
    conn.execute("UPDATE appointments SET needs_rebooking = true WHERE id = %s", [booked["morning"]])
    moved = client.put(
        f"/api/v1/appointments/{booked['morning']}", json={"starts_at": at(11, day=MONDAY).isoformat()}, headers=headers
    )
    assert moved.status_code == 200, moved.get_json()
    assert decisions_of(conn, booked["morning"]) == [(False, None)]


def test_an_absence_and_a_booking_written_at_once_do_not_miss_each_other(booked, postgres_server, database_name):
    """Two people, two connections: one adds an absence over Tuesday, the
    other books Tuesday 10:00 meanwhile (neither sees the other's row yet).
    The absence's check at commit waits for the booking, sees it, and is
    refused: the appointment is never left under an absence with no decision."""
    import threading

    conn = booked["conn"]
    conninfo = postgres_server.conninfo(database_name)
    with psycopg.connect(conninfo) as absence_tx, psycopg.connect(conninfo) as booking_tx:
        absence_tx.execute(
            "INSERT INTO doctor_absence (doctor_id, starts_at, ends_at, reason) VALUES (%s, %s, %s, 'Training')",
            [booked["martin"], at(8, day=TUESDAY), at(18, day=TUESDAY)],
        )
        book(booking_tx, booked["dubois"], booked["martin"], at(10, day=TUESDAY))
        outcome = {}

        def commit_absence():
            try:
                absence_tx.commit()
                outcome["absence"] = "committed"
            except errors.CheckViolation as refused:
                outcome["absence"] = refused.diag.constraint_name

        committing = threading.Thread(target=commit_absence)
        committing.start()
        committing.join(timeout=2)
        assert committing.is_alive(), "the absence's check did not wait for the booking being written"
        booking_tx.commit()
        committing.join(timeout=10)
    assert outcome == {"absence": "doctor_absence_covers_appointments"}
    assert absences(conn) == 0
