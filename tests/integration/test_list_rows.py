"""The patient list's rows, drawn in Python (app/core/list_rows.py, issue 22):
the cells FAB's Jinja drew (formatted, escaped, nothing for an empty value),
the buttons each role may follow, with the row's id in their links."""

import re

from app.core.list_rows import list_rows, row_button
from tests.agenda import make_patient
from tests.conftest import browser_login


def row_of(html: str, patient_id: int) -> str:
    match = re.search(rf'<tr>(?:(?!</tr>).)*?/patients/show/{patient_id}[?"](?:(?!</tr>).)*</tr>', html, re.S)
    assert match, f"no row for patient {patient_id}"
    return match.group(0)


def cells(row: str) -> list[str]:
    return re.findall(r"<td>((?:(?!</td>).)*)</td>", row, re.S)


def test_a_row_shows_each_column_formatted_and_escaped(client, login, sql_conn):
    pid = make_patient(sql_conn, "Rowmaker", "Ana")
    sql_conn.execute(
        "UPDATE patients SET city = %s, phone = NULL, sex = 'F' WHERE id = %s", ['<b onclick="x()">Lyon</b> & Co', pid]
    )
    mrn = sql_conn.execute("SELECT mrn FROM patients WHERE id = %s", [pid]).fetchone()[0]
    login("secretary")
    row = row_of(client.get("/patients/list/", query_string={"_flt_0_last_name": "rowmaker"}).text, pid)
    # mrn, last name, first name, birth date, sex, phone, city, status (after the buttons' cell)
    assert cells(row)[-8:] == [
        mrn,
        "Rowmaker",
        "Ana",
        "17/05/1980",  # the hospital's date format, not 1980-05-17
        "Female",  # the code's word, not "F"
        "",  # no phone: nothing, not "None"
        "&lt;b onclick=&#34;x()&#34;&gt;Lyon&lt;/b&gt; &amp; Co",
        "Active",
    ]
    assert "<b onclick" not in row


def test_each_role_gets_the_buttons_it_may_follow(app, sql_conn):
    pid = make_patient(sql_conn, "Rowmaker", "Ben")
    searched = {"_flt_0_last_name": "rowmaker"}

    def row_seen_by(username: str) -> str:
        client = app.test_client()
        browser_login(client, username)
        return row_of(client.get("/patients/list/", query_string=searched).text, pid)

    row = row_seen_by("admin")
    assert f'href="/patients/show/{pid}"' in row and f'href="/patients/edit/{pid}"' in row
    # deleting opens the confirmation page (with its reason), never FAB's JavaScript confirm
    assert f'<a href="/patients/delete/{pid}/confirm" class="btn btn-sm btn-default patient-delete"' in row
    assert 'title="Show record"' in row and '<span class="sr-only">Edit</span>' in row

    row = row_seen_by("secretary")
    assert f"/patients/edit/{pid}" in row and "patient-delete" not in row

    row = row_seen_by("radiologist")
    assert f"/patients/show/{pid}" in row and f"/patients/edit/{pid}" not in row and "patient-delete" not in row


def test_the_buttons_speak_the_users_language(client, login, sql_conn):
    pid = make_patient(sql_conn, "Rowmaker", "Chloé")
    login("secretary")
    client.get("/lang/fr", follow_redirects=False)
    row = row_of(client.get("/patients/list/", query_string={"_flt_0_last_name": "rowmaker"}).text, pid)
    assert 'title="Afficher la fiche"' in row and '<span class="sr-only">Modifier</span>' in row


def test_rows_without_buttons_nor_values(app):
    with app.test_request_context("/"):
        button = row_button("PatientView.show", "Show <record>", "Show", "fa-search")
        drawn = list_rows(
            [{"name": "<i>x</i>", "city": None}, {"name": "O'Hara", "city": "Lyon"}],
            ["a/b", 7],
            ["name", "city"],
            {"city": lambda city: (city or "").upper()},
            checkbox=True,
            buttons=[button],
        )
        without = list_rows([{"name": "x"}], [1], ["name"], {})
    assert without == "<tr><td>x</td></tr>"  # no buttons' cell at all
    assert 'href="/patients/show/a%2Fb"' in drawn and 'value="a/b"' in drawn  # an id quoted in a link
    assert 'title="Show &lt;record&gt;"' in drawn
    assert "<td>&lt;i&gt;x&lt;/i&gt;</td><td></td>" in drawn
    assert "<td>O&#39;Hara</td><td>LYON</td>" in drawn


def test_a_value_repeated_from_row_to_row_is_drawn_as_the_first_time(app):
    """Cells are drawn once a page per column and value: the same value in
    another column goes through that column's formatter; True is not 1; a
    label is known by its identity (two labels of the same text, or
    translated differently, stay themselves)."""
    from datetime import date

    from flask_babel import lazy_gettext

    from app.core.formatting import format_date

    active, inactive = lazy_gettext("Active"), lazy_gettext("Inactive")
    rows = [
        {"code": "F", "other": "F", "flag": True, "status": active, "born": date(1985, 5, 17)},
        {"code": "F", "other": "F", "flag": 1, "status": inactive, "born": date(1985, 5, 17)},
        {"code": "M", "other": "F", "flag": True, "status": active, "born": None},
    ]
    with app.test_request_context("/"):
        drawn = list_rows(
            rows, [1, 2, 3], ["code", "other", "flag", "status", "born"], {"code": str.lower, "born": format_date}
        )
    assert re.findall(r"<tr>(.*?)</tr>", drawn) == [
        "<td>f</td><td>F</td><td>True</td><td>Active</td><td>17/05/1985</td>",
        "<td>f</td><td>F</td><td>1</td><td>Inactive</td><td>17/05/1985</td>",
        "<td>m</td><td>F</td><td>True</td><td>Active</td><td></td>",
    ]


def test_the_lists_links_are_the_ones_fabs_filters_build(app):
    """link_page, link_page_size and link_order build one address a page
    for each and put each page, size or column in it: with any query
    (several values, accents, the marker's digits, the list already paged,
    sized or ordered either way), each link is the one FAB's filter made
    with url_for."""
    from flask import request
    from flask_appbuilder.filters import TemplateFilters

    from app.core.list_rows import link_order, link_page, link_page_size

    ours_and_fabs = {
        "link_page": (link_page, TemplateFilters.link_page_filter, (0, 1, 7, 41)),
        "link_page_size": (link_page_size, TemplateFilters.link_page_size_filter, (25, 50, 100)),
        "link_order": (link_order, TemplateFilters.link_order_filter, ("last_name", "birth_date", "doctor.name")),
    }
    queries = [
        "",
        "_flt_0_last_name=Dupr%C3%A9&_flt_0_last_name=x&psize_PatientView=50",
        "page_PatientView=3&_oc_PatientView=last_name&_od_PatientView=asc",
        "_oc_PatientView=birth_date&_od_PatientView=desc&page_PatientView=2",
        "_flt_0_city=7777777777&q=a+b%26c%23d",
        "_flt_0_last_name=l%27Ha%C3%BF+les+Roses%21",
    ]
    for query in queries:
        with app.test_request_context(f"/patients/list/?{query}"):
            request.url_rule, request.view_args = app.url_map.bind("localhost").match(
                "/patients/list/", return_rule=True
            )
            for name, (ours, fabs, values) in ours_and_fabs.items():
                for value in values:
                    assert ours(value, "PatientView") == fabs(None, value, "PatientView"), (name, query, value)
    for name, (ours, _fabs, _values) in ours_and_fabs.items():
        assert app.jinja_env.filters[name] is ours


def test_links_with_an_id_are_the_ones_url_for_builds(app):
    """url_with_id builds one address an endpoint and its other values, and
    puts each id in it: each link is url_for's, in a path or in a query, and
    url_for's own when the other values hold the marker's digits."""
    from flask import url_for

    from app.core.list_rows import url_with_id

    cases = [
        ("PatientView.show", "pk", {}),
        ("AppointmentView.check_in", "pk", {}),
        ("CalendarDayView.print_list", "doctor_id", {"date": "2026-12-07"}),
        ("CalendarDayView.print_list", "doctor_id", {"date": "7777777777"}),
    ]
    with app.test_request_context("/"):
        for endpoint, id_arg, values in cases:
            for id_value in (1, 42, 7_777_777_777, 123456789):
                expected = url_for(endpoint, **{id_arg: id_value}, **values)
                assert url_with_id(endpoint, id_value, id_arg=id_arg, **values) == expected, (endpoint, values)
