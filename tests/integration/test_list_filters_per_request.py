"""Two users searching the patients' list at the same moment each get their
own search (app/core/views.py RequestFilters): FAB keeps one Filters object
per view, refilled from each request's arguments, shared by the threads."""

import contextlib
import threading

from app.core.search import ColumnFilters, FoldedFilterConverter
from tests.agenda import make_patient
from tests.conftest import browser_login


def both_filter_at_once(monkeypatch) -> None:
    """Two patient searches each read their arguments, then both go on
    together (when nothing keeps them apart: else the wait times out)."""
    both_filtered = threading.Barrier(2, timeout=5)
    joined = ColumnFilters.get_joined_filters

    def joined_when_both_have_read_their_arguments(self, *args, **kwargs):
        # FAB's list: get_filter_args(self._filters), then this, then the query.
        if self.datamodel.obj.__name__ == "Patient" and any(self.values):
            with contextlib.suppress(threading.BrokenBarrierError):
                both_filtered.wait()
        return joined(self, *args, **kwargs)

    monkeypatch.setattr(ColumnFilters, "get_joined_filters", joined_when_both_have_read_their_arguments)


def test_two_searches_at_once_each_list_their_own_patients(app, sql_conn, monkeypatch):
    make_patient(sql_conn, "Aubertin", "Claire")
    make_patient(sql_conn, "Zimmermann", "Paul")
    browsers = {}
    for username in ("secretary", "nurse"):
        browsers[username] = app.test_client()
        browser_login(browsers[username], username)
    both_filter_at_once(monkeypatch)
    pages = {}

    def search(username: str, name: str) -> None:
        pages[username] = browsers[username].get("/patients/list/", query_string={"_flt_0_last_name": name})

    searches = [
        threading.Thread(target=search, args=("secretary", "aubertin")),
        threading.Thread(target=search, args=("nurse", "zimmermann")),
    ]
    for thread in searches:
        thread.start()
    for thread in searches:
        thread.join(30)
    secretary, nurse = (pages[u].get_data(as_text=True) for u in ("secretary", "nurse"))
    assert "Aubertin" in secretary and "Zimmermann" not in secretary
    assert "Zimmermann" in nurse and "Aubertin" not in nurse


def test_two_api_searches_at_once_each_list_their_own_patients(app, api, sql_conn, monkeypatch):
    """The same through the REST API: FAB refills one Filters object per API."""
    make_patient(sql_conn, "Aubertin", "Claire")
    make_patient(sql_conn, "Zimmermann", "Paul")
    headers = {username: api(username) for username in ("doctor", "secretary")}
    both_filter_at_once(monkeypatch)
    found = {}

    def search(username: str, name: str) -> None:
        query = f"(filters:!((col:last_name,opr:name,value:{name})))"
        answer = app.test_client().get("/api/v1/patients/", query_string={"q": query}, headers=headers[username])
        found[username] = [row["last_name"] for row in answer.get_json()["result"]]

    searches = [
        threading.Thread(target=search, args=("doctor", "aubertin")),
        threading.Thread(target=search, args=("secretary", "zimmermann")),
    ]
    for thread in searches:
        thread.start()
    for thread in searches:
        thread.join(30)
    assert found == {"doctor": ["Aubertin"], "secretary": ["Zimmermann"]}


def test_a_lists_filters_are_converted_once_not_at_every_request(app, sql_conn, monkeypatch):
    """FAB converted every column of the model into its filters for each
    Filters it made, two or three per list (issue 22); now once per data
    interface, and a search's value never sticks to the shared filters."""
    make_patient(sql_conn, "Aubertin", "Claire")
    make_patient(sql_conn, "Zimmermann", "Paul")
    client = app.test_client()
    browser_login(client, "secretary")
    assert "Aubertin" in client.get("/patients/list/").text  # the first list converts
    conversions = []
    convert = FoldedFilterConverter.convert
    monkeypatch.setattr(
        FoldedFilterConverter, "convert", lambda self, column: conversions.append(column) or convert(self, column)
    )
    searched = client.get("/patients/list/", query_string={"_flt_0_last_name": "zimmer"}).text
    unfiltered = client.get("/patients/list/").text
    assert conversions == []
    assert "Zimmermann" in searched and "Aubertin" not in searched
    assert "Zimmermann" in unfiltered and "Aubertin" in unfiltered
