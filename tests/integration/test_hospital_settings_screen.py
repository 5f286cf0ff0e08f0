"""The hospital settings screen: the letterhead documents print, edited by
administrators only; a logo is judged by its bytes, not its name; a refused
value is explained on its field and nothing is written."""

import io

from PIL import Image

from tests.conftest import browser_logout, csrf_token

URL = "/hospital-settings/"
FORM = {
    "name": "Hôpital Saint-Louis",
    "address": "1 avenue Claude-Vellefaux\n75010 Paris",
    "phone": "01 42 49 49 49",
    "finess": "750100125",
    "footer": "Assistance Publique - Hôpitaux de Paris",
}
SVG_WITH_SCRIPT = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'


def png(width: int = 60, height: int = 30) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (0, 90, 160)).save(buffer, "PNG")
    return buffer.getvalue()


def settings_row(conn):
    return conn.execute(
        "SELECT name, address, phone, finess, footer, logo, logo_media_type FROM hospital_settings WHERE id = 1"
    ).fetchone()


def post(client, fields: dict, logo: tuple[bytes, str] | None = None):
    page = client.get(URL)
    assert page.status_code == 200, page.status_code
    data = {**fields, "csrf_token": csrf_token(page.get_data(as_text=True))}
    if logo is not None:
        data["logo"] = (io.BytesIO(logo[0]), logo[1])
    return client.post(URL, data=data, content_type="multipart/form-data", follow_redirects=True)


def test_admin_saves_the_letterhead_and_a_png_logo_which_is_shown(client, login, sql_conn):
    login("admin")
    image = png()
    response = post(client, FORM, (image, "logo.png"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Hospital settings saved" in html
    assert settings_row(sql_conn) == (
        "Hôpital Saint-Louis",
        "1 avenue Claude-Vellefaux\n75010 Paris",
        "+33142494949",
        "750100125",
        "Assistance Publique - Hôpitaux de Paris",
        image,
        "image/png",
    )
    assert 'src="/hospital-settings/logo"' in html
    logo = client.get("/hospital-settings/logo")
    assert logo.status_code == 200 and logo.mimetype == "image/png" and logo.data == image
    assert "sandbox" in logo.headers["Content-Security-Policy"]


def test_an_oversized_logo_is_refused_on_its_field_and_nothing_is_written(client, login, sql_conn):
    login("admin")
    before = settings_row(sql_conn)
    response = post(client, FORM, (png() + b"\0" * (512 * 1024), "logo.png"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "512 KB at most" in html and 'id="field-logo"' in html
    assert settings_row(sql_conn) == before


def test_bytes_that_are_no_image_are_refused_whatever_the_file_name(client, login, sql_conn):
    login("admin")
    before = settings_row(sql_conn)
    response = post(client, FORM, (b"%PDF-1.7 not an image at all", "logo.png"))
    assert response.status_code == 422
    assert "not a PNG, JPEG or SVG image" in response.get_data(as_text=True)
    assert settings_row(sql_conn) == before


def test_an_svg_with_a_script_is_refused(client, login, sql_conn):
    login("admin")
    response = post(client, FORM, (SVG_WITH_SCRIPT, "logo.svg"))
    assert response.status_code == 422
    assert "may not contain &lt;script&gt;" in response.get_data(as_text=True)
    assert settings_row(sql_conn)[5] is None


def test_a_clean_svg_is_accepted_by_its_content(client, login, sql_conn):
    login("admin")
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'
    response = post(client, FORM, (svg, "logo.txt"))
    assert "Hospital settings saved" in response.get_data(as_text=True)
    assert settings_row(sql_conn)[5:] == (svg, "image/svg+xml")


def test_the_logo_is_removed_on_request(client, login, sql_conn):
    login("admin")
    post(client, FORM, (png(), "logo.png"))
    response = post(client, {**FORM, "remove_logo": "y"})
    assert "Hospital settings saved" in response.get_data(as_text=True)
    assert settings_row(sql_conn)[5:] == (None, None)
    assert client.get("/hospital-settings/logo").status_code == 404


def test_a_database_refusal_comes_back_on_its_field(client, login, sql_conn):
    """The FINESS number is checked by the database alone: its CHECK's message shows under the field."""
    login("admin")
    before = settings_row(sql_conn)
    response = post(client, {**FORM, "finess": "99ABC1234", "name": "Changed"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "A FINESS number has 9 characters" in html and 'value="99ABC1234"' in html
    assert settings_row(sql_conn) == before


def test_a_missing_name_and_a_bad_phone_are_explained(client, login, sql_conn):
    login("admin")
    before = settings_row(sql_conn)
    response = post(client, {**FORM, "name": "  ", "phone": "12"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "This field is required." in html and "phone number" in html
    assert settings_row(sql_conn) == before


def test_the_form_needs_its_csrf_token(client, login, sql_conn):
    login("admin")
    before = settings_row(sql_conn)
    response = client.post(URL, data={**FORM, "name": "No token"})
    assert response.status_code == 400
    assert settings_row(sql_conn) == before


def test_only_administrators_open_the_settings(client, login):
    for username in ("secretary", "doctor", "auditor"):
        login(username)
        assert client.get(URL).status_code == 403, username
        assert client.get("/hospital-settings/logo").status_code == 403, username
        assert "/hospital-settings/" not in client.get("/patients/list/").get_data(as_text=True)
        browser_logout(client)
    login("admin")
    assert "/hospital-settings/" in client.get("/patients/list/").get_data(as_text=True)
