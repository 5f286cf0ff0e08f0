"""The lists' "Add filter" menu is built once per form, columns and language
(app/core/search_widget.py): each role is still offered only the columns it
may read, in its language, with the filters it typed."""

import json
import re

from app.core.search_widget import CachedSearchWidget
from tests.conftest import browser_login


def offered_columns(page: str) -> set[str]:
    menu = page[page.index('id="filter_form"') : page.index("</ul>", page.index('id="filter_form"'))]
    return set(re.findall(r'name="(\w+)" class="filter"', menu))


def active_filters(page: str) -> list:
    script = page[page.index("new AdminFilters(") :]
    return json.loads(script[: script.index(");")].rsplit(",\n", 1)[1].strip())


def test_the_menu_is_built_once_and_the_filters_typed_are_read_each_time(client, login, monkeypatch):
    built = []
    blank_parts = CachedSearchWidget._blank_parts

    def counted(self, form, columns):
        built.append(columns)
        return blank_parts(self, form, columns)

    monkeypatch.setattr(CachedSearchWidget, "_blank_parts", counted)
    login("secretary")
    client.get("/patients/list/")
    built.clear()
    page = client.get("/patients/list/?_flt_0_city=Lyon").get_data(as_text=True)
    assert built == []
    assert active_filters(page) == [["city", "Contains", ["Lyon"]]]


def test_each_role_is_offered_the_columns_it_may_read(app):
    offered = {}
    for username in ("secretary", "radiologist"):
        browser = app.test_client()
        browser_login(browser, username)
        offered[username] = offered_columns(browser.get("/patients/list/").get_data(as_text=True))
    assert "nir" in offered["secretary"]
    assert "nir" not in offered["radiologist"]


def test_the_menu_speaks_the_users_language(client, login):
    login("secretary")
    client.get("/lang/fr")
    french = client.get("/patients/list/").get_data(as_text=True)
    client.get("/lang/en")
    english = client.get("/patients/list/").get_data(as_text=True)
    assert "Ajouter un filtre" in french or "Contient" in french
    assert "Contains" in english and "Contains" not in french
