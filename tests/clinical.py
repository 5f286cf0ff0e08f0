"""A small ward for the clinical record's tests, written in SQL (the
database's rules apply as they would to a DBA in psql)."""

from datetime import UTC, datetime, timedelta

from tests.agenda import book, make_doctor, make_patient


def user_id(conn, username: str) -> int:
    return conn.execute("SELECT id FROM ab_user WHERE username = %s", [username]).fetchone()[0]


def make_clinical_ward(conn) -> dict:
    """Dr Paul Martin (the `doctor` login), Dr Anne Petit (no login), nurse
    Camille Roux (the `nurse` login), patient Hélène Dubois with an emergency
    appointment with Dr Martin that began half an hour ago."""
    martin = make_doctor(conn, "Martin", "Paul", user_id=user_id(conn, "doctor"))
    petit = make_doctor(conn, "Petit", "Anne")
    nurse = make_doctor(conn, "Roux", "Camille", specialty=None, profession="nurse", user_id=user_id(conn, "nurse"))
    dubois = make_patient(conn, "Dubois", "Hélène", "F")
    appointment = book(
        conn,
        dubois,
        martin,
        datetime.now(UTC) - timedelta(minutes=30),
        kind="emergency",
        override_reason="chest pain",
    )
    return {
        "conn": conn,
        "martin": martin,
        "petit": petit,
        "nurse": nurse,
        "dubois": dubois,
        "appointment": appointment,
    }


def consultation(conn, patient_id: int, clinician_id: int, *, reason: str = "Toux", signed: bool = False) -> int:
    consultation_id = conn.execute(
        "INSERT INTO consultations (patient_id, clinician_id, reason) VALUES (%s, %s, %s) RETURNING id",
        [patient_id, clinician_id, reason],
    ).fetchone()[0]
    if signed:
        conn.execute("UPDATE consultations SET status = 'signed' WHERE id = %s", [consultation_id])
    return consultation_id


def observation(conn, patient_id: int, kind: str, value, diastolic=None, *, at: datetime | None = None) -> int:
    return conn.execute(
        "INSERT INTO observations (patient_id, kind, value, diastolic, measured_at) VALUES (%s, %s, %s, %s, %s)"
        " RETURNING id",
        [patient_id, kind, value, diastolic, at or datetime.now(UTC)],
    ).fetchone()[0]
