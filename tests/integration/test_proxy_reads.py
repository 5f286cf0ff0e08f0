"""Reads through Flask's proxies (g, request, current_user) per page, bounded
(app/core/request_locals.py, issue 22): on Python 3.11 each costs an
AttributeError built and dropped, 0.6 µs against 0.03 on the object, and
the code run per translation, link or permission check read them hundreds
of times a page.  Counts, not timings (bench/ times the pages)."""

import werkzeug.local

from tests.agenda import make_patient


def proxy_reads(client, monkeypatch, path: str) -> int:
    """Attribute reads through a werkzeug proxy while answering `path`."""
    count = 0
    lookup = werkzeug.local._ProxyLookup.__get__

    def counted(self, instance, owner=None):
        nonlocal count
        if instance is not None and self.name == "__getattr__":  # an attribute, not an operator
            count += 1
        return lookup(self, instance, owner)

    with monkeypatch.context() as patch:
        patch.setattr(werkzeug.local._ProxyLookup, "__get__", counted)
        response = client.get(path)
    assert response.status_code == 200, path
    return count


# Measured when the budgets were set, and before app/core/request_locals.py:
# the list 286 (541 before), the patient page 257 (479 before).
BUDGETS = {"/patients/list/?_flt_0_last_name=proxyread": 310, "/patients/show/{pid}": 280}


def test_the_main_pages_read_flasks_proxies_within_their_budget(client, login, sql_conn, monkeypatch):
    """The secretary's patient list (25 rows, every link and label) and a
    patient's page: translating, linking and checking permissions through
    the proxies again, per string, link or check, would exceed the budget."""
    pid = None
    for number in range(30):
        pid = make_patient(sql_conn, "Proxyread", f"Ana{number:02d}")
    login("secretary")
    for path, budget in BUDGETS.items():
        path = path.format(pid=pid)
        client.get(path)  # caches of the first request (the menu, the statements) filled
        assert proxy_reads(client, monkeypatch, path) <= budget, path
