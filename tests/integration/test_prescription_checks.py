"""The checks at prescribing time, each on a purpose-built case: allergies
(by substance, by ATC class), interactions (between lines, with another
active prescription), duplicate therapy, and the override a contraindication
needs to be signed, through the service and in the database itself."""

import pytest
from psycopg import errors

from app.core.actor import Actor, acting_as
from app.core.extensions import db
from app.prescribing.checks import check_draft, needs_override
from app.prescribing.rules import OverrideRequired, sign_prescription
from tests.prescribing import allergy, backdate, draft, make_ward, sign, signed, status_of


@pytest.fixture
def ward(sql_conn):
    """Two doctors, two patients, a small drug reference with its interactions."""
    return make_ward(sql_conn)


def alerts_for(app, ward, codes, patient="dubois", **links):
    with app.app_context():
        return check_draft(ward[patient], [ward["med"][code] for code in codes], **links)


def kinds(alerts):
    return [(alert.kind, alert.severity, alert.line) for alert in alerts]


def test_allergy_to_a_substance_flags_every_line_containing_it(app, ward):
    allergy(ward["conn"], ward["dubois"], substance="Amoxicillin")
    alerts = alerts_for(app, ward, ["PARA", "AUGM"])
    assert kinds(alerts) == [("allergy", "contraindicated", 2)]
    assert "allergic to amoxicillin" in alerts[0].message and needs_override(alerts)
    assert alerts_for(app, ward, ["PARA"]) == []


def test_allergy_to_an_atc_class_matches_the_drugs_in_it(app, ward):
    """J01C (penicillins) catches amoxicillin (J01CA04), not cefalexin (J01DB01)."""
    allergy(ward["conn"], ward["dubois"], atc_code="j01c")
    alerts = alerts_for(app, ward, ["CEFA", "AMOX"])
    assert kinds(alerts) == [("allergy", "contraindicated", 2)]
    assert "the class J01C" in alerts[0].message


def test_resolved_allergies_and_other_patients_allergies_do_not_count(app, ward):
    allergy(ward["conn"], ward["dubois"], substance="amoxicillin", status="resolved")
    allergy(ward["conn"], ward["durand"], substance="amoxicillin")
    assert alerts_for(app, ward, ["AMOX"]) == []


def test_allergies_recorded_as_text_are_shown_as_unchecked(app, ward):
    conn = ward["conn"]
    conn.execute("UPDATE patients SET allergies = 'Pénicilline' WHERE id = %s", [ward["dubois"]])
    allergy(conn, ward["dubois"], description="Latex")
    [alert] = alerts_for(app, ward, ["PARA"])
    assert (alert.kind, alert.severity) == ("allergy_text", "precaution")
    assert "Latex" in alert.message and "Pénicilline" in alert.message
    # Once the free text is taken into the allergy list (here: resolved), it is not repeated.
    allergy(conn, ward["dubois"], description="Pénicilline", status="resolved")
    [alert] = alerts_for(app, ward, ["PARA"])
    assert "Pénicilline" not in alert.message


def test_interaction_between_two_lines_of_the_prescription(app, ward):
    alerts = alerts_for(app, ward, ["WARF", "PARA", "ASPI"])
    assert kinds(alerts) == [("interaction", "avoid", 1)]
    assert alerts[0].other_line == 3 and "Bleeding risk with aspirin." in alerts[0].message


def test_interaction_by_class_both_ways(app, ward):
    """B01AA (vitamin K antagonists) with M01A (NSAIDs), whichever line comes first."""
    assert kinds(alerts_for(app, ward, ["IBUP", "WARF"])) == [("interaction", "avoid", 1)]
    assert kinds(alerts_for(app, ward, ["WARF", "IBUP"])) == [("interaction", "avoid", 1)]


def test_interaction_with_another_active_prescription_of_the_patient(app, ward):
    conn = ward["conn"]
    on_warfarin = signed(conn, ward["dubois"], ward["petit"], [ward["med"]["WARF"]])
    [alert] = alerts_for(app, ward, ["ASPI"])
    assert (alert.kind, alert.severity, alert.line) == ("interaction", "avoid", 1)
    assert alert.other_prescription_id == on_warfarin and alert.other_line is None
    assert f"Warfarin 5 mg on active prescription {on_warfarin}" in alert.message
    assert alerts_for(app, ward, ["ASPI"], patient="durand") == []  # another patient's warfarin


def test_ended_cancelled_and_draft_prescriptions_are_not_active(app, ward):
    conn = ward["conn"]
    ended = signed(conn, ward["dubois"], ward["petit"], [ward["med"]["WARF"]])
    backdate(conn, ended, days=40, valid_days=30)
    cancelled = signed(conn, ward["dubois"], ward["petit"], [ward["med"]["WARF"]])
    conn.execute(
        "UPDATE prescriptions SET status = 'cancelled', cancelled_at = now(), cancellation_reason = 'stopped'"
        " WHERE id = %s",
        [cancelled],
    )
    draft(conn, ward["dubois"], ward["petit"], [ward["med"]["WARF"]])
    assert alerts_for(app, ward, ["ASPI"]) == []


def test_duplicate_therapy_same_substance(app, ward):
    """Paracetamol alone and in a combination: the classic overdose."""
    [alert] = alerts_for(app, ward, ["PARA", "CODO"])
    assert (alert.kind, alert.severity, alert.line, alert.other_line) == ("duplicate", "avoid", 1, 2)
    assert "both contain paracetamol" in alert.message


def test_duplicate_therapy_same_atc_level_4_class(app, ward):
    """Two SSRIs (N06AB): a precaution; a statin and an SSRI: nothing."""
    [alert] = alerts_for(app, ward, ["SERT", "FLUO"])
    assert (alert.kind, alert.severity) == ("duplicate", "precaution")
    assert "ATC N06AB" in alert.message
    assert alerts_for(app, ward, ["SERT", "SIMV"]) == []


def test_duplicate_with_an_active_prescription_but_not_with_the_one_renewed_or_corrected(app, ward):
    conn = ward["conn"]
    current = signed(conn, ward["dubois"], ward["petit"], [ward["med"]["WARF"]], renewals_allowed=1)
    assert kinds(alerts_for(app, ward, ["WARF"])) == [("duplicate", "avoid", 1)]
    assert alerts_for(app, ward, ["WARF"], renewal_of_id=current) == []
    assert alerts_for(app, ward, ["WARF"], replaces_id=current) == []


def test_narcotics_need_a_secure_form(app, ward):
    assert kinds(alerts_for(app, ward, ["MORP"])) == [("secure_form", "consider", 1)]


def test_alerts_come_most_severe_first(app, ward):
    allergy(ward["conn"], ward["dubois"], substance="sertraline")
    alerts = alerts_for(app, ward, ["SERT", "PHEN", "WARF", "ASPI"])
    assert [a.severity for a in alerts] == ["contraindicated", "contraindicated", "avoid"]
    assert {a.kind for a in alerts[:2]} == {"allergy", "interaction"}


def test_service_refuses_to_sign_a_contraindication_without_a_reason(app, ward):
    conn = ward["conn"]
    prescription = draft(conn, ward["dubois"], ward["martin"], [ward["med"]["MTX"], ward["med"]["TMP"]])
    with app.app_context():
        doctor = app.appbuilder.sm.find_user(username="doctor")
        with pytest.raises(OverrideRequired) as refused:
            sign_prescription(db.session, Actor.of(doctor), prescription, override_reason="   ")
    assert refused.value.field == "override_reason"
    assert [a.kind for a in refused.value.alerts] == ["interaction"]
    assert status_of(conn, prescription) == "draft"


def test_service_signs_with_the_reason_stored_and_audited(app, ward):
    conn = ward["conn"]
    prescription = draft(conn, ward["dubois"], ward["martin"], [ward["med"]["MTX"], ward["med"]["TMP"]])
    with app.app_context():
        doctor = app.appbuilder.sm.find_user(username="doctor")
        actor = Actor.of(doctor)
        with acting_as(actor):
            sign_prescription(db.session, actor, prescription, override_reason=" Low dose, blood count weekly ")
    row = conn.execute("SELECT status, override_reason, signed_at FROM prescriptions WHERE id = %s", [prescription])
    status, reason, signed_at = row.fetchone()
    assert (status, reason) == ("signed", "Low dose, blood count weekly") and signed_at is not None
    (audited,) = conn.execute(
        "SELECT new_row->>'override_reason' FROM audit_log WHERE table_name = 'public.prescriptions'"
        " AND row_pk = %s AND operation = 'UPDATE' AND app_username = 'doctor' ORDER BY id DESC LIMIT 1",
        [str(prescription)],
    ).fetchone()
    assert audited == "Low dose, blood count weekly"


def test_the_database_refuses_a_contraindication_signed_without_a_reason(ward):
    """A DBA (or a buggy client) signing in SQL meets the same rule: the
    trigger runs the checks again."""
    conn = ward["conn"]
    conn.execute("INSERT INTO patient_allergies (patient_id, atc_code) VALUES (%s, 'J01C')", [ward["dubois"]])
    prescription = draft(conn, ward["dubois"], ward["martin"], [ward["med"]["AMOX"]])
    with pytest.raises(errors.CheckViolation) as refused:
        sign(conn, prescription)
    assert refused.value.diag.constraint_name == "prescriptions_override_required"
    assert status_of(conn, prescription) == "draft"
    sign(conn, prescription, "Desensitised in 2024, allergist's letter on file")
    assert status_of(conn, prescription) == "signed"


def test_a_contraindication_with_an_active_prescription_is_enforced_at_signing(ward):
    conn = ward["conn"]
    signed(conn, ward["dubois"], ward["petit"], [ward["med"]["SIMV"]])
    prescription = draft(conn, ward["dubois"], ward["martin"], [ward["med"]["CLAR"]])
    with pytest.raises(errors.CheckViolation) as refused:
        sign(conn, prescription)
    assert refused.value.diag.constraint_name == "prescriptions_override_required"
    # Without the contraindication (the statin stopped), it signs without a reason.
    conn.execute(
        "UPDATE prescriptions SET status = 'cancelled', cancelled_at = now(), cancellation_reason = 'paused'"
        " WHERE status = 'signed'"
    )
    sign(conn, prescription)
    assert status_of(conn, prescription) == "signed"
