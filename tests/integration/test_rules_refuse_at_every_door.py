"""Each domain's rules refuse by themselves what the actor may not do: called
directly (as a job or a new door would), with no screen or API in front,
and from the CLI.  A door added tomorrow inherits the refusal."""

import pytest

from app.agenda import rules as agenda
from app.agenda.models import DoctorSchedule
from app.audit import restore as audit_restore
from app.core.actor import Actor, acting_as
from app.core.errors import Forbidden
from app.core.extensions import db
from app.documents.archive import issue_document
from app.prescribing import rules as prescribing
from app.records.models import Patient
from app.records.rules import PATIENT_RULES, delete_patient
from tests.agenda_screens import at, make_clinic
from tests.prescribing import make_ward


def actor(app, username: str) -> Actor:
    return Actor.of(app.appbuilder.sm.find_user(username=username))


def count(conn, table: str) -> int:
    return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_agenda_a_doctor_is_refused_another_doctors_agenda_by_the_rule_itself(app, sql_conn):
    clinic = make_clinic(sql_conn)
    with app.app_context():
        doctor = actor(app, "doctor")  # Dr Martin
        with pytest.raises(Forbidden, match="your own agenda"):
            agenda.book_appointment(
                db.session,
                doctor,
                patient_id=clinic["dubois"],
                doctor_id=clinic["petit"],
                type_id=clinic["consultation"],
                starts_at=at(10),
            )
        hours = DoctorSchedule(
            doctor_id=clinic["petit"], day_of_week=6, start_time=at(9).time(), end_time=at(12).time()
        )
        with pytest.raises(Forbidden):
            agenda.SCHEDULE_RULES.save(db.session, doctor, hours)
        db.session.rollback()
        with pytest.raises(Forbidden):  # a nurse reads the agenda, never writes it
            agenda.book_appointment(
                db.session,
                actor(app, "nurse"),
                patient_id=clinic["dubois"],
                doctor_id=clinic["martin"],
                type_id=clinic["consultation"],
                starts_at=at(10),
            )
        booked = agenda.book_appointment(
            db.session,
            doctor,
            patient_id=clinic["dubois"],
            doctor_id=clinic["martin"],
            type_id=clinic["consultation"],
            starts_at=at(10),
        )
        assert booked.booked_by_id == doctor.user_id
    assert count(sql_conn, "appointments") == 1


def test_records_a_nurse_writes_no_patient_and_only_an_admin_deletes(app, sql_conn):
    clinic = make_clinic(sql_conn)
    with app.app_context():
        patient = Patient(last_name="Roux", first_name="Léa", birth_date=at(0).date().replace(year=1990), sex="F")
        with pytest.raises(Forbidden):
            PATIENT_RULES.save(db.session, actor(app, "nurse"), patient)
        db.session.rollback()
        with pytest.raises(Forbidden):
            delete_patient(db.session, actor(app, "secretary"), db.session.get(Patient, clinic["dubois"]), reason=None)
    assert sql_conn.execute("SELECT count(*) FROM patients WHERE last_name = 'Roux'").fetchone()[0] == 0
    assert sql_conn.execute("SELECT 1 FROM patients WHERE id = %s", [clinic["dubois"]]).fetchone()


def test_prescribing_a_nurse_drafts_nothing_and_a_doctor_cancels_only_their_own(app, sql_conn):
    ward = make_ward(sql_conn)
    (petit_draft,) = sql_conn.execute(
        "INSERT INTO prescriptions (patient_id, prescriber_id, valid_until) VALUES (%s, %s, current_date + 30)"
        " RETURNING id",
        [ward["dubois"], ward["petit"]],
    ).fetchone()
    with app.app_context():
        line = {"medication_id": ward["med"]["PARA"], "dose": 1, "dose_unit": "tablet", "frequency": "3 times a day"}
        with pytest.raises(Forbidden):
            prescribing.create_draft(db.session, actor(app, "nurse"), patient_id=ward["dubois"], items=[line])
        with pytest.raises(Forbidden, match="your own prescriptions"):
            prescribing.cancel_prescription(db.session, actor(app, "doctor"), petit_draft, reason="wrong patient")
    assert count(sql_conn, "prescriptions") == 1
    assert sql_conn.execute("SELECT status FROM prescriptions").fetchone()[0] == "draft"


def test_documents_a_secretary_issues_no_prescription_document(app, sql_conn):
    ward = make_ward(sql_conn)
    with app.app_context(), pytest.raises(Forbidden):
        issue_document(
            db.session,
            actor(app, "secretary"),
            patient_id=ward["dubois"],
            kind="prescription",
            fields={"prescription_id": 1},
        )
    assert count(sql_conn, "documents") == 0


def test_audit_only_an_admin_restores(app, sql_conn):
    clinic = make_clinic(sql_conn)
    sql_conn.execute("UPDATE patients SET city = 'Lyon' WHERE id = %s", [clinic["dubois"]])
    (entry,) = sql_conn.execute("SELECT max(id) FROM audit_log WHERE table_name = 'public.patients'").fetchone()
    with app.app_context():
        for username in ("doctor", "auditor"):
            with pytest.raises(Forbidden):
                audit_restore.restore(db.session, actor(app, username), entry, "before")
    assert sql_conn.execute("SELECT city FROM patients WHERE id = %s", [clinic["dubois"]]).fetchone()[0] == "Lyon"


def test_the_cli_obeys_the_same_rules_as_the_screens(app, sql_conn, tmp_path):
    """`--as nurse` is the nurse's roles: no drug import; as the operator it goes through."""
    csv = tmp_path / "drugs.csv"
    csv.write_text("code,name,substances,atc_code,route\nX1,Test drug,paracetamol,N02BE01,oral\n")
    refused = app.test_cli_runner().invoke(args=["drugs", "import", str(csv), "--as", "nurse"])
    assert refused.exit_code != 0 and "may not" in refused.output
    assert count(sql_conn, "medications") == 0
    done = app.test_cli_runner().invoke(args=["drugs", "import", str(csv)])
    assert done.exit_code == 0, done.output
    assert count(sql_conn, "medications") == 1


def test_rules_run_as_the_actor_a_job_names(app, sql_conn):
    """acting_as(): what a job or the CLI sets is who the rules and the audit see."""
    clinic = make_clinic(sql_conn)
    with app.app_context():
        secretary = actor(app, "secretary")
        with acting_as(secretary):
            agenda.book_appointment(
                db.session,
                secretary,
                patient_id=clinic["durand"],
                doctor_id=clinic["petit"],
                type_id=clinic["consultation"],
                starts_at=at(11),
            )
    (who,) = sql_conn.execute(
        "SELECT app_username FROM audit_log WHERE table_name = 'public.appointments' AND operation = 'INSERT'"
    ).fetchone()
    assert who == "secretary"


def test_clinical_the_icd10_search_is_refused_by_the_rule_to_who_reads_no_problem_list(app, sql_conn):
    from app.clinical.rules import search_icd10

    with app.app_context():
        assert search_icd10(db.session, actor(app, "doctor"), "I10", 5)
        with pytest.raises(Forbidden):
            search_icd10(db.session, actor(app, "secretary"), "I10", 5)
