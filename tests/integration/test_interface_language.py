"""French and English: the hospital's language by default, each user's
choice remembered; FAB's own strings load in French too."""

from tests.conftest import browser_logout


def test_the_hospitals_language_is_the_default(app, client, login):
    app.config["BABEL_DEFAULT_LOCALE"] = "fr"
    login("secretary")
    page = client.get("/patients/list/").get_data(as_text=True)
    assert "Dossiers" in page and "Rendez-vous" in page, "our menus in French"
    assert "Ajouter un filtre" in page or "Nombre d'éléments" in page or "Rechercher" in page


def test_a_users_language_is_remembered_at_the_next_sign_in(app, client, login, sql_conn):
    login("doctor")
    assert client.get("/lang/fr").status_code == 302
    assert "Agenda" in client.get("/patients/list/").get_data(as_text=True)
    saved = sql_conn.execute(
        "SELECT locale FROM user_preferences JOIN ab_user u ON u.id = user_id WHERE u.username = 'doctor'"
    ).fetchone()
    assert saved == ("fr",)
    browser_logout(client)
    with client.session_transaction() as session:
        session.pop("locale", None)
    login("doctor")
    page = client.get("/patients/list/").get_data(as_text=True)
    assert "Dossiers" in page and "Déconnexion" in page


def test_english_stays_english(client, login):
    login("secretary")
    page = client.get("/patients/list/").get_data(as_text=True)
    assert "Records" in page and "Dossiers" not in page


def test_the_theme_is_remembered_per_user(client, login, sql_conn):
    login("nurse")
    page = client.get("/patients/list/").get_data(as_text=True)
    assert "dataset.theme" not in page, "no choice yet: the system's setting"
    token = page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    answer = client.post("/preferences/theme", data={"theme": "dark"}, headers={"X-CSRFToken": token})
    assert answer.status_code == 200
    assert 'document.documentElement.dataset.theme = "dark"' in client.get("/patients/list/").get_data(as_text=True)
    refused = client.post("/preferences/theme", data={"theme": "purple"}, headers={"X-CSRFToken": token})
    assert refused.status_code == 400
