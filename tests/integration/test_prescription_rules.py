"""Each rule of prescriptions is enforced by PostgreSQL itself, whoever
writes (here a DBA in psql): a signed prescription never changes, only
active doctors prescribe, renewals are counted and cannot exceed what the
original allows, also when two are signed at once, corrections cancel what
they replace, the reference is stored normalised."""

import threading
from datetime import date, timedelta

import psycopg
import pytest
from psycopg import errors

from tests.conftest import dispose, make_test_app, migrate_to_head, unique_name
from tests.prescribing import draft, make_ward, sign, signed, status_of


@pytest.fixture
def ward(sql_conn):
    """Two doctors, two patients, a small drug reference with its interactions."""
    return make_ward(sql_conn)


def refused(conn, statement: str, params=()) -> str:
    """The constraint that refused `statement` (it must be refused)."""
    with pytest.raises((errors.CheckViolation, errors.UniqueViolation, errors.ForeignKeyViolation)) as refusal:
        conn.execute(statement, params)
    return refusal.value.diag.constraint_name


@pytest.fixture
def signed_warfarin(ward):
    return signed(ward["conn"], ward["dubois"], ward["martin"], [ward["med"]["WARF"]], notes="INR 2-3")


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE prescriptions SET notes = 'changed' WHERE id = %(id)s",
        "UPDATE prescriptions SET valid_until = valid_until + 30 WHERE id = %(id)s",
        "UPDATE prescriptions SET override_reason = 'afterwards' WHERE id = %(id)s",
        "UPDATE prescriptions SET status = 'draft', signed_at = NULL WHERE id = %(id)s",
        "UPDATE prescriptions SET renewals_allowed = 5 WHERE id = %(id)s",
        "DELETE FROM prescriptions WHERE id = %(id)s",
    ],
)
def test_a_signed_prescription_cannot_be_changed_by_a_dba(ward, signed_warfarin, statement):
    assert refused(ward["conn"], statement, {"id": signed_warfarin}) == "prescriptions_signed_immutable"


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE prescription_items SET dose = 2 WHERE prescription_id = %(id)s",
        "UPDATE prescription_items SET medication_id = %(other)s WHERE prescription_id = %(id)s",
        "DELETE FROM prescription_items WHERE prescription_id = %(id)s",
        "INSERT INTO prescription_items (prescription_id, position, medication_id, dose, dose_unit, frequency)"
        " VALUES (%(id)s, 2, %(other)s, 1, 'tablet', 'daily')",
    ],
)
def test_the_lines_of_a_signed_prescription_cannot_be_changed(ward, signed_warfarin, statement):
    params = {"id": signed_warfarin, "other": ward["med"]["PARA"]}
    assert refused(ward["conn"], statement, params) == "prescription_items_frozen"


def test_a_signed_prescription_may_be_cancelled_with_a_reason_then_nothing_more(ward, signed_warfarin):
    conn = ward["conn"]
    cancel = (
        "UPDATE prescriptions SET status = 'cancelled', cancelled_at = now(), cancellation_reason = %s WHERE id = %s"
    )
    assert refused(conn, cancel, [None, signed_warfarin]) == "prescriptions_cancellation_check"
    conn.execute(cancel, ["bleeding", signed_warfarin])
    assert status_of(conn, signed_warfarin) == "cancelled"
    reopen = "UPDATE prescriptions SET status = 'signed', cancelled_at = NULL, cancellation_reason = NULL WHERE id = %s"
    assert refused(conn, reopen, [signed_warfarin]) in (
        "prescriptions_signed_immutable",
        "prescriptions_status_transition",
    )


def test_a_prescription_expires_only_once_past_its_date(ward, signed_warfarin):
    statement = "UPDATE prescriptions SET status = 'expired' WHERE id = %s"
    assert refused(ward["conn"], statement, [signed_warfarin]) == "prescriptions_not_yet_expired"


def test_drafts_change_freely_and_signing_dates_the_prescription(ward):
    conn = ward["conn"]
    prescription = draft(
        conn, ward["dubois"], ward["martin"], [ward["med"]["PARA"]], prescribed_on=date.today() - timedelta(days=10)
    )
    conn.execute("UPDATE prescription_items SET dose = 2 WHERE prescription_id = %s", [prescription])
    conn.execute("UPDATE prescriptions SET notes = 'after meals' WHERE id = %s", [prescription])
    sign(conn, prescription)
    prescribed_on, signed_at, today = conn.execute(
        "SELECT prescribed_on, signed_at, current_date FROM prescriptions WHERE id = %s", [prescription]
    ).fetchone()
    assert prescribed_on == today and signed_at is not None


def test_a_prescription_without_lines_cannot_be_signed(ward):
    prescription = draft(ward["conn"], ward["dubois"], ward["martin"], [])
    statement = "UPDATE prescriptions SET status = 'signed' WHERE id = %s"
    assert refused(ward["conn"], statement, [prescription]) == "prescriptions_items_required"


def test_only_an_active_doctor_prescribes(ward):
    conn = ward["conn"]
    with pytest.raises(errors.CheckViolation) as nurse:
        draft(conn, ward["dubois"], ward["nurse_staff"], [ward["med"]["PARA"]])
    assert nurse.value.diag.constraint_name == "prescriptions_prescriber_check"
    prescription = draft(conn, ward["dubois"], ward["petit"], [ward["med"]["PARA"]])
    conn.execute("UPDATE staff SET is_active = false WHERE id = %s", [ward["petit"]])
    statement = "UPDATE prescriptions SET status = 'signed' WHERE id = %s"
    assert refused(conn, statement, [prescription]) == "prescriptions_prescriber_check"


def test_a_withdrawn_medication_cannot_be_added(ward):
    conn = ward["conn"]
    conn.execute("UPDATE medications SET is_active = false WHERE code = 'PARA'")
    with pytest.raises(errors.CheckViolation) as withdrawn:
        draft(conn, ward["dubois"], ward["martin"], [ward["med"]["PARA"]])
    assert withdrawn.value.diag.constraint_name == "prescription_items_medication_active"


def test_renewals_are_counted_on_the_original_up_to_the_number_allowed(ward):
    conn = ward["conn"]
    original = signed(conn, ward["dubois"], ward["martin"], [ward["med"]["WARF"]], renewals_allowed=2)
    first = signed(conn, ward["dubois"], ward["martin"], [ward["med"]["WARF"]], renewal_of_id=original)
    # Renewing the renewal renews the original (and counts there).
    second_draft = draft(conn, ward["dubois"], ward["martin"], [ward["med"]["WARF"]], renewal_of_id=first)
    (link,) = conn.execute("SELECT renewal_of_id FROM prescriptions WHERE id = %s", [second_draft]).fetchone()
    assert link == original
    sign(conn, second_draft)
    assert conn.execute("SELECT renewals_used FROM prescriptions WHERE id = %s", [original]).fetchone() == (2,)
    third = draft(conn, ward["dubois"], ward["martin"], [ward["med"]["WARF"]], renewal_of_id=original)
    statement = "UPDATE prescriptions SET status = 'signed' WHERE id = %s"
    assert refused(conn, statement, [third]) == "prescriptions_renewals_used_check"
    assert status_of(conn, third) == "draft"


def test_a_renewal_counts_only_when_signed_and_only_from_a_signed_original(ward):
    conn = ward["conn"]
    original_draft = draft(conn, ward["dubois"], ward["martin"], [ward["med"]["WARF"]], renewals_allowed=1)
    renewal = draft(conn, ward["dubois"], ward["martin"], [ward["med"]["WARF"]], renewal_of_id=original_draft)
    statement = "UPDATE prescriptions SET status = 'signed' WHERE id = %s"
    assert refused(conn, statement, [renewal]) == "prescriptions_renewal_of_check"
    statement = "UPDATE prescriptions SET renewals_allowed = 3 WHERE id = %s"
    assert refused(conn, statement, [renewal]) == "prescriptions_renewal_counts_check"
    with pytest.raises(errors.CheckViolation) as other_patient:
        draft(conn, ward["durand"], ward["martin"], [ward["med"]["WARF"]], renewal_of_id=original_draft)
    assert other_patient.value.diag.constraint_name == "prescriptions_link_patient_check"


def test_two_renewals_signed_at_once_cannot_both_take_the_last_one(postgres_server, database_name, ward):
    """Two connections sign a renewal each of a prescription with one renewal
    left: the second waits on the original's row, then is refused."""
    conn = ward["conn"]
    original = signed(conn, ward["dubois"], ward["martin"], [ward["med"]["WARF"]], renewals_allowed=1)
    renewals = [draft(conn, ward["dubois"], ward["martin"], [ward["med"]["WARF"]], renewal_of_id=original)]
    renewals.append(draft(conn, ward["dubois"], ward["petit"], [ward["med"]["WARF"]], renewal_of_id=original))
    conninfo = postgres_server.conninfo(database_name)
    outcome = {}
    with psycopg.connect(conninfo) as first, psycopg.connect(conninfo) as second:
        first.execute("UPDATE prescriptions SET status = 'signed' WHERE id = %s", [renewals[0]])  # holds the original

        def sign_second():
            try:
                second.execute("UPDATE prescriptions SET status = 'signed' WHERE id = %s", [renewals[1]])
                second.commit()
                outcome["second"] = "signed"
            except errors.CheckViolation as refusal:
                second.rollback()
                outcome["second"] = refusal.diag.constraint_name

        racer = threading.Thread(target=sign_second)
        racer.start()
        waiting = 0
        for _ in range(100):  # until the second is blocked on the original's row lock
            (waiting,) = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ).fetchone()
            if waiting:
                break
            threading.Event().wait(0.05)
        assert waiting == 1 and racer.is_alive()
        first.commit()
        racer.join(timeout=30)
    assert outcome == {"second": "prescriptions_renewals_used_check"}
    assert [status_of(conn, r) for r in renewals] == ["signed", "draft"]
    assert conn.execute("SELECT renewals_used FROM prescriptions WHERE id = %s", [original]).fetchone() == (1,)


def test_signing_a_correction_cancels_the_prescription_it_replaces(ward, signed_warfarin):
    conn = ward["conn"]
    correction = draft(conn, ward["dubois"], ward["martin"], [ward["med"]["WARF"]], replaces_id=signed_warfarin)
    another = draft(conn, ward["dubois"], ward["martin"], [ward["med"]["WARF"]], replaces_id=signed_warfarin)
    assert status_of(conn, signed_warfarin) == "signed"  # a correction drafted changes nothing yet
    sign(conn, correction)
    (status, reason) = conn.execute(
        "SELECT status, cancellation_reason FROM prescriptions WHERE id = %s", [signed_warfarin]
    ).fetchone()
    assert (status, reason) == ("cancelled", f"Replaced by prescription {correction}")
    statement = "UPDATE prescriptions SET status = 'signed' WHERE id = %s"
    assert refused(conn, statement, [another]) == "prescriptions_replaces_check"


def test_a_patient_with_prescriptions_is_not_deleted(ward, signed_warfarin):
    assert refused(ward["conn"], "DELETE FROM patients WHERE id = %s", [ward["dubois"]]) == (
        "prescriptions_patient_id_fkey"
    )


def test_interaction_pairs_are_stored_once_in_canonical_order(ward):
    conn = ward["conn"]
    (a_kind, a_value, b_kind, b_value) = conn.execute(
        "INSERT INTO drug_interactions (a_kind, a_value, b_kind, b_value, severity, message)"
        " VALUES ('substance', 'Warfarine', 'atc', 'j02ac', 'precaution', 'INR')"
        " RETURNING a_kind, a_value, b_kind, b_value"
    ).fetchone()
    assert (a_kind, a_value, b_kind, b_value) == ("atc", "J02AC", "substance", "warfarine")
    reversed_pair = (
        "INSERT INTO drug_interactions (a_kind, a_value, b_kind, b_value, severity, message)"
        " VALUES ('atc', 'J02AC', 'substance', 'WARFARINE', 'avoid', 'again')"
    )
    assert refused(conn, reversed_pair) == "drug_interactions_pair_key"
    itself = (
        "INSERT INTO drug_interactions (a_kind, a_value, b_kind, b_value, severity, message)"
        " VALUES ('substance', 'warfarin', 'substance', 'Warfarin', 'avoid', 'self')"
    )
    assert refused(conn, itself) == "drug_interactions_canonical_order"


def test_substances_and_atc_codes_are_stored_normalised(ward):
    conn = ward["conn"]
    (substances, atc) = conn.execute(
        "INSERT INTO medications (code, name, substances, atc_code) VALUES"
        " ('ASP-2', 'Aspirine', ARRAY['Acide  Acétylsalicylique ', 'acide acetylsalicylique', ''], 'n02ba01')"
        " RETURNING substances, atc_code"
    ).fetchone()
    assert (substances, atc) == (["acide acetylsalicylique"], "N02BA01")
    statement = "INSERT INTO medications (code, name, substances, atc_code) VALUES ('X-1', 'X', ARRAY['x'], 'N02B1')"
    assert refused(conn, statement) == "medications_atc_code_check"
    statement = "INSERT INTO medications (code, name, substances) VALUES ('X-2', 'X', ARRAY[' '])"
    assert refused(conn, statement) == "medications_substances_check"


@pytest.fixture
def database_before_prescriptions(postgres_server):
    """A new database migrated up to 0008 (the one before prescriptions), dropped afterwards."""
    from flask_migrate import upgrade

    name = unique_name("caretrail_0008")
    postgres_server.create_database(name)
    app = make_test_app(postgres_server.database_url(name))
    with app.app_context():
        upgrade(revision="0008")
    yield app, postgres_server.conninfo(name)
    dispose(app)
    postgres_server.drop_database(name)


def test_migration_keeps_free_text_allergies_as_imported_rows(database_before_prescriptions):
    app, conninfo = database_before_prescriptions
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO patients (last_name, first_name, birth_date, sex, allergies) VALUES"
            " ('A', 'B', '1980-01-01', 'F', ' Pénicilline (urticaire) '), ('C', 'D', '1980-01-01', 'M', NULL),"
            " ('E', 'F', '1980-01-01', 'M', '  ')"
        )
        migrate_to_head(app)
        rows = conn.execute(
            "SELECT p.last_name, a.description, a.source, a.status, p.allergies"
            " FROM patient_allergies a JOIN patients p ON p.id = a.patient_id"
        ).fetchall()
        (audited,) = conn.execute(
            "SELECT count(*) FROM audit_log"
            " WHERE table_name = 'public.patient_allergies' AND app_username = 'migration'"
        ).fetchone()
    assert rows == [("A", "Pénicilline (urticaire)", "imported", "active", " Pénicilline (urticaire) ")]
    assert audited == 1


def test_a_signed_renewal_replaces_what_it_renews_in_the_database(ward):
    """Issue 15 point 19: after a renewal the original stayed 'signed' beside
    it (two copies in force); now it is 'renewed', pointing at its renewal,
    in the same transaction, whoever signs (here psql)."""
    conn, warf = ward["conn"], [ward["med"]["WARF"]]
    original = signed(conn, ward["dubois"], ward["martin"], warf, renewals_allowed=2)
    first = signed(conn, ward["dubois"], ward["martin"], warf, renewal_of_id=original)
    row = "SELECT status, renewed_by_id, renewals_used FROM prescriptions WHERE id = %s"
    assert conn.execute(row, [original]).fetchone() == ("renewed", first, 1)
    assert conn.execute(row, [first]).fetchone() == ("signed", None, 0)
    second = signed(conn, ward["dubois"], ward["martin"], warf, renewal_of_id=first)  # renews the original
    assert conn.execute(row, [original]).fetchone() == ("renewed", first, 2)
    assert conn.execute(row, [first]).fetchone() == ("renewed", second, 0)
    in_force = "SELECT array_agg(id ORDER BY id) FROM prescriptions WHERE patient_id = %s AND status = 'signed'"
    assert conn.execute(in_force, [ward["dubois"]]).fetchone() == ([second],)
    # Nobody marks a prescription renewed by hand, nor brings one back.
    other = signed(conn, ward["dubois"], ward["martin"], [ward["med"]["PARA"]])
    assert refused(conn, "UPDATE prescriptions SET status = 'renewed', renewed_by_id = %s WHERE id = %s",
                   [second, other]) == "prescriptions_renewed_by_check"  # fmt: skip
    assert refused(conn, "UPDATE prescriptions SET status = 'signed', renewed_by_id = NULL WHERE id = %s",
                   [first]) == "prescriptions_renewed_by_check"  # fmt: skip
    # Cancelling the renewal in force puts the one it replaced back in force.
    conn.execute("UPDATE prescriptions SET status = 'cancelled', cancelled_at = now(),"
                 " cancellation_reason = 'wrong patient' WHERE id = %s", [second])  # fmt: skip
    assert conn.execute(row, [first]).fetchone() == ("signed", None, 0)
    assert conn.execute(in_force, [ward["dubois"]]).fetchone() == (sorted([first, other]),)


def test_a_renewed_prescription_no_longer_counts_as_a_duplicate(ward):
    conn, warf = ward["conn"], [ward["med"]["WARF"]]
    original = signed(conn, ward["dubois"], ward["martin"], warf, renewals_allowed=1)
    signed(conn, ward["dubois"], ward["martin"], warf, renewal_of_id=original)
    duplicates = conn.execute(
        "SELECT count(*) FROM prescription_alerts(%s, %s) WHERE kind = 'duplicate'", [ward["dubois"], warf]
    ).fetchone()[0]
    assert duplicates == 1
