"""A refusal reads the same at every door: a screen that shows it on its own
page answers with the refusal's own status (app/core/answers.py), the one
the API answers, never a status chosen by the screen."""

from tests.conftest import csrf_token
from tests.prescribing import make_ward, signed, status_of

LONG_REASON = "x" * 501


def test_another_doctors_prescription_is_refused_403_on_the_screen_as_on_the_api(client, login, api, sql_conn):
    ward = make_ward(sql_conn)
    pk = signed(sql_conn, ward["dubois"], ward["petit"], [ward["med"]["PARA"]])
    through_api = client.post(f"/api/v1/prescriptions/{pk}/cancel", headers=api("doctor"), json={"reason": "mine?"})
    login("doctor")
    page = client.get(f"/prescriptions/show/{pk}").get_data(as_text=True)
    on_screen = client.post(f"/prescriptions/cancel/{pk}", data={"csrf_token": csrf_token(page), "reason": "mine?"})
    assert (through_api.status_code, on_screen.status_code) == (403, 403)
    assert status_of(sql_conn, pk) == "signed"


def test_a_reason_over_500_characters_is_refused_alike_by_every_patient_door(client, login, api, sql_conn):
    ward = make_ward(sql_conn)
    pid, keep = ward["dubois"], ward["durand"]
    headers = api("admin")
    answers = {
        "delete api": client.delete(f"/api/v1/patients/{pid}", headers=headers, query_string={"reason": LONG_REASON}),
        "merge api": client.post(
            f"/api/v1/patients/{pid}/merge", headers=headers, json={"into": keep, "reason": LONG_REASON}
        ),
    }
    login("admin")
    for name, url, data in (
        ("delete screen", f"/patients/delete/{pid}/confirm", {"reason": LONG_REASON}),
        ("merge screen", f"/patients/merge/{pid}", {"reason": LONG_REASON, "into": str(keep)}),
    ):
        page = client.get(url).get_data(as_text=True)
        answers[name] = client.post(url, data={"csrf_token": csrf_token(page), **data})
    statuses = {name: response.status_code for name, response in answers.items()}
    assert statuses == dict.fromkeys(answers, 422)
    for name, response in answers.items():
        assert "A reason is at most 500 characters." in response.get_data(as_text=True), name
    assert sql_conn.execute("SELECT count(*) FROM patients WHERE id = ANY(%s)", [[pid, keep]]).fetchone()[0] == 2
