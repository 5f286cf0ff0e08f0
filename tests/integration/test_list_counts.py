"""A screen's list counts exactly up to EXACT_COUNT_UP_TO rows, then shows the
planner's estimate ("≈ 500,200") instead of counting every row (issue 22:
48 ms of every unfiltered patient list at 500,000 patients), kept a minute
for the same list.  Filtered lists and the API always count exactly."""

import re

import pytest

from app.core import datamodel
from tests.agenda import make_patient
from tests.integration.test_permission_checks import statements_run


def shown_count(html: str) -> str:
    return re.search(r"Record Count:</strong>\s*([^<]+?)\s*<", html).group(1)


@pytest.fixture
def five_patients(sql_conn):
    sql_conn.execute("ANALYZE patients")
    return [make_patient(sql_conn, "Counted", f"N{i}") for i in range(5)]


def test_a_list_past_the_bound_shows_an_estimate_and_a_filtered_one_the_exact_count(
    client, login, api, sql_conn, five_patients, monkeypatch
):
    total = sql_conn.execute("SELECT count(*) FROM patients WHERE status = 'active'").fetchone()[0]
    login("secretary")
    assert shown_count(client.get("/patients/list/").text) == str(total)  # under the bound: exact
    monkeypatch.setattr(datamodel, "EXACT_COUNT_UP_TO", 3)
    assert shown_count(client.get("/patients/list/").text).startswith("≈ ")
    # a search counts exactly, and so does the API
    assert shown_count(client.get("/patients/list/", query_string={"_flt_0_last_name": "counted"}).text) == "5"
    listed = client.get("/api/v1/patients/", headers=api("secretary")).get_json()
    assert listed["count"] == total


def test_an_estimated_count_still_pages(client, login, sql_conn, five_patients, monkeypatch):
    monkeypatch.setattr(datamodel, "EXACT_COUNT_UP_TO", 3)
    login("secretary")
    page = client.get("/patients/list/", query_string={"psize_PatientView": 2, "page_PatientView": 1})
    assert page.status_code == 200 and "≈ " in page.text


def test_a_list_whose_own_filters_hold_a_list_of_values_is_estimated_too(
    client, login, sql_conn, five_patients, monkeypatch
):
    """The To be rebooked list filters on a status IN (...): its estimate is
    asked with every value bound (an expanding parameter once broke EXPLAIN)."""
    sql_conn.execute("ANALYZE appointments")
    monkeypatch.setattr(datamodel, "EXACT_COUNT_UP_TO", -1)
    login("secretary")
    page = client.get("/to-rebook/list/")
    assert page.status_code == 200 and "≈ " in page.text


class Clock:
    """A monotonic clock the test moves on."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_an_estimate_is_reused_for_a_minute_and_an_exact_count_never(
    app, client, login, sql_conn, five_patients, monkeypatch
):
    """The bounded count and the planner's estimate were 2.9 ms of each
    unfiltered list at 500,000 patients: an estimate is kept a minute and
    shared by the same list; a search counts exactly every time."""
    clock = Clock()
    monkeypatch.setitem(app.extensions, datamodel.ESTIMATES, datamodel.Estimates(timer=clock))
    monkeypatch.setattr(datamodel, "EXACT_COUNT_UP_TO", 3)
    login("secretary")
    with statements_run(app) as first:
        estimate = shown_count(client.get("/patients/list/").text)
    assert estimate.startswith("≈ ") and any(s.startswith("EXPLAIN") for s in first)

    make_patient(sql_conn, "Counted", "Later")
    with statements_run(app) as again:
        assert shown_count(client.get("/patients/list/").text) == estimate
    assert not [s for s in again if s.startswith("EXPLAIN") or "count(" in s]

    # a search is counted exactly, also the second time, with the new patient
    searched = {"_flt_0_last_name": "counted"}
    assert shown_count(client.get("/patients/list/", query_string=searched).text) == "6"
    make_patient(sql_conn, "Counted", "Last")
    assert shown_count(client.get("/patients/list/", query_string=searched).text) == "7"

    clock.now += datamodel.ESTIMATE_SECONDS + 1
    with statements_run(app) as after_a_minute:
        client.get("/patients/list/")
    assert any(s.startswith("EXPLAIN") for s in after_a_minute)


def test_lists_that_differ_by_a_value_do_not_share_an_estimate(app):
    from sqlalchemy import select

    from app.records.models import Patient

    def statement(status):
        return select(Patient.id).where(Patient.status == status)

    key = datamodel.Estimates.key
    assert key(statement("active"), 3) == key(statement("active"), 3)  # the same list, built again
    assert key(statement("active"), 3) != key(statement("inactive"), 3)
    assert key(statement("active"), 3) != key(statement("active"), 1000)  # counted under another bound


def test_a_list_sqlalchemy_cannot_key_is_estimated_every_time(app):
    """A statement with a construct not declared cacheable has no cache key:
    its estimate is made each time rather than kept under a wrong key."""
    from sqlalchemy import column, select, types

    class Uncacheable(types.UserDefinedType):
        cache_ok = None  # undeclared: SQLAlchemy will not key a statement using it

        def get_col_spec(self, **_kw):
            return "text"

    statement = select(column("x", Uncacheable()))
    with pytest.warns(Warning):
        key = datamodel.Estimates.key(statement, 3)
    assert key is None
    estimates = datamodel.Estimates()
    estimates.keep(key, datamodel.EstimatedCount(5))
    assert estimates.get(key) is None


@pytest.fixture
def thirty_duboises(sql_conn):
    for i in range(30):
        make_patient(sql_conn, "Dubois", f"N{i:02}")
    make_patient(sql_conn, "Martin", "Paul")
    sql_conn.execute("ANALYZE patients")


def test_a_name_search_counts_its_matches_on_every_page(client, login, api, thirty_duboises):
    """A name search counts its matches in its page's statement (issue 22):
    the same count on each page, and on a page past the last match, which
    counts alone; the typo fallback's similar names are counted so too."""
    login("secretary")
    for page, rows in ((0, 20), (1, 10), (4, 0)):
        arguments = {"_flt_0_last_name": "dubois", "psize_PatientView": 20, "page_PatientView": page}
        answer = client.get("/patients/list/", query_string=arguments).text
        assert shown_count(answer) == "30", page
        assert len(re.findall(r"<td>N\d\d</td>", answer)) == rows, page
    assert shown_count(client.get("/patients/list/", query_string={"_flt_0_last_name": "dubuis"}).text) == "30"
    headers = api("secretary")
    for page, rows in ((0, 20), (1, 10), (4, 0)):
        rison = f"(filters:!((col:last_name,opr:name,value:dubois)),page:{page},page_size:20)"
        listed = client.get("/api/v1/patients/", query_string={"q": rison}, headers=headers).get_json()
        assert (listed["count"], len(listed["result"])) == (30, rows), page
