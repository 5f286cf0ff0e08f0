"""The patient picker of the care task, vaccination and allergy forms, in a
real browser: typing part of a name offers the patient, choosing fills the
form, and the record is saved for that patient (those forms offered a
select of every patient until issue 22's sixth pass, and the care task's
start a date picker that cleared the time typed)."""

import pytest

from tests.agenda import make_patient


@pytest.mark.parametrize(
    ("user", "path"), [("doctor", "/caretasks/add"), ("nurse", "/vaccinations/add"), ("doctor", "/allergies/add")]
)
def test_typing_a_name_finds_the_patient_and_fills_the_form(sign_in, live_server, sql_conn, user, path):
    patient = make_patient(sql_conn, "Zyxwvutsrq", "Hélène")
    make_patient(sql_conn, "Dubois", "Marie")
    page = sign_in(user)
    page.goto(f"{live_server}{path}")
    page.locator(".ct-patient-query").press_sequentially("zyxwv", delay=30)
    page.locator(".ct-patient-match", has_text="ZYXWVUTSRQ Hélène").click()
    assert page.locator("input.ct-patient-id").input_value() == str(patient)


def test_a_care_task_is_planned_for_the_patient_picked(sign_in, live_server, sql_conn):
    patient = make_patient(sql_conn, "Zyxwvutsrq", "Hélène")
    page = sign_in("doctor")
    page.goto(f"{live_server}/caretasks/add")
    page.locator(".ct-patient-query").press_sequentially("helene", delay=30)
    page.locator(".ct-patient-match", has_text="ZYXWVUTSRQ Hélène").click()
    page.fill("input[name=description]", "Pansement")
    page.fill("input[name=starts_at]", "2026-12-08T09:00")  # datetime-local
    with page.expect_navigation():
        page.locator("#model_form [type=submit]").first.click()
    planned = sql_conn.execute(
        "SELECT patient_id, description, to_char(starts_at AT TIME ZONE 'Europe/Paris', 'YYYY-MM-DD HH24:MI')"
        " FROM care_tasks"
    )
    assert planned.fetchall() == [(patient, "Pansement", "2026-12-08 09:00")]
