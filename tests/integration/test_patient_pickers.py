"""No screen offers a select of every patient (issue 22).

FAB makes a related record's field a select of every row of its table.
For a patient, at 500,200 patients, that was 41 MB of <option>s and 30 s
for the care tasks' and the vaccinations' lists (their search form) and
the care task, vaccination and allergy forms.  A patient is found by name,
IPP or NIR instead: the picker on the add forms (app/records/fields.py),
the patient shown on the edit forms, a text box in the search forms."""

from datetime import date

import pytest
from flask_appbuilder.fields import QuerySelectField, QuerySelectMultipleField

from tests.agenda import make_patient
from tests.care import load_reference, vaccine_id
from tests.integration.test_appointment_screens import submit

# (the route that shows the form, the form, its columns)
FORMS = (
    ("add", "add_form", "add_columns"),
    ("edit", "edit_form", "edit_columns"),
    ("list", "search_form", "search_columns"),
)


def serves_fabs_form(app, view, route: str) -> bool:
    """The view has the route and it is FAB's, which draws the form (a
    prescription's add and edit are pages of their own, the archive has neither)."""
    if f"{type(view).__name__}.{route}" not in app.view_functions:
        return False
    return getattr(type(view), route).__qualname__.split(".")[0] in ("ModelView", "CareTrailModelView")


def grows_with_the_patients(model) -> bool:
    """The patients, and every record of one: tables a hospital fills by the million."""
    return model.__tablename__ == "patients" or "patient_id" in model.__table__.c


def test_no_form_is_a_select_of_every_patient_or_of_their_records(app):
    from app.core.views import CareTrailModelView

    views = [view for view in app.appbuilder.baseviews if isinstance(view, CareTrailModelView)]
    selects, checked = [], set()
    for view in views:
        for route, form_attribute, columns_attribute in FORMS:
            if not serves_fabs_form(app, view, route):
                continue
            form_class = getattr(view, form_attribute)
            for column in getattr(view, columns_attribute, None) or ():
                if not view.datamodel.is_relation(column):
                    continue
                if not grows_with_the_patients(view.datamodel.get_related_model(column)):
                    continue
                checked.add(f"{type(view).__name__} {route}")
                field = getattr(form_class, column, None)  # unbound: built at each request
                if field is not None and issubclass(field.field_class, (QuerySelectField, QuerySelectMultipleField)):
                    selects.append(f"{type(view).__name__} {route}: {column}")
    assert not selects, selects
    assert {"CareTaskView add", "VaccinationView edit", "PatientAllergyView add", "AppointmentView list"} <= checked


@pytest.fixture
def unlisted(sql_conn):
    """A patient whose name no page shows unless it lists every patient."""
    return make_patient(sql_conn, "Zyxwvutsrq", "Onlyinaselect")


@pytest.mark.parametrize(
    ("user", "path"),
    [
        ("doctor", "/caretasks/list/"),
        ("doctor", "/caretasks/add"),
        ("nurse", "/vaccinations/list/"),
        ("nurse", "/vaccinations/add"),
        ("doctor", "/allergies/add"),
    ],
)
def test_the_care_and_allergy_screens_do_not_list_every_patient(client, login, unlisted, user, path):
    login(user)
    page = client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "zyxwvutsrq" not in html.lower()
    if path.endswith("/add"):  # the picker, and the script that makes it find patients as one types
        assert 'class="ct-patient-picker"' in html and "js/patient_picker.js" in html


def test_a_care_task_is_planned_for_the_patient_the_picker_found(app, client, login, sql_conn, unlisted):
    login("doctor")
    page = client.get("/caretasks/add").get_data(as_text=True)
    assert 'class="ct-patient-picker"' in page
    fields = {"patient": unlisted, "description": "Pansement", "starts_at": "2026-12-08 09:00:00", "every_hours": ""}
    response = submit(client, "/caretasks/add", {**fields, "ends_at": ""})
    assert response.status_code == 200
    assert sql_conn.execute("SELECT patient_id, description FROM care_tasks").fetchall() == [(unlisted, "Pansement")]


def test_a_vaccination_is_recorded_from_the_patients_page_for_that_patient(app, client, login, sql_conn, unlisted):
    load_reference(app)
    login("nurse")
    care = client.get(f"/patients/show/{unlisted}").get_data(as_text=True)
    assert f"/vaccinations/add?_flt_0_patient={unlisted}" in care
    fields = {
        "vaccine": vaccine_id(sql_conn, "FLU"),
        "dose_number": "1",
        "given_on": date.today().isoformat(),
        "lot_number": "LOT-7",
        "site": "left_deltoid",
        "notes": "",
    }
    response = submit(client, f"/vaccinations/add?_flt_0_patient={unlisted}", fields)
    assert response.status_code == 200
    [(vaccination, patient)] = sql_conn.execute("SELECT id, patient_id FROM vaccinations").fetchall()
    assert patient == unlisted
    # Edited, it stays with its patient: shown, neither a select nor posted.
    edit = client.get(f"/vaccinations/edit/{vaccination}").get_data(as_text=True)
    assert "ct-patient-shown" in edit and "ZYXWVUTSRQ" in edit
    response = submit(client, f"/vaccinations/edit/{vaccination}", {**fields, "lot_number": "LOT-8"})
    assert sql_conn.execute("SELECT patient_id, lot_number FROM vaccinations").fetchall() == [(unlisted, "LOT-8")]


def test_the_picker_and_the_patient_shown_say_the_birth_date_in_the_users_language(client, login, sql_conn):
    patient = make_patient(sql_conn, "Zyxwvutsrq", "Hélène")  # born 17/05/1980
    login("doctor")
    assert client.get("/lang/fr").status_code == 302
    [choice] = client.get("/patient-lookup/?q=zyxwv").get_json()
    assert choice["label"].endswith(", né(e) le 17/05/1980)"), choice
    assert client.get("/lang/en").status_code == 302
    [choice] = client.get("/patient-lookup/?q=zyxwv").get_json()
    assert choice["label"].endswith(", born 17/05/1980)"), choice
    assert patient == choice["id"]
