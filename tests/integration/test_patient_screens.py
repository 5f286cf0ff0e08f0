"""Patient screens through the real login form and FAB's generated forms."""

import re

from tests.conftest import csrf_token
from tests.factories import make_nir

FORM = {
    "last_name": "  Lefèvre ",
    "first_name": "Hélène",
    "birth_name": "",
    "birth_date": "1985-05-17",
    "sex": "F",
    "nir": "",
    "phone": "01 23 45 67 89",
    "email": "",
    "address": "",
    "postal_code": "75011",
    "city": "Paris",
    "emergency_contact_name": "",
    "emergency_contact_phone": "",
    "blood_group": "",
    "allergies": "",
    "notes": "",
}


def submit(client, url: str, fields: dict):
    """Post `fields` as a browser would: only those the form shows the user."""
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    html = page.get_data(as_text=True)
    shown = {name: value for name, value in fields.items() if f'name="{name}"' in html}
    data = {**shown, "csrf_token": csrf_token(html)}
    return client.post(url, data=data, follow_redirects=True)


def patient_rows(sql_conn):
    return sql_conn.execute("SELECT id, last_name, first_name, phone, nir, blood_group FROM patients").fetchall()


def test_wrong_password_does_not_log_in(client):
    from tests.conftest import browser_login

    response = browser_login(client, "doctor", "wrong")
    assert "Invalid login" in response.get_data(as_text=True)
    assert client.get("/patients/list/").status_code in (302, 401, 403)


def test_create_patient_through_the_form(client, login, sql_conn):
    login("secretary")
    response = submit(client, "/patients/add", FORM)
    assert response.status_code == 200
    assert "Patient LEFÈVRE Hélène saved." in response.get_data(as_text=True)
    [(_id, last_name, first_name, phone, nir, blood_group)] = patient_rows(sql_conn)
    assert (last_name, first_name, phone, nir, blood_group) == ("Lefèvre", "Hélène", "+33123456789", None, None)


def test_bad_nir_shows_the_field_error_and_keeps_the_input(client, login, sql_conn):
    login("doctor")
    response = submit(client, "/patients/add", {**FORM, "nir": "1 85 05 78 006 084 92"})
    html = response.get_data(as_text=True)
    assert "Invalid NIR key: 92 given, 91 expected." in html
    assert 'value="Hélène"' in html  # what the user typed is still there
    assert patient_rows(sql_conn) == []


def test_database_refusal_is_shown_on_the_field(client, login, sql_conn):
    """No Python validator checks the postal code: the CHECK constraint
    refuses it and the form shows why, next to the field, instead of raw SQL."""
    login("doctor")
    response = submit(client, "/patients/add", {**FORM, "postal_code": "75@11"})
    html = response.get_data(as_text=True)
    assert "Not a valid postal code." in html
    assert "CheckViolation" not in html and "INSERT INTO" not in html
    assert 'value="75@11"' in html
    assert patient_rows(sql_conn) == []


def test_edit_patient(client, login, sql_conn):
    login("doctor")
    submit(client, "/patients/add", FORM)
    [(patient_id, *_)] = patient_rows(sql_conn)
    nir = make_nir("2850578006")
    response = submit(client, f"/patients/edit/{patient_id}", {**FORM, "nir": nir, "blood_group": "O-"})
    assert " saved." in response.get_data(as_text=True)
    [(_id, _last, _first, _phone, stored_nir, blood_group)] = patient_rows(sql_conn)
    assert (stored_nir, blood_group) == (nir, "O-")


def test_delete_patient_needs_post_with_csrf(client, login, sql_conn):
    login("admin")
    submit(client, "/patients/add", FORM)
    [(patient_id, *_)] = patient_rows(sql_conn)
    client.get(f"/patients/delete/{patient_id}", follow_redirects=True)  # GET must not delete
    assert client.post(f"/patients/delete/{patient_id}").status_code == 400  # nor POST without token
    assert len(patient_rows(sql_conn)) == 1
    show = client.get("/patients/list/")  # carries the delete form and its token
    response = client.post(
        f"/patients/delete/{patient_id}",
        data={"csrf_token": csrf_token(show.get_data(as_text=True))},
        follow_redirects=True,
    )
    assert "Deleted Row" in response.get_data(as_text=True)
    assert patient_rows(sql_conn) == []


def listed_names(html: str) -> set[str]:
    return {name for name in ("Lefèvre", "Martin", "Lefebvre") if f"<td>{name}</td>" in html.replace("\n", "")}


def test_quick_search_finds_a_name_typed_without_accents(client, login, sql_conn):
    login("secretary")
    submit(client, "/patients/add", FORM)
    submit(client, "/patients/add", {**FORM, "last_name": "Martin", "first_name": "Paul"})
    submit(client, "/patients/add", {**FORM, "last_name": "Lefebvre", "first_name": "Marc"})
    page = client.get("/patients/list/").get_data(as_text=True)
    assert 'name="_flt_0_last_name"' in page  # the quick search box is on the list
    (mrn,) = sql_conn.execute("SELECT mrn FROM patients WHERE last_name = 'Martin'").fetchone()
    for typed, expected in [
        ("lefevre", {"Lefèvre"}),
        ("LEFÈVRE", {"Lefèvre"}),
        ("helene lefevre", {"Lefèvre"}),
        ("PAUL martin", {"Martin"}),
        ("lef", {"Lefèvre", "Lefebvre"}),
        (mrn.lower(), {"Martin"}),
        ("nobody", set()),
    ]:
        html = client.get("/patients/list/", query_string={"_flt_0_last_name": typed}).get_data(as_text=True)
        assert listed_names(html) == expected, typed


def test_contains_filter_on_a_column_ignores_accents(client, login):
    login("secretary")
    submit(client, "/patients/add", FORM)
    submit(client, "/patients/add", {**FORM, "last_name": "Martin", "first_name": "Paul", "city": "Orléans"})
    # Filter 1 of a text column is "Contains" (accent-insensitive).
    html = client.get("/patients/list/?_flt_1_city=orleans").get_data(as_text=True)
    assert listed_names(html) == {"Martin"}


def test_nurse_reads_but_cannot_add_or_edit(client, login, sql_conn):
    sql_conn.execute(
        "INSERT INTO patients (last_name, first_name, birth_date, sex) VALUES ('Roux', 'Léa', '1990-01-01', 'F')"
    )
    login("nurse")
    assert "Roux" in client.get("/patients/list/").get_data(as_text=True)
    assert client.get("/patients/add").status_code == 403
    assert client.get("/staff/list/").status_code == 403


def test_menu_shows_only_what_the_role_may_open(client, login):
    login("nurse")
    html = client.get("/patients/list/").get_data(as_text=True)
    assert "/patients/list/" in html
    assert "/staff/list/" not in html and "/users/list/" not in html


def test_staff_form_refuses_bad_rpps(client, login, sql_conn):
    login("admin")
    response = submit(
        client,
        "/staff/add",
        {
            "last_name": "Martin",
            "first_name": "Julien",
            "profession": "doctor",
            "specialty": "",
            "rpps": "123",
            "email": "",
            "phone": "",
            "is_active": "y",
            "user": "",
        },
    )
    assert "An RPPS number has exactly 11 digits." in response.get_data(as_text=True)
    assert sql_conn.execute("SELECT count(*) FROM staff").fetchone() == (0,)


def test_room_codes_are_stored_upper_case(client, login, sql_conn):
    login("admin")
    response = submit(
        client, "/rooms/add", {"code": " cons-7 ", "name": "Consultation 7", "kind": "consultation", "is_active": "y"}
    )
    assert " saved." in response.get_data(as_text=True)
    assert sql_conn.execute("SELECT code FROM rooms").fetchall() == [("CONS-7",)]


def test_a_staff_member_who_leaves_is_unticked_on_the_edit_form(client, login, sql_conn):
    [(staff_id,)] = sql_conn.execute(
        "INSERT INTO staff (last_name, first_name, profession) VALUES ('Martin', 'Julien', 'nurse') RETURNING id"
    ).fetchall()
    sql_conn.commit()
    login("admin")
    form = {"last_name": "Martin", "first_name": "Julien", "profession": "nurse", "specialty": "", "rpps": ""}
    response = submit(client, f"/staff/edit/{staff_id}", {**form, "email": "", "phone": "", "user": ""})
    assert " saved." in response.get_data(as_text=True)
    assert sql_conn.execute("SELECT is_active FROM staff").fetchall() == [(False,)]
    assert 'name="is_active" type="checkbox" value="y">' in client.get("/staff/add").get_data(as_text=True)


def test_a_room_can_be_added_out_of_use_and_put_back_in_use(client, login, sql_conn):
    login("admin")
    response = submit(client, "/rooms/add", {"code": "IRM-2", "name": "IRM 2", "kind": "imaging"})
    assert " saved." in response.get_data(as_text=True)
    [(room_id, active)] = sql_conn.execute("SELECT id, is_active FROM rooms").fetchall()
    assert active is False
    response = submit(
        client, f"/rooms/edit/{room_id}", {"code": "IRM-2", "name": "IRM 2", "kind": "imaging", "is_active": "y"}
    )
    assert " saved." in response.get_data(as_text=True)
    assert sql_conn.execute("SELECT is_active FROM rooms").fetchall() == [(True,)]


def test_every_form_field_shows_the_hint_written_for_its_column(app):
    """description_columns reach the fields a view declares itself (selects,
    yes/no boxes), not only those FAB generates."""
    from app.core.views import CareTrailModelView

    views = [view for view in app.appbuilder.baseviews if isinstance(view, CareTrailModelView)]
    assert len(views) > 10
    for view in views:
        for form_class, columns in ((view.add_form, view.add_columns), (view.edit_form, view.edit_columns)):
            for column in set(columns) & set(view.description_columns):
                field = getattr(form_class, column)  # unbound: the form is built at each request
                expected = view.description_columns[column]
                assert field.kwargs.get("description") == expected, (type(view).__name__, column)


def test_empty_values_show_as_nothing_rather_than_none(client, login, sql_conn):
    [(patient_id,)] = sql_conn.execute(
        "INSERT INTO patients (last_name, first_name, birth_date, sex) VALUES ('Roux', 'Anne', '1990-02-03', 'F') "
        "RETURNING id"
    ).fetchall()
    login("secretary")
    for url in (f"/patients/show/{patient_id}", "/patients/list/"):
        html = client.get(url).get_data(as_text=True)
        assert "Roux" in html and not re.search(r">\s*None\s*<", html), url


def test_yes_no_columns_read_yes_or_no_on_lists_and_show_pages(client, login, sql_conn):
    [(room_id,)] = sql_conn.execute(
        "INSERT INTO rooms (code, name, kind, is_active) VALUES ('RX-2', 'X-ray 2', 'imaging', false) RETURNING id"
    ).fetchall()
    login("admin")
    listed = client.get("/rooms/list/").get_data(as_text=True)
    shown = client.get(f"/rooms/show/{room_id}").get_data(as_text=True)
    for html in (listed, shown):
        assert re.search(r">\s*No\s*<", html) and not re.search(r">\s*(True|False)\s*<", html)


def test_the_user_list_shows_yes_and_role_names(client, login):
    login("admin")
    html = client.get("/users/list/").get_data(as_text=True)
    assert re.search(r">\s*Yes\s*<", html) and re.search(r">\s*Doctor\s*<", html)
    assert not re.search(r">\s*(True|False|\[\]|\[Doctor\])\s*<", html)


def test_nir_typed_in_groups_as_the_hint_shows_is_accepted_and_stored_without_spaces(client, login, sql_conn):
    """The field was FAB's, as long as the column (15): the browser cut the
    spaced form of the hint, and the server refused more than 15 characters."""
    login("secretary")
    page = client.get("/patients/add").get_data(as_text=True)
    nir_input = re.search(r'<input[^>]*name="nir"[^>]*>', page).group(0)
    assert 'maxlength="15"' not in nir_input
    spaced = "2 85 05 78 006 084 41"  # the hint's layout
    assert len(spaced) > 15
    response = submit(client, "/patients/add", {**FORM, "nir": spaced})
    assert "Patient LEFÈVRE Hélène saved." in response.get_data(as_text=True)
    [(_id, _last, _first, _phone, nir, _blood)] = patient_rows(sql_conn)
    assert nir == "285057800608441"


def test_nir_contradicting_the_sex_or_birth_date_is_explained_on_the_field(client, login, sql_conn):
    login("secretary")
    response = submit(client, "/patients/add", {**FORM, "nir": "1 85 05 78 006 084 91"})  # a man's NIR
    assert "starts with 1 (a man) but the sex is F" in response.get_data(as_text=True)
    response = submit(client, "/patients/add", {**FORM, "nir": "2 85 05 78 006 084 41", "birth_date": "1985-06-17"})
    assert "month 05, the date of birth is in month 06" in response.get_data(as_text=True)
    assert patient_rows(sql_conn) == []


def test_dates_and_times_read_one_way_on_lists_and_pages(client, login, sql_conn):
    """Lists and show pages printed Python's values: 1985-05-17 beside
    17/05/1985 elsewhere, and 2026-12-06 07:35:27.770291+01:00."""
    login("secretary")
    submit(client, "/patients/add", FORM)
    [(patient_id, *_)] = patient_rows(sql_conn)
    cells = re.findall(r"<td>(.*?)</td>", client.get("/patients/list/").get_data(as_text=True), re.S)
    assert "17/05/1985" in [cell.strip() for cell in cells]
    page = client.get(f"/patients/show/{patient_id}").get_data(as_text=True)
    assert "1985-05-17" not in page and "17/05/1985" in page
    assert not re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", page)  # no raw timestamp
    assert re.search(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", page)  # created / last changed, to the minute
