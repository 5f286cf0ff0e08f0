"""The prescription screens: the editor (lines on one page, "Check" before
saving), the prescription's page (alerts before signing, the override
reason a contraindication needs), the patient's page, allergies, the drug
reference, renewals due; and who sees what."""

import re

import pytest

from tests.conftest import browser_logout, csrf_token
from tests.prescribing import allergy, draft, make_ward, signed, status_of


@pytest.fixture
def ward(sql_conn):
    """Two doctors (Dr Martin is the `doctor` login), two patients, a small drug reference."""
    return make_ward(sql_conn)


def token(client, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    return csrf_token(page.get_data(as_text=True))


def editor_fields(ward, *lines, action="save", **fields) -> dict:
    data = {"action": action, "patient_id": ward["dubois"], "valid_until": "", "renewals_allowed": "0", "notes": ""}
    for index, values in enumerate(lines):
        data.update({f"items-{index}-{name}": value for name, value in values.items()})
    data.update(fields)
    return data


def item(ward, code: str, **values) -> dict:
    return {"medication_id": ward["med"][code], "dose": "1", "dose_unit": "tablet", "frequency": "daily", **values}


def prescriptions(conn):
    return conn.execute("SELECT id, status FROM prescriptions ORDER BY id").fetchall()


def test_check_shows_the_alerts_on_the_editor_without_saving(client, login, ward):
    signed(ward["conn"], ward["dubois"], ward["petit"], [ward["med"]["WARF"]])
    before = prescriptions(ward["conn"])
    login("doctor")
    url = f"/prescriptions/add?patient_id={ward['dubois']}"
    page = client.get(url).get_data(as_text=True)
    assert "DUBOIS Hélène" in page and "js/prescription_form.js" in page
    data = editor_fields(ward, item(ward, "ASPI"), action="check", csrf_token=token(client, url))
    html = client.post(url, data=data).get_data(as_text=True)
    assert 'data-kind="interaction"' in html and "Bleeding risk with aspirin." in html
    assert prescriptions(ward["conn"]) == before


def test_a_draft_saved_shows_its_alerts_before_signing_then_signs(client, login, ward):
    conn = ward["conn"]
    signed(conn, ward["dubois"], ward["petit"], [ward["med"]["WARF"]])
    login("doctor")
    url = f"/prescriptions/add?patient_id={ward['dubois']}"
    blank = {"medication_id": "", "medication": "", "dose": "", "dose_unit": "", "frequency": ""}
    data = editor_fields(ward, item(ward, "ASPI"), blank, csrf_token=token(client, url))
    shown = client.post(url, data=data, follow_redirects=True)
    html = shown.get_data(as_text=True)
    [(pk, _)] = [row for row in prescriptions(conn) if row[1] == "draft"]
    assert f"Prescription {pk}" in html and "Bleeding risk with aspirin." in html
    assert 'class="ct-sign-form"' in html and "required: a contraindication" not in html
    response = client.post(f"/prescriptions/sign/{pk}", data={"csrf_token": csrf_token(html)}, follow_redirects=True)
    assert "Prescription signed." in response.get_data(as_text=True)
    assert status_of(conn, pk) == "signed"


def test_a_contraindication_is_signed_only_with_a_reason(client, login, ward):
    conn = ward["conn"]
    allergy(conn, ward["dubois"], atc_code="J01C")
    pk = draft(conn, ward["dubois"], ward["martin"], [ward["med"]["AMOX"]])
    login("doctor")
    page = client.get(f"/prescriptions/show/{pk}").get_data(as_text=True)
    assert "allergic to the class J01C" in page and "Override reason (required" in page
    refused = client.post(f"/prescriptions/sign/{pk}", data={"csrf_token": csrf_token(page), "override_reason": ""})
    assert refused.status_code == 422
    assert "give the reason for prescribing anyway" in refused.get_data(as_text=True)
    assert status_of(conn, pk) == "draft"
    client.post(
        f"/prescriptions/sign/{pk}",
        data={"csrf_token": csrf_token(page), "override_reason": "Allergist: tolerated"},
        follow_redirects=True,
    )
    assert conn.execute("SELECT status, override_reason FROM prescriptions WHERE id = %s", [pk]).fetchone() == (
        "signed",
        "Allergist: tolerated",
    )


def test_a_medication_may_be_typed_by_its_code_without_javascript(client, login, ward):
    login("doctor")
    url = f"/prescriptions/add?patient_id={ward['dubois']}"
    typed = {"medication": "para", "dose": "1", "dose_unit": "g", "frequency": "3 times a day", "duration_days": "5"}
    client.post(url, data=editor_fields(ward, typed, csrf_token=token(client, url)))
    rows = ward["conn"].execute("SELECT medication_id, dose_unit, duration_days FROM prescription_items").fetchall()
    assert rows == [(ward["med"]["PARA"], "g", 5)]


def test_a_refused_line_is_explained_and_what_was_typed_stays(client, login, ward):
    login("doctor")
    url = f"/prescriptions/add?patient_id={ward['dubois']}"
    data = editor_fields(ward, item(ward, "PARA"), item(ward, "IBUP", dose="-2"), csrf_token=token(client, url))
    response = client.post(url, data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Line 2: the dose must be more than 0." in html
    assert 'value="-2"' in html and prescriptions(ward["conn"]) == []


def test_a_draft_is_edited_with_its_lines_on_one_page(client, login, ward):
    conn = ward["conn"]
    pk = draft(conn, ward["dubois"], ward["martin"], [ward["med"]["PARA"]])
    (valid_until,) = conn.execute("SELECT valid_until FROM prescriptions WHERE id = %s", [pk]).fetchone()
    login("doctor")
    url = f"/prescriptions/edit/{pk}"
    page = client.get(url).get_data(as_text=True)
    assert 'value="Paracetamol 1 g [PARA]"' in page and 'name="items-2-medication"' in page  # + 2 blank lines
    lines = [item(ward, "PARA", dose="0.5"), item(ward, "SERT")]
    response = client.post(url, data=editor_fields(ward, *lines, notes="Review in a week", csrf_token=csrf_token(page)))
    assert response.status_code == 302
    rows = conn.execute(
        "SELECT i.position, m.code, i.dose::text FROM prescription_items i JOIN medications m ON m.id = i.medication_id"
        " WHERE prescription_id = %s ORDER BY position",
        [pk],
    ).fetchall()
    assert rows == [(1, "PARA", "0.500"), (2, "SERT", "1.000")]
    assert conn.execute("SELECT notes, valid_until FROM prescriptions WHERE id = %s", [pk]).fetchone() == (
        "Review in a week",
        valid_until,
    )


def test_signed_prescriptions_are_not_edited_but_corrected(client, login, ward):
    pk = signed(ward["conn"], ward["dubois"], ward["martin"], [ward["med"]["PARA"]])
    login("doctor")
    response = client.get(f"/prescriptions/edit/{pk}", follow_redirects=True)
    assert "correct it with a new one" in response.get_data(as_text=True)
    page = client.get(f"/prescriptions/show/{pk}").get_data(as_text=True)
    client.post(f"/prescriptions/replace/{pk}", data={"csrf_token": csrf_token(page)})
    (correction,) = ward["conn"].execute("SELECT id FROM prescriptions WHERE replaces_id = %s", [pk]).fetchone()
    assert status_of(ward["conn"], correction) == "draft"


def test_nurse_reads_prescriptions_but_cannot_write_them(client, login, ward):
    pk = draft(ward["conn"], ward["dubois"], ward["martin"], [ward["med"]["PARA"]])
    login("nurse")
    assert client.get("/prescriptions/list/").status_code == 200
    page = client.get(f"/prescriptions/show/{pk}").get_data(as_text=True)
    assert "Paracetamol 1 g" in page and "ct-sign-form" not in page and "/prescriptions/edit/" not in page
    assert client.get("/prescriptions/add").status_code == 403
    session_token = token(client, "/resetmypassword/form")  # the nurse's page has no form to take it from
    assert client.post(f"/prescriptions/sign/{pk}", data={"csrf_token": session_token}).status_code == 403


def test_the_list_finds_a_patients_prescriptions_by_name_or_id(client, login, ward):
    conn = ward["conn"]
    dubois = draft(conn, ward["dubois"], ward["martin"], [ward["med"]["PARA"]])
    durand = draft(conn, ward["durand"], ward["martin"], [ward["med"]["PARA"]])
    login("nurse")

    def listed(query: str) -> set[int]:
        html = client.get(f"/prescriptions/list/?{query}").get_data(as_text=True)
        return {int(pk) for pk in re.findall(r"/prescriptions/show/(\d+)", html)}

    assert listed("") == {dubois, durand}
    assert listed("_flt_2_patient=helene+DUBOIS") == {dubois}  # by name, accents and capitals ignored
    assert listed(f"_flt_0_patient={ward['durand']}") == {durand}  # by id, from the patient's page


def test_secretary_sees_no_prescription_content(client, login, ward):
    pk = signed(ward["conn"], ward["dubois"], ward["martin"], [ward["med"]["PARA"]])
    allergy(ward["conn"], ward["dubois"], substance="amoxicillin")
    login("secretary")
    assert client.get("/prescriptions/list/").status_code == 403
    assert client.get(f"/prescriptions/show/{pk}").status_code == 403
    assert client.get("/renewals-due/").status_code == 403
    assert client.get("/allergies/list/").status_code == 403
    patient_page = client.get(f"/patients/show/{ward['dubois']}").get_data(as_text=True)
    assert "Active prescriptions" not in patient_page and "Paracetamol" not in patient_page
    assert "amoxicillin" not in patient_page


def test_the_patient_page_lists_allergies_active_and_past_prescriptions(client, login, ward):
    conn = ward["conn"]
    allergy(conn, ward["dubois"], atc_code="J01C")
    active = signed(conn, ward["dubois"], ward["martin"], [ward["med"]["WARF"]])
    past = signed(conn, ward["dubois"], ward["martin"], [ward["med"]["IBUP"]], override_reason="short course")
    conn.execute(
        "UPDATE prescriptions SET status = 'cancelled', cancelled_at = now(), cancellation_reason = 'done'"
        " WHERE id = %s",
        [past],
    )
    login("doctor")
    html = client.get(f"/patients/show/{ward['dubois']}").get_data(as_text=True)
    active_block = html.split('id="patient-active-prescriptions"')[1].split("</div>")[0]
    past_block = html.split('id="patient-past-prescriptions"')[1].split("</div>")[0]
    assert f'data-prescription-id="{active}"' in active_block and "Warfarin 5 mg" in active_block
    assert f'data-prescription-id="{past}"' in past_block and "Ibuprofen 400 mg" in past_block
    assert "ATC class J01C" in html
    assert f"/prescriptions/add?patient_id={ward['dubois']}" in html
    assert f"/allergies/add?_flt_0_patient={ward['dubois']}" in html


def test_an_allergy_is_recorded_from_the_patient_page(client, login, ward):
    login("nurse")
    url = f"/allergies/add?_flt_0_patient={ward['dubois']}"
    form = {"csrf_token": token(client, url), "substance": "amoxicilin", "severity": "severe", "status": "active"}
    refused = client.post(url, data=form).get_data(as_text=True)
    assert "No medication in the reference contains" in refused
    client.post(url, data={**form, "substance": "Amoxicillin", "reaction": "Hives"}, follow_redirects=True)
    rows = (
        ward["conn"]
        .execute(
            "SELECT a.patient_id, a.substance, a.reaction, u.username FROM patient_allergies a"
            " JOIN ab_user u ON u.id = a.recorded_by_id"
        )
        .fetchall()
    )
    assert rows == [(ward["dubois"], "amoxicillin", "Hives", "nurse")]


def test_the_drug_reference_is_written_by_admins_and_read_by_doctors(client, login, ward):
    login("doctor")
    assert "Warfarin 5 mg" in client.get("/medications/list/").get_data(as_text=True)
    assert client.get("/medications/add").status_code == 403
    assert client.get("/drug-interactions/add").status_code == 403
    lookup = client.get("/medication-lookup/?q=amox").get_json()
    assert [m["label"] for m in lookup] == ["Amoxicillin + clavulanic acid [AUGM]", "Amoxicillin 1 g [AMOX]"]
    browser_logout(client)
    login("admin")
    url = "/medications/add"
    form = {
        "csrf_token": token(client, url),
        "code": "67000001",
        "name": "Doliprane 500 mg",
        "substances": "Paracétamol",
        "atc_code": "n02be01",
        "is_active": "y",
    }
    client.post(url, data=form, follow_redirects=True)
    assert ward["conn"].execute("SELECT substances, atc_code FROM medications WHERE code = '67000001'").fetchone() == (
        ["paracetamol"],
        "N02BE01",
    )


def test_renewals_due_lists_what_ends_soon_and_drafts_the_renewal(client, login, ward):
    conn = ward["conn"]
    pk = signed(conn, ward["dubois"], ward["martin"], [ward["med"]["WARF"]], valid_until="today", renewals_allowed=1)
    login("doctor")
    page = client.get("/renewals-due/").get_data(as_text=True)
    assert f'data-prescription-id="{pk}"' in page and "(today)" in page
    response = client.post(f"/prescriptions/renew/{pk}", data={"csrf_token": csrf_token(page)}, follow_redirects=True)
    assert "Renewal drafted" in response.get_data(as_text=True)
    (renewal,) = conn.execute("SELECT id FROM prescriptions WHERE renewal_of_id = %s", [pk]).fetchone()
    assert status_of(conn, renewal) == "draft"
    page = client.get("/renewals-due/").get_data(as_text=True)
    assert re.search(rf'/prescriptions/show/{renewal}">renewal drafted', page)


def test_after_a_renewal_the_screens_show_the_renewal_in_force(client, login, ward):
    """Issue 15 point 19: Renewals due listed the original and its renewal."""
    conn = ward["conn"]
    original = signed(conn, ward["dubois"], ward["martin"], [ward["med"]["WARF"]], valid_until="today",
                      renewals_allowed=2)  # fmt: skip
    renewal = signed(conn, ward["dubois"], ward["martin"], [ward["med"]["WARF"]], valid_until="today",
                     renewal_of_id=original)  # fmt: skip
    login("doctor")
    page = client.get("/renewals-due/").get_data(as_text=True)
    assert f'data-prescription-id="{renewal}"' in page and f'data-prescription-id="{original}"' not in page
    shown = client.get(f"/prescriptions/show/{original}").get_data(as_text=True)
    assert (
        "Renewed" in shown and f'/prescriptions/show/{renewal}">prescription {renewal}</a> (the one in force)' in shown
    )


def test_the_editor_of_another_doctors_draft_is_refused_by_the_rule(client, login, ward):
    """The editor asks prescribing.check_editable, the rule every save asks:
    the screen holds no permission check of its own."""
    conn = ward["conn"]
    petits = draft(conn, ward["dubois"], ward["petit"], [ward["med"]["PARA"]])
    login("doctor")
    response = client.get(f"/prescriptions/edit/{petits}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/prescriptions/show/{petits}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You may only change your own prescriptions." in page
