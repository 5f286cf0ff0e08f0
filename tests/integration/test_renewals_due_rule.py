"""Renewals due: one rule (app/prescribing/rules.renewals_due) decides whose
prescriptions an actor sees, and every door (the screen, the API, the
doctor's home) asks it.  The screen and the API used to decide each in
their own way: a doctor saw every doctor's on the screen (?everyone=1) and
any one doctor's through the API (?prescriber_id=); now a doctor sees their
own, whichever door, and the other readers everyone's (or one prescriber's)."""

import re

import pytest

from app.core.actor import Actor
from app.core.errors import Forbidden
from app.core.extensions import db
from app.prescribing import rules as prescribing
from tests.conftest import browser_logout
from tests.prescribing import make_ward, signed

API = "/api/v1/prescriptions/renewals_due"
SCREEN = "/renewals-due/"


@pytest.fixture
def ward(sql_conn):
    ward = make_ward(sql_conn)
    conn = ward["conn"]
    ward["martins"] = signed(conn, ward["dubois"], ward["martin"], [ward["med"]["WARF"]], valid_until="today")
    ward["petits"] = signed(conn, ward["durand"], ward["petit"], [ward["med"]["PARA"]], valid_until="today")
    return ward


def through_the_api(client, headers, query: str):
    response = client.get(f"{API}?days=7{query}", headers=headers)
    if response.status_code != 200:
        return response.status_code
    return sorted(row["id"] for row in response.get_json()["result"])


def through_the_screen(client, query: str):
    response = client.get(f"{SCREEN}?days=7{query}")
    if response.status_code != 200:
        return response.status_code
    return sorted(int(pk) for pk in re.findall(r'data-prescription-id="(\d+)"', response.get_data(as_text=True)))


@pytest.mark.parametrize("username", ["doctor", "nurse", "radiologist", "admin"])
def test_the_same_actor_gets_the_same_renewals_due_through_the_screen_and_the_api(client, login, api, ward, username):
    queries = ["", f"&prescriber_id={ward['petit']}", f"&prescriber_id={ward['martin']}"]
    headers = api(username)
    browser_logout(client)
    login(username)
    by_api = {query: through_the_api(client, headers, query) for query in queries}
    by_screen = {query: through_the_screen(client, query) for query in queries}
    assert by_screen == by_api
    # The screen's old "every doctor's" box (?everyone=1) no longer widens anything.
    assert through_the_screen(client, "&everyone=1") == by_api[""]
    if username == "doctor":  # their own, whatever they ask; another doctor's is refused
        assert by_api == {
            "": [ward["martins"]],
            f"&prescriber_id={ward['petit']}": 403,
            f"&prescriber_id={ward['martin']}": [ward["martins"]],
        }
    else:  # everyone's, or the one prescriber's they name
        assert by_api[""] == sorted([ward["martins"], ward["petits"]])
        assert by_api[f"&prescriber_id={ward['petit']}"] == [ward["petits"]]


def test_the_rule_itself_refuses_renewals_due_to_a_role_that_reads_no_prescription(app, ward):
    with app.app_context():

        def actor(username: str) -> Actor:
            return Actor.of(app.appbuilder.sm.find_user(username=username))

        for username in ("secretary", "auditor"):
            with pytest.raises(Forbidden, match="may not read prescriptions"):
                prescribing.renewals_due(db.session, actor(username))
        with pytest.raises(Forbidden, match="their own"):
            prescribing.renewals_due(db.session, actor("doctor"), prescriber_id=ward["petit"])
        assert [row.prescription.id for row in prescribing.renewals_due(db.session, actor("doctor"))] == [
            ward["martins"]
        ]
        everyone = prescribing.renewals_due(db.session, actor("nurse"))
        assert sorted(row.prescription.id for row in everyone) == sorted([ward["martins"], ward["petits"]])
