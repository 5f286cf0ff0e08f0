"""Dates typed as the hospital writes them, date pickers in the user's
language (issue 15 point 9)."""

import re

from tests.integration.test_patient_screens import FORM, patient_rows, submit


def birth_dates(sql_conn):
    return [row[0] for row in sql_conn.execute("SELECT birth_date FROM patients ORDER BY id")]


def test_a_french_date_typed_in_the_form_is_accepted(client, login, sql_conn):
    login("secretary")
    response = submit(client, "/patients/add", {**FORM, "birth_date": "12/03/1985"})
    assert "Not a valid date value" not in response.get_data(as_text=True)
    assert [d.isoformat() for d in birth_dates(sql_conn)] == ["1985-03-12"]
    [(patient_id, *_)] = patient_rows(sql_conn)
    form = client.get(f"/patients/edit/{patient_id}").get_data(as_text=True)
    field = re.search(r'<input[^>]*name="birth_date"[^>]*>', form).group(0)
    assert 'value="12/03/1985"' in field  # shown as typed, not 1985-03-12


def test_a_two_digit_year_is_refused_with_a_message_and_kept_in_the_field(client, login, sql_conn):
    login("secretary")
    html = submit(client, "/patients/add", {**FORM, "birth_date": "12/03/85"}).get_data(as_text=True)
    assert "Type the year in full: 12/03/1985 or 12/03/2085." in html
    assert 'value="12/03/85"' in html
    assert patient_rows(sql_conn) == []


def test_date_pickers_start_weeks_on_monday_in_french(client, login):
    login("secretary")
    english = client.get("/patients/add").get_data(as_text=True)
    assert 'data-week-start="0"' in english and "js/dates.js" in english
    client.get("/lang/fr")
    french = client.get("/patients/add").get_data(as_text=True)
    assert 'data-week-start="1"' in french and 'data-date-format="dd/mm/yyyy"' in french
