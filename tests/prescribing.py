"""A small drug reference, doctors and patients for the prescribing tests,
written in SQL (the way a DBA in psql would: the database's rules apply
just the same)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.agenda import book, make_doctor, make_patient

# code -> (name, substances, ATC, narcotic)
MEDICATIONS = {
    "WARF": ("Warfarin 5 mg", ["warfarin"], "B01AA03", False),
    "ASPI": ("Aspirin 100 mg", ["acetylsalicylic acid"], "B01AC06", False),
    "IBUP": ("Ibuprofen 400 mg", ["ibuprofen"], "M01AE01", False),
    "AMOX": ("Amoxicillin 1 g", ["amoxicillin"], "J01CA04", False),
    "AUGM": ("Amoxicillin + clavulanic acid", ["amoxicillin", "clavulanic acid"], "J01CR02", False),
    "CEFA": ("Cefalexin 500 mg", ["cefalexin"], "J01DB01", False),
    "PARA": ("Paracetamol 1 g", ["paracetamol"], "N02BE01", False),
    "CODO": ("Paracetamol + codeine", ["paracetamol", "codeine"], "N02AJ06", False),
    "SERT": ("Sertraline 50 mg", ["sertraline"], "N06AB06", False),
    "FLUO": ("Fluoxetine 20 mg", ["fluoxetine"], "N06AB03", False),
    "PHEN": ("Phenelzine 15 mg", ["phenelzine"], "N06AF03", False),
    "MTX": ("Methotrexate 2.5 mg", ["methotrexate"], "L04AX03", False),
    "TMP": ("Trimethoprim 300 mg", ["trimethoprim"], "J01EA01", False),
    "SIMV": ("Simvastatin 20 mg", ["simvastatin"], "C10AA01", False),
    "CLAR": ("Clarithromycin 500 mg", ["clarithromycin"], "J01FA09", False),
    "MORP": ("Morphine 10 mg", ["morphine"], "N02AA01", True),
}

# (a kind, a value, b kind, b value, severity, message)
INTERACTIONS = [
    ("substance", "warfarin", "substance", "acetylsalicylic acid", "avoid", "Bleeding risk with aspirin."),
    ("atc", "B01AA", "atc", "M01A", "avoid", "Bleeding risk: NSAID with a vitamin K antagonist."),
    ("substance", "methotrexate", "substance", "trimethoprim", "contraindicated", "Methotrexate toxicity."),
    ("substance", "simvastatin", "substance", "clarithromycin", "contraindicated", "Rhabdomyolysis risk."),
    ("atc", "N06AF", "atc", "N06AB", "contraindicated", "Serotonin syndrome."),
]


def make_reference(conn) -> dict[str, int]:
    """The medications above and their interactions; {code: medication id}."""
    ids = {}
    for code, (name, substances, atc, narcotic) in MEDICATIONS.items():
        ids[code] = conn.execute(
            "INSERT INTO medications (code, name, substances, atc_code, route, is_narcotic, needs_secure_prescription)"
            " VALUES (%s, %s, %s, %s, 'oral', %s, %s) RETURNING id",
            [code, name, substances, atc, narcotic, narcotic],
        ).fetchone()[0]
    for row in INTERACTIONS:
        conn.execute(
            "INSERT INTO drug_interactions (a_kind, a_value, b_kind, b_value, severity, message)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            row,
        )
    return ids


def make_ward(conn) -> dict:
    """Dr Paul Martin (the `doctor` login), Dr Anne Petit (no login), nurse
    Camille Roux (staff, not a prescriber), patients Hélène Dubois and Luc
    Durand, and the reference above (ward["med"][code] is a medication id)."""
    (doctor_user,) = conn.execute("SELECT id FROM ab_user WHERE username = 'doctor'").fetchone()
    return {
        "conn": conn,
        "martin": make_doctor(conn, "Martin", "Paul", user_id=doctor_user),
        "petit": make_doctor(conn, "Petit", "Anne"),
        "nurse_staff": make_doctor(conn, "Roux", "Camille", specialty=None, profession="nurse"),
        "dubois": make_patient(conn, "Dubois", "Hélène", "F"),
        "durand": make_patient(conn, "Durand", "Luc", "M"),
        "med": make_reference(conn),
    }


def draft(conn, patient_id: int, prescriber_id: int, medication_ids, **columns) -> int:
    """A draft prescription with one line per medication."""
    names = ["patient_id", "prescriber_id", *columns]
    prescription_id = conn.execute(
        f"INSERT INTO prescriptions ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))}) RETURNING id",
        [patient_id, prescriber_id, *columns.values()],
    ).fetchone()[0]
    for position, medication_id in enumerate(medication_ids, start=1):
        conn.execute(
            "INSERT INTO prescription_items (prescription_id, position, medication_id, dose, dose_unit, frequency)"
            " VALUES (%s, %s, %s, 1, 'tablet', 'once a day')",
            [prescription_id, position, medication_id],
        )
    return prescription_id


def sign(conn, prescription_id: int, override_reason: str | None = None) -> None:
    conn.execute(
        "UPDATE prescriptions SET status = 'signed', override_reason = %s WHERE id = %s",
        [override_reason, prescription_id],
    )


def signed(conn, patient_id: int, prescriber_id: int, medication_ids, *, override_reason=None, **columns) -> int:
    prescription_id = draft(conn, patient_id, prescriber_id, medication_ids, **columns)
    sign(conn, prescription_id, override_reason)
    return prescription_id


def backdate(conn, prescription_id: int, *, days: int, valid_days: int) -> None:
    """As if the prescription had been signed `days` ago, valid `valid_days`
    from then (time cannot be moved otherwise: signing dates it today).  The
    rules' trigger is set aside for this one UPDATE, in its own transaction."""
    with conn.transaction():
        conn.execute("ALTER TABLE prescriptions DISABLE TRIGGER prescriptions_check_row")
        conn.execute(
            "UPDATE prescriptions SET prescribed_on = current_date - %s, valid_until = current_date - %s + %s,"
            " signed_at = now() - %s * interval '1 day' WHERE id = %s",
            [days, days, valid_days, days, prescription_id],
        )
        conn.execute("ALTER TABLE prescriptions ENABLE TRIGGER prescriptions_check_row")


def allergy(conn, patient_id: int, *, substance=None, atc_code=None, description=None, status="active") -> int:
    return conn.execute(
        "INSERT INTO patient_allergies (patient_id, substance, atc_code, description, status)"
        " VALUES (%s, %s, %s, %s, %s) RETURNING id",
        [patient_id, substance, atc_code, description, status],
    ).fetchone()[0]


def status_of(conn, prescription_id: int) -> str:
    return conn.execute("SELECT status FROM prescriptions WHERE id = %s", [prescription_id]).fetchone()[0]


def ward_seen_today(conn) -> dict:
    """The ward (make_ward) with Hélène Dubois seen today at 10:00 by Dr
    Martin (the `doctor` login), arrived; an allergy to penicillin."""
    ward = make_ward(conn)
    (today_10,) = conn.execute("SELECT date_trunc('day', now() AT TIME ZONE hospital_time_zone())").fetchone()
    starts = (today_10 + timedelta(hours=10)).replace(tzinfo=None)
    zone = conn.execute("SELECT hospital_time_zone()").fetchone()[0]
    starts = datetime.combine(starts.date(), starts.time(), ZoneInfo(zone))
    appointment = book(conn, ward["dubois"], ward["martin"], starts, kind="emergency", override_reason="test")
    conn.execute("UPDATE appointments SET status = 'arrived' WHERE id = %s", [appointment])
    allergy(conn, ward["dubois"], substance="PENICILLINE")
    conn.execute(
        "UPDATE patients SET sex = 'M', nir = '185057800608491', birth_date = DATE '1985-05-12' WHERE id = %s",
        [ward["dubois"]],
    )
    return {**ward, "appointment": appointment}
