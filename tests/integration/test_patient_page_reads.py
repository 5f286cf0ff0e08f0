"""The patient page's statement, built once for the users of the same roles
and kept (app/records/page.py, issue 22): every patient opened with it
shows their own record, every user their own values, each role the reads
it allows; a role made by hand in the screens gets its statement built at
each page."""

import pytest

from app.records import page
from app.records.views import KEPT_PAGE_READS
from tests.agenda import make_patient
from tests.conftest import browser_login
from tests.prescribing import allergy


@pytest.fixture
def built(monkeypatch):
    """How many times the page's statement is built (PageReads made)."""
    made = []
    original = page.PageReads.__init__

    def counted(self, parts):
        made.append(sorted(parts))
        original(self, parts)

    monkeypatch.setattr(page.PageReads, "__init__", counted)
    return made


def test_one_statement_serves_every_patient_a_user_opens(app, client, login, sql_conn, ward_today, built):
    first, second = ward_today["dubois"], ward_today["durand"]  # an allergy to penicillin; none
    allergy(sql_conn, second, substance="ARACHIDE")
    app.extensions.pop(KEPT_PAGE_READS, None)
    login("doctor")
    pages = {pid: client.get(f"/patients/show/{pid}").get_data(as_text=True).lower() for pid in (first, second, first)}
    assert len(built) == 1  # built at the first page, kept for the others
    assert "penicilline" in pages[first] and "arachide" not in pages[first]
    assert "arachide" in pages[second] and "penicilline" not in pages[second]


def test_users_of_the_same_roles_share_it_each_with_their_own_values(app, sql_conn, ward_today, built):
    """Two doctors: the one linked to Dr Martin is offered to prescribe, the
    other (linked to no doctor) is not; one statement serves both, the
    login whose doctor is looked up being a parameter."""
    from tests.conftest import TEST_PASSWORD

    with app.app_context():
        sm = app.appbuilder.sm
        sm.add_user("doctor2", "Second", "Doctor", "doctor2@test.local", sm.find_role("Doctor"), password=TEST_PASSWORD)
    app.extensions.pop(KEPT_PAGE_READS, None)
    shown = {}
    for username in ("doctor", "doctor2", "doctor"):
        browser = app.test_client()
        browser_login(browser, username)
        answer = browser.get(f"/patients/show/{ward_today['dubois']}")
        assert answer.status_code == 200
        shown[username] = answer.get_data(as_text=True)
    assert len(built) == 1
    assert 'data-action="prescribe"' in shown["doctor"] and 'data-action="prescribe"' not in shown["doctor2"]


def test_each_user_reads_what_their_roles_allow(app, sql_conn, ward_today, built):
    app.extensions.pop(KEPT_PAGE_READS, None)
    shown = {}
    for role in ("doctor", "secretary", "doctor"):
        browser = app.test_client()
        browser_login(browser, role)
        shown[role] = browser.get(f"/patients/show/{ward_today['dubois']}").get_data(as_text=True).lower()
    assert len(built) == 2  # one statement each, the doctor's kept
    assert "penicilline" in shown["doctor"] and "penicilline" not in shown["secretary"]


def test_a_role_made_by_hand_gets_its_statement_built_at_each_page(app, sql_conn, monkeypatch, built):
    """The database holds what such a role may do, and an administrator may
    change it at any time: nothing is kept for it."""
    from app.records import views

    patient = make_patient(sql_conn, "Keptnone", "Di")
    monkeypatch.setattr(views, "knows_roles", lambda roles: False)
    app.extensions.pop(KEPT_PAGE_READS, None)
    browser = app.test_client()
    browser_login(browser, "doctor")
    for _ in range(2):
        assert browser.get(f"/patients/show/{patient}").status_code == 200
    assert len(built) == 2
    assert not app.extensions.get(KEPT_PAGE_READS) or not app.extensions[KEPT_PAGE_READS]._kept
