"""The navbar's menu is rendered once per set of roles and language
(app/interface/navbar_menu.py): each role still sees its own entries, in
its own language, and a role made by hand is asked every time."""

import re

from flask_appbuilder.security.manager import BaseSecurityManager

from tests.conftest import browser_logout


def menu_of(page: str) -> list[str]:
    menu = page[page.index('class="nav navbar-nav"') : page.index("navbar-right")]
    return re.findall(r'href="(/[^"]*)"', menu)


def checks_counted(monkeypatch) -> list[str]:
    asked = []
    has_access = BaseSecurityManager.has_access

    def counted(self, permission_name, view_name):
        if permission_name == "menu_access":
            asked.append(view_name)
        return has_access(self, permission_name, view_name)

    monkeypatch.setattr(BaseSecurityManager, "has_access", counted)
    return asked


def test_each_role_sees_its_own_menu_asked_once(client, login, monkeypatch):
    asked = checks_counted(monkeypatch)
    login("secretary")
    secretary = menu_of(client.get("/patients/list/").get_data(as_text=True))
    asked.clear()
    assert menu_of(client.get("/patients/list/").get_data(as_text=True)) == secretary
    assert asked == []  # the second page of the same roles asks nothing
    browser_logout(client)
    login("auditor")
    auditor = menu_of(client.get("/audit/").get_data(as_text=True))
    assert "/audit/" in auditor and "/audit/" not in secretary
    assert any("patients" in href for href in secretary)


def test_the_menu_speaks_the_users_language(client, login):
    login("secretary")
    client.get("/lang/fr")
    french = client.get("/patients/list/").get_data(as_text=True)
    client.get("/lang/en")
    english = client.get("/patients/list/").get_data(as_text=True)
    assert menu_of(french) == menu_of(english)
    assert french[: french.index("navbar-right")] != english[: english.index("navbar-right")]


def test_a_role_made_by_hand_is_asked_at_every_page(app, client, login, sql_conn, monkeypatch):
    sql_conn.execute("INSERT INTO ab_role (id, name) SELECT max(id) + 1, 'Archivist' FROM ab_role")
    sql_conn.execute(
        "INSERT INTO ab_user_role (id, user_id, role_id) SELECT (SELECT max(id) + 1 FROM ab_user_role),"
        " (SELECT id FROM ab_user WHERE username = 'secretary'), (SELECT id FROM ab_role WHERE name = 'Archivist')"
    )
    asked = checks_counted(monkeypatch)
    login("secretary")
    client.get("/patients/list/")
    asked.clear()
    client.get("/patients/list/")
    assert asked  # the database says what Archivist may do: not kept
