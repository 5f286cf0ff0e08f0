"""Screens answer a refusal with CareTrail's own page (the menu, the reason,
the way back); the API answers JSON; nothing is Werkzeug's bare page."""

from tests.agenda import make_patient


def test_a_role_without_access_gets_the_page_with_the_menu_and_the_reason(client, login, sql_conn):
    pid = make_patient(sql_conn)
    login("radiologist")  # reads patients, writes none of their fields
    response = client.get(f"/patients/edit/{pid}", headers={"Referer": f"http://localhost/patients/show/{pid}"})
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "Your role does not give access to this page." in page
    assert 'class="navbar' in page and f'href="http://localhost/patients/show/{pid}"' in page


def test_a_missing_record_is_a_404_page_on_screens_and_json_on_the_api(client, login, api):
    headers = api("admin")
    login("admin")
    screen = client.get("/patients/show/987654")
    assert screen.status_code == 404 and "does not exist" in screen.get_data(as_text=True)
    assert client.get("/api/v1/patients/987654", headers=headers).is_json
    unknown = client.get("/api/v1/no-such-thing", headers=headers)
    assert unknown.status_code == 404 and unknown.is_json


def test_a_refusal_from_a_rule_on_a_screen_is_its_status_and_words(client, login, sql_conn):
    """A GET the rules refuse (a page of -1) is the error page with a 400, not a crash."""
    login("admin")
    response = client.get("/patients/list/", query_string={"page_PatientView": "-1"})
    assert response.status_code == 400 and "A page or a page size is a whole number" in response.get_data(as_text=True)
