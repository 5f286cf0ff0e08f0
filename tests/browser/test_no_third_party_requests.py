"""No page sends a request anywhere but to CareTrail itself (issue 15 point
21): FAB's Security -> User's Statistics loaded Google Charts from the
internet, blank on a hospital network without internet access and a page
that told a third party who looked at it."""

from urllib.parse import urljoin, urlsplit

# Every entry of the admin's menu, plus pages reached from them.
MENU_LINKS = "() => [...document.querySelectorAll('.navbar a[href]')].map(a => a.getAttribute('href'))"
MORE_PAGES = (
    "/",
    "/patients/show/{patient}",
    "/audit/stats/",
    "/users/userinfo/",
    "/clinical/patients/{patient}/timeline",
    "/clinical/patients/{patient}/observations",
)


def test_no_page_requests_another_host(sign_in, live_server, sql_conn):
    patient = sql_conn.execute(
        "INSERT INTO patients (last_name, first_name, birth_date, sex) VALUES ('Hors', 'Ligne', '1980-01-01', 'F')"
        " RETURNING id"
    ).fetchone()[0]
    page = sign_in("admin")
    elsewhere: list[str] = []
    page.on("request", lambda request: elsewhere.append(f"{page.url} -> {request.url}")
            if urlsplit(request.url).netloc != urlsplit(live_server).netloc
            and urlsplit(request.url).scheme in ("http", "https", "ws", "wss") else None)  # fmt: skip
    page.goto(f"{live_server}/")
    links = {
        href
        for href in page.evaluate(MENU_LINKS)
        if href.startswith("/") and "logout" not in href and "/lang/" not in href
    }
    pages = sorted(links | {url.format(patient=patient) for url in MORE_PAGES})
    assert len(pages) > 15, pages  # the whole menu was found
    for path in pages:
        page.goto(urljoin(live_server, path), wait_until="networkidle")
    assert elsewhere == []


def test_fab_user_statistics_page_is_gone(sign_in, live_server):
    page = sign_in("admin")
    page.goto(f"{live_server}/")
    assert "Statistics" not in "".join(page.evaluate(MENU_LINKS)) + page.locator(".navbar").inner_text()
    assert "User's Statistics" not in page.content()
    answer = page.goto(f"{live_server}/userstatschartview/chart/")
    assert answer.status == 404
