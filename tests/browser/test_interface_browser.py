"""The interface layer in a real browser: dark theme and French, a keyboard
shortcut, a live notification caused by another session, no page wider
than a 390 px phone, axe-core on the main pages, and a service worker that
keeps no patient data."""

import re
from pathlib import Path

import pytest

from app.alerts.watch import evaluate_all
from app.core.actor import acting_as
from app.core.extensions import db
from app.interface.views import static_version
from app.jobs.registry import WORKER
from tests.agenda import book
from tests.agenda_screens import at, make_clinic
from tests.integration.test_break_glass import make_patient
from tests.prescribing import draft, make_reference, signed

AXE = Path(__file__).parent / "vendor" / "axe.min.js"  # axe-core 4.14.1 from npm, served by Playwright itself
ROLES = ("admin", "doctor", "nurse", "secretary", "auditor")
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def hospital(sql_conn):
    """Two doctors (Martin is the `doctor` login), two patients, a booking, a draft prescription, an alert."""
    clinic = make_clinic(sql_conn)
    clinic["appointment"] = book(sql_conn, clinic["dubois"], clinic["martin"], at(10))
    medications = make_reference(sql_conn)
    clinic["prescription"] = draft(sql_conn, clinic["dubois"], clinic["martin"], list(medications.values())[:1])
    insert_alert(sql_conn)
    return clinic


def insert_alert(conn, summary="Patient record changed at 03:12 by nightly-import") -> int:
    return conn.execute(
        "INSERT INTO alerts (rule_code, severity, summary, audit_entry_ids, occurred_at) "
        "VALUES ('off_hours', 'warning', %s, '{1}', now()) RETURNING id",
        [summary],
    ).fetchone()[0]


def background_colour(page) -> str:
    return page.evaluate("getComputedStyle(document.body).backgroundColor")


def test_dark_theme_and_french_are_chosen_and_remembered(sign_in, live_server):
    page = sign_in("secretary")
    page.goto(f"{live_server}/patients/list/")
    assert background_colour(page) == "rgb(255, 255, 255)"  # headless Chromium prefers light
    page.locator("[data-theme-toggle]").first.click()
    page.locator("html[data-theme=dark]").wait_for(state="attached")
    page.wait_for_timeout(300)  # the choice is POSTed
    page.reload()
    assert background_colour(page) == "rgb(15, 20, 25)", "the dark theme is remembered"
    page.goto(f"{live_server}/lang/fr")
    page.goto(f"{live_server}/patients/list/")
    assert page.locator(".navbar").get_by_text("Dossiers").count() >= 1
    assert page.evaluate("document.documentElement.lang") == "fr"


def test_the_system_dark_setting_is_followed_by_default(sign_in, live_server):
    page = sign_in("nurse")
    page.emulate_media(color_scheme="dark")
    page.goto(f"{live_server}/patients/list/")
    assert background_colour(page) == "rgb(15, 20, 25)"


def test_keyboard_shortcuts_never_fire_while_typing(sign_in, live_server):
    page = sign_in("secretary")
    page.goto(f"{live_server}/patients/list/")
    field = page.locator("input[type=text], input[type=search]").first
    field.focus()
    page.keyboard.type("?ga")  # typed into the field: no shortcut fires
    page.wait_for_timeout(300)
    assert not page.locator("#shortcuts-help").is_visible()
    assert "/patients/list/" in page.url and field.input_value().endswith("?ga")
    page.keyboard.press("Escape")  # leaves the field
    page.keyboard.press("?")
    assert page.locator("#shortcuts-help").is_visible()
    page.keyboard.press("Escape")
    assert not page.locator("#shortcuts-help").is_visible()
    page.keyboard.press("g")
    page.keyboard.press("a")
    page.wait_for_url(re.compile(r"/appointments/list/"))
    page.keyboard.press("n")
    page.wait_for_url(re.compile(r"/appointments/add"))


def alert_pass(app) -> int:
    """One pass of the alert job (app/alerts/watch.evaluate_all), run here as its worker would."""
    with app.app_context(), acting_as(WORKER):
        try:
            return evaluate_all(db.session)[1]
        finally:
            db.session.remove()


def alert_bell_count(page) -> int:
    badge = page.locator(".alert-bell-count")
    return int(badge.inner_text() or 0) if badge.count() else 0


def test_a_break_the_glass_in_another_session_reaches_the_administrators_open_page(
    app, sign_in, other_browser, live_server, sql_conn
):
    """A secretary, at her own desk, breaks the glass on a record with a
    reason; the alert job's pass (not the request) raises the alert, and the
    page an administrator has open shows its toast and counts it on the bell,
    unreloaded.  Administrators: the alerts' bell and toasts are theirs
    (ALERTS, app/security/roles.py); auditors get this rule's e-mail and the
    break-the-glass review queue, not the bell."""
    patient = make_patient(sql_conn)
    sql_conn.execute("UPDATE alert_rules SET is_enabled = (code = 'break_glass')")
    alert_pass(app)  # the history of the template database: nothing of it reaches the page
    oversight = sign_in("admin")
    oversight.goto(f"{live_server}/")
    oversight.locator("html[data-live=connected]").wait_for(state="attached")  # no eval: the CSP forbids it
    oversight.evaluate("window.notReloaded = true")
    before = alert_bell_count(oversight)

    desk = other_browser("secretary")
    desk.goto(f"{live_server}/patients/show/{patient}")
    desk.fill("#break-glass-reason", "Collapsed in the waiting room, family asks about allergies")
    with desk.expect_navigation():
        desk.click(".break-glass-form button[type=submit]")
    assert desk.locator(".break-glass-active").is_visible()
    raised = "SELECT count(*) FROM alerts WHERE rule_code = 'break_glass'"
    assert sql_conn.execute(raised).fetchone()[0] == 0  # not in the request: the alert job raises it
    assert alert_pass(app) >= 1  # the job's pass over the journal, in-process

    toast = oversight.locator(".live-toast", has_text="broke the glass on the record of GARNIER Luc")
    toast.wait_for(timeout=8000)
    assert "Collapsed in the waiting room" in toast.inner_text()
    assert alert_bell_count(oversight) == before + 1
    assert oversight.evaluate("window.notReloaded") is True


def menu_pages(page, live_server) -> list[str]:
    """Every page this role's menu offers."""
    page.goto(f"{live_server}/")
    links = page.evaluate("""[...document.querySelectorAll('.navbar a[href^="/"]')].map(a => a.getAttribute('href'))""")
    return [link for link in dict.fromkeys(links) if not link.startswith(("/lang/", "/logout"))]


def walk_main_pages(page, live_server):
    """Each page the role's menu offers, then from each list its first show,
    edit and add pages, each opened once: yields (path, is_html)."""
    menu = menu_pages(page, live_server)
    pages = list(menu)
    for path in pages:  # grows while walked: the lists' show, edit and add pages come last
        answer = page.goto(f"{live_server}{path}")
        is_html = answer is not None and answer.status < 400 and "text/html" in answer.headers.get("content-type", "")
        yield path, is_html
        if path not in menu:
            continue
        found = page.evaluate(
            """['/show/', '/edit/', '/add'].map(part =>
                 [...document.querySelectorAll('main a[href]')].map(a => a.getAttribute('href'))
                   .find(h => h.startsWith('/') && h.includes(part) && !h.includes('/api/'))).filter(Boolean)"""
        )
        pages += [link for link in found if link not in pages]


AXE_ROLES = ("admin", "doctor", "secretary")


@pytest.mark.parametrize("role", ROLES)
def test_every_main_page_passes_axe_and_fits_a_phone(sign_in, live_server, hospital, role):
    """Every main page of the role, opened once each way: on a 1280 px
    screen, axe-core finds no serious or critical violation (as the
    administrator, a doctor and a secretary); opened again at 390 px, none
    is wider than the phone (every role)."""
    page = sign_in(role)
    if role in AXE_ROLES:
        page.add_init_script(path=str(AXE))  # a third faster than adding it to each page once loaded
    visited, axe_failures = [], {}
    for path, is_html in walk_main_pages(page, live_server):
        if not is_html:
            continue
        visited.append(path)
        if role in AXE_ROLES:
            for violation in axe_violations(page):
                axe_failures.setdefault(f"{violation['impact']} {violation['id']}", []).append(
                    (path, violation["nodes"])
                )
    page.set_viewport_size(PHONE)
    too_wide = []
    for path in visited:
        page.goto(f"{live_server}{path}")
        width = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
        if width[0] > width[1]:
            too_wide.append((path, width[0]))
    assert len(visited) >= 5, visited
    summary = {rule: (len(where), where[:2]) for rule, where in axe_failures.items()}
    assert not axe_failures, summary
    assert not too_wide, f"wider than {PHONE['width']} px as {role}: {too_wide}"


def test_the_admins_top_bar_is_one_row_at_1366_px(sign_in, live_server):
    page = sign_in("admin")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server}/patients/list/")
    assert page.evaluate("document.querySelector('.navbar').getBoundingClientRect().height") <= 60


def axe_violations(page) -> list[dict]:
    if not page.evaluate("typeof axe !== 'undefined'"):  # not already loaded with every page (add_init_script)
        page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async () => {
             const result = await axe.run(document, {resultTypes: ['violations']});
             return result.violations.filter(v => ['serious', 'critical'].includes(v.impact))
               .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
           }"""
    )


def test_a_select2_widget_drawn_by_a_script_is_named_before_anything_else_runs(sign_in, live_server):
    """select2 draws its combobox after the page's own naming pass (on
    jQuery's ready, or later for a field a script adds): the widget has its
    name by the next microtask, so neither a screen reader nor axe ever meets
    it nameless (CI once caught the drug interaction form's selects between
    their drawing and a naming pass that waited 50 ms)."""
    page = sign_in("admin")
    page.goto(f"{live_server}/drug-interactions/add")
    names = page.evaluate(
        """async () => {
             const form = document.querySelector('main form');
             const label = Object.assign(document.createElement('label'), {htmlFor: 'late', textContent: 'Late field'});
             const select = Object.assign(document.createElement('select'), {id: 'late', name: 'late'});
             select.append(new Option('One', '1'), new Option('Two', '2'));
             form.append(label, select);
             $(select).select2();
             await Promise.resolve();  // after the observer's microtask, before any task
             const container = select.nextElementSibling;
             return [container.querySelector('.select2-selection').getAttribute('aria-label'),
                     container.querySelector('.select2-selection__rendered').getAttribute('aria-label')];
           }"""
    )
    assert names == ["Late field", "Late field"]


@pytest.mark.parametrize("role", ("admin", "doctor", "secretary"))
def test_axe_finds_no_serious_violation_on_a_phone(sign_in, live_server, hospital, role):
    """The same check at 390 x 844, where the navigation is collapsed behind
    its button (which needs a name of its own) and tables scroll in their box."""
    page = sign_in(role)
    page.set_viewport_size(PHONE)
    failures, visited = {}, []
    for path in ("/", "/patients/list/", f"/patients/show/{hospital['dubois']}", "/calendar/"):
        answer = page.goto(f"{live_server}{path}")
        if answer is None or answer.status >= 400:
            continue
        visited.append(path)
        for violation in axe_violations(page):
            failures.setdefault(f"{violation['impact']} {violation['id']}", []).append((path, violation["nodes"]))
    assert len(visited) >= 3, visited
    assert page.locator(".navbar-toggle").is_visible(), "the navigation is collapsed at 390 px"
    summary = {rule: (len(where), where[:2]) for rule, where in failures.items()}
    assert not failures, summary


def test_the_service_worker_caches_no_patient_data(app, sign_in, live_server, hospital):
    page = sign_in("doctor")
    page.goto(f"{live_server}/patients/list/")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now controlled by the worker
    page.goto(f"{live_server}/patients/show/{hospital['dubois']}")
    page.evaluate("fetch('/api/v1/patients/', {credentials: 'same-origin'}).then(r => r.status)")
    page.goto(f"{live_server}/prescriptions/show/{hospital['prescription']}")
    names, cached = page.evaluate(
        """async () => {
             const names = await caches.keys(), urls = [];
             for (const name of names) {
               const cache = await caches.open(name);
               for (const request of await cache.keys()) urls.push(new URL(request.url).pathname);
             }
             return [names, urls];
           }"""
    )
    assert names == [f"caretrail-shell-{static_version(app)}"], "one cache, named after this release's static files"
    assert "/offline" in cached, "the offline page is in the app shell"
    assert all(url.startswith("/static/") or url == "/offline" for url in cached), cached
    assert not [url for url in cached if "/api/" in url or "/patients/" in url or "/prescriptions/" in url]


def test_the_manifest_makes_the_app_installable(page, live_server):
    manifest = page.goto(f"{live_server}/manifest.webmanifest").json()
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    assert {icon["sizes"] for icon in manifest["icons"]} >= {"192x192", "512x512"}
    offline = page.goto(f"{live_server}/offline")
    assert offline.status == 200


def test_a_patients_contact_is_readable_on_a_phone(sign_in, live_server, sql_conn):
    """On a 390 px phone the patient page's labels no longer take the row:
    the phone number, the e-mail and the address are read on one line."""
    patient = sql_conn.execute(
        "INSERT INTO patients (last_name, first_name, birth_date, sex, phone, email, address)"
        " VALUES ('Dubois', 'Hélène', DATE '1980-05-17', 'F', '+33612345678', 'helene.dubois@example.org',"
        " '12 rue des Lilas') RETURNING id"
    ).fetchone()[0]
    page = sign_in("secretary")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/patients/show/{patient}")
    widths = page.evaluate(
        "texts => texts.map(t => { const cell = [...document.querySelectorAll('td')]"
        ".find(td => td.textContent.includes(t)); return cell ? cell.getBoundingClientRect().width : null; })",
        ["+33", "helene.dubois@example.org", "12 rue des Lilas"],
    )
    assert all(width is not None and width >= 150 for width in widths), widths
    assert page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]") == [390, 390]


def test_a_lists_quick_search_is_wide_enough_to_type_in_on_a_phone(sign_in, live_server):
    """At 390 px the quick search box takes the row and its buttons go under
    it (beside them it was 35 px wide)."""
    page = sign_in("secretary")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/patients/list/?_flt_0_last_name=dubois")
    box = page.locator(".quick-search input[type=search]").bounding_box()
    assert box["width"] >= 300, box
    assert page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]") == [390, 390]


def test_a_signed_prescription_fits_a_phone_in_french(sign_in, live_server, hospital, sql_conn):
    """A signed prescription offers its doctor to correct it; in French the
    button says "Corriger (nouvelle ordonnance remplaçant celle-ci)", 412 px
    wide on one line at 390 px. A button's text wraps on a phone."""
    medications = [row[0] for row in sql_conn.execute("SELECT id FROM medications ORDER BY id LIMIT 1")]
    prescription = signed(sql_conn, hospital["dubois"], hospital["martin"], medications)
    page = sign_in("doctor")
    page.goto(f"{live_server}/lang/fr")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/prescriptions/show/{prescription}")
    assert page.locator("button", has_text="Corriger").is_visible()
    assert page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]") == [390, 390]
