"""Every page is served from CareTrail alone (issue 15 point 21): no script,
style sheet, image or frame from another host, and FAB's Security -> User's
Statistics (Google Charts from the internet) is gone, menu entry and route.
The browser test tests/browser/test_no_third_party_requests.py records the
requests themselves."""

import re

from tests.agenda import make_patient

MENU_HREF = re.compile(r'<a[^>]+href="(/[^"#]*)"')
# What makes the browser fetch: src=, <link href=>, CSS url(), a loader script
# (FAB's static js/google_charts.js is local, and fetches Google's loader).
FETCHED_ELSEWHERE = re.compile(
    r'(?:src|srcset|data)\s*=\s*["\']?(?:https?:)?//|<link[^>]+href=["\']?(?:https?:)?//|url\(\s*["\']?(?:https?:)?//'
    r"|gstatic\.com|googleapis\.com|google\.com/jsapi|google_charts\.js|google\.load\(",
    re.I,
)


def test_no_page_loads_anything_from_another_host(client, login, sql_conn):
    patient = make_patient(sql_conn)
    login("admin")
    home = client.get("/").get_data(as_text=True)
    pages = {href for href in MENU_HREF.findall(home) if "logout" not in href and "/lang/" not in href}
    pages |= {"/", f"/patients/show/{patient}", "/users/userinfo/", "/audit/stats/", "/calendar/", "/find-slot/"}
    assert len(pages) > 15, pages
    for path in sorted(pages):
        answer = client.get(path, follow_redirects=True)
        assert answer.status_code == 200, (path, answer.status_code)
        html = answer.get_data(as_text=True)
        assert not FETCHED_ELSEWHERE.search(html), (path, FETCHED_ELSEWHERE.search(html).group(0))


def test_fab_user_statistics_is_neither_in_the_menu_nor_served(client, login):
    login("admin")
    home = client.get("/").get_data(as_text=True)
    assert "User&#39;s Statistics" not in home and "User's Statistics" not in home
    assert "userstatschartview" not in home.lower()
    assert client.get("/userstatschartview/chart/").status_code == 404
