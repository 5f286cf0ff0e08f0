"""The audit list's cost per entry (issue 22): no query, link building or
translation lookup per entry, and links that are still url_for's own.
Counts, not timings (bench/ times the page)."""

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import flask_babel
from flask import url_for
from sqlalchemy import event

from app.audit.views.entries import EntryLinks
from app.core.extensions import db
from tests.integration.test_audit_search import new_patient


def page_costs(app, client, monkeypatch, path: str) -> dict[str, int]:
    """Queries, url_for calls and translation lookups of one request."""
    counts = {"queries": 0, "url_for": 0, "translations": 0}

    def counted(name, function):
        def wrapper(*args, **kwargs):
            counts[name] += 1
            return function(*args, **kwargs)

        return wrapper

    with monkeypatch.context() as patch:
        # The templates' url_for is the app's bound method, taken when the Jinja environment was made.
        patch.setitem(app.jinja_env.globals, "url_for", counted("url_for", app.jinja_env.globals["url_for"]))
        patch.setattr(app, "url_for", counted("url_for", app.url_for))
        lookup = flask_babel.Domain.get_translations  # under every gettext, template's or Python's
        patch.setattr(flask_babel.Domain, "get_translations", counted("translations", lookup))
        with app.app_context():
            engine = db.engine
        record = counted("queries", lambda *_args: None)
        event.listen(engine, "before_cursor_execute", record)
        try:
            response = client.get(path)
        finally:
            event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200, response.status_code
    assert response.get_data(as_text=True).count("data-entry-id=") == int(path.rsplit("=", 1)[1])
    return counts


def test_more_entries_cost_no_more_queries_links_or_translations(app, client, login, sql_conn, monkeypatch):
    """Twelve entries (inserts and updates, with the links an admin's
    entries carry) cost what two cost: a query, a url_for or a gettext per
    entry would show here."""
    for n in range(7):  # 14 entries: both pages have older ones (the same links and labels)
        patient = new_patient(sql_conn, f"Cost{n}")
        sql_conn.execute("UPDATE patients SET city = 'Lyon' WHERE id = %s", [patient])
    login("admin")
    client.get("/audit/")  # the audited tables are read from the catalog once a minute, here
    few = page_costs(app, client, monkeypatch, "/audit/?table=patients&page_size=2")
    many = page_costs(app, client, monkeypatch, "/audit/?table=patients&page_size=12")
    assert many == few
    assert few["queries"] <= 8  # as test_permission_checks: an admin's top bar counts the new alerts


def test_entry_links_are_the_ones_url_for_builds(app):
    """The links are completed per entry from prefixes built once: with any
    row key (spaces, &, #, %, slashes, accents) and any `next`, they equal
    url_for's."""
    here = "/audit/?text=a b&c#d%&table=public.patients"
    with app.test_request_context("/audit/"):
        links = EntryLinks(here, can_restore=True)
        for row_pk in ("1", "a b&c=d#e%f/g?h", "Léa,2", "+'!$()*:;@"):
            entry = SimpleNamespace(
                id=4_808_662,
                txid="4302",
                table_name="public.patients",
                row_pk=row_pk,
                operation="UPDATE",
                occurred_at=datetime(2026, 12, 7, 10, 23, 7, 812861, tzinfo=timezone(timedelta(hours=1))),
            )
            assert links.transaction(entry) == url_for("AuditLogView.index", txid="4302")
            assert links.detail(entry) == url_for(
                "AuditLogView.entry", entry_id=entry.id, next=here, at=entry.occurred_at.isoformat()
            )
            assert links.row_history(entry) == url_for("AuditLogView.index", table="public.patients", record=row_pk)
            assert links.restore(entry) == tuple(
                url_for("AuditRestoreView.confirm", entry_id=entry.id, mode=mode, next=here)
                for mode in ("before", "after", "transaction")
            )
        truncate = SimpleNamespace(id=7, txid="1", table_name="public.rooms", row_pk=None, operation="TRUNCATE")
        assert links.row_history(truncate) is None and links.restore(truncate) is None
        assert EntryLinks(here, can_restore=False).restore(entry) is None
        history = EntryLinks(here, can_restore=False, patient=12)
        assert history.detail(entry) == url_for(
            "AuditLogView.entry", entry_id=entry.id, next=here, patient=12, at=entry.occurred_at.isoformat()
        )
