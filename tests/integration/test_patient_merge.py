"""Merging two patient records (issue 15 point 8): one transaction through
merge_patients(), administrators only, audited with the merge as reason and
reversible from the audit."""

from tests.agenda import book, make_patient, next_weekday, paris, weekly_hours
from tests.conftest import browser_logout, csrf_token
from tests.documents import issue
from tests.integration.test_audit_restore import last_entry, restore
from tests.prescribing import allergy, draft, make_ward, signed


def merge(client, api, merged, into, user="admin", **extra):
    return client.post(f"/api/v1/patients/{merged}/merge", json={"into": into, **extra}, headers=api(user))


def patient_of(sql_conn, table, row_id):
    return sql_conn.execute(f"SELECT patient_id FROM {table} WHERE id = %s", [row_id]).fetchone()[0]


def test_a_merge_moves_what_may_change_and_leaves_history_with_the_merged_record(app, client, api, sql_conn):
    ward = make_ward(sql_conn)
    keep, merged = ward["dubois"], make_patient(sql_conn, "Dubois", "Helene")
    weekly_hours(sql_conn, ward["martin"])
    day = next_weekday(2)
    upcoming = book(sql_conn, merged, ward["martin"], paris(day.year, day.month, day.day, 10))
    allergic = allergy(sql_conn, merged, substance="amoxicillin")
    med = next(iter(ward["med"].values()))
    pending = draft(sql_conn, merged, ward["martin"], [med])
    done = signed(sql_conn, merged, ward["martin"], [med])
    document = issue(app, "secretary", patient_id=merged, kind="patient_record", fields={}).id

    response = merge(client, api, merged, keep, reason="registered twice")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["moved"] == {"appointments": 1, "patient_allergies": 1, "prescriptions": 1}
    assert body["kept"] == {"documents": 1, "prescriptions": 1}
    assert [patient_of(sql_conn, t, i) for t, i in [("appointments", upcoming), ("patient_allergies", allergic)]] == [
        keep,
        keep,
    ]
    assert patient_of(sql_conn, "prescriptions", pending) == keep
    assert patient_of(sql_conn, "prescriptions", done) == merged  # signed: history
    assert patient_of(sql_conn, "documents", document) == merged  # archived: history
    assert sql_conn.execute("SELECT status, merged_into_id FROM patients WHERE id = %s", [merged]).fetchone() == (
        "inactive",
        keep,
    )
    moved = last_entry(sql_conn, "appointments", upcoming, "UPDATE")
    assert moved["reason"].startswith("merge of patient IPP") and moved["reason"].endswith(": registered twice")
    # Reversible through the audit: the appointment goes back to the merged record.
    assert restore(client, api, moved["id"], force=True).status_code == 200
    assert patient_of(sql_conn, "appointments", upcoming) == merged


def test_only_administrators_merge_and_a_refusal_moves_nothing(client, api, sql_conn):
    keep, merged = make_patient(sql_conn, "Dubois", "Marie"), make_patient(sql_conn, "Dubois", "Mary")
    allergic = allergy(sql_conn, merged, substance="amoxicillin")
    allergy(sql_conn, keep, substance="amoxicillin")  # the same active allergy on both: the unique index refuses
    assert merge(client, api, merged, keep, user="secretary").status_code == 403
    refused = merge(client, api, merged, keep)
    assert refused.status_code == 422, refused.get_json()
    assert patient_of(sql_conn, "patient_allergies", allergic) == merged
    assert sql_conn.execute("SELECT status, merged_into_id FROM patients WHERE id = %s", [merged]).fetchone() == (
        "active",
        None,
    )
    assert merge(client, api, merged, merged).status_code == 422


def test_the_merge_screen_offers_the_likely_duplicates_and_links_both_records(client, login, sql_conn):
    keep, merged = make_patient(sql_conn, "Dubois", "Marie"), make_patient(sql_conn, "DUBOIS", "Marie")
    login("admin")
    page = client.get(f"/patients/merge/{merged}").get_data(as_text=True)
    assert f'name="into" value="{keep}"' in page
    response = client.post(
        f"/patients/merge/{merged}",
        data={"csrf_token": csrf_token(page), "into": str(keep), "reason": ""},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "merged into DUBOIS Marie" in html and "Records merged into this one" in html
    assert "This record was merged into" in client.get(f"/patients/show/{merged}").get_data(as_text=True)
    browser_logout(client)
    login("secretary")
    assert client.get(f"/patients/merge/{merged}").status_code in (302, 403)
