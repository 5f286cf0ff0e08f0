"""A show page's fields are drawn in Python (app/core/show_fields.py,
issue 22), as FAB's template drew them: each label and value escaped, the
field's formatter applied, an empty value shown as nothing, the value's
line breaks kept."""

from markupsafe import Markup

from app.core.show_fields import show_fields
from tests.agenda import book, make_patient
from tests.agenda_screens import at, make_clinic

ROW = '<tr><th class="col-lg-2 col-md-2 col-sm-2">{}</th><td><span style="white-space: pre-line">{}</span></td></tr>'


def test_labels_and_values_are_escaped_and_formatted():
    drawn = show_fields(
        ["name", "notes", "city", "born", "link"],
        ["name", "city", "notes", "born", "link"],
        ["O'Hara <b>", None, "line 1\nline <i>2</i>", "1980-05-17", "x"],
        {"name": "Name & surname", "notes": "Notes", "city": "City", "born": "Born"},
        {"born": lambda value: value[::-1], "link": lambda value: Markup('<a href="/x">x</a>')},
    )
    assert drawn == "".join(
        [
            ROW.format("Name &amp; surname", "O&#39;Hara &lt;b&gt;"),
            ROW.format("Notes", "line 1\nline &lt;i&gt;2&lt;/i&gt;"),
            ROW.format("City", ""),
            ROW.format("Born", "71-50-0891"),
            ROW.format("", '<a href="/x">x</a>'),
        ]
    )


def test_every_show_page_draws_its_fields_in_python(app, client, login, sql_conn, monkeypatch):
    patient = make_patient(sql_conn, "O'Hara <b>", "Anne")
    sql_conn.execute("UPDATE patients SET notes = %s WHERE id = %s", ["line 1\nline <i>2</i>", patient])
    appointment = book(sql_conn, patient, make_clinic(sql_conn)["martin"], at(9))
    calls = []
    drawn = app.jinja_env.globals["show_fields"]
    monkeypatch.setitem(app.jinja_env.globals, "show_fields", lambda *args: calls.append(args[0]) or drawn(*args))
    login("doctor")
    page = client.get(f"/patients/show/{patient}").get_data(as_text=True)
    assert ROW.format("Last name", "O&#39;Hara &lt;b&gt;") in page
    assert ROW.format("Notes", "line 1\nline &lt;i&gt;2&lt;/i&gt;") in page
    assert calls and "last_name" in calls[0]
    calls.clear()
    assert client.get(f"/appointments/show/{appointment}").status_code == 200
    assert calls
