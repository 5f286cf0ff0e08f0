"""The audit entries as the list shows them, prepared in one pass (issue 22).

templates/audit/_entries.html shows up to 500 entries, each with its changed
fields and, for an update, the whole row: a few thousand cells a page.
Formatted cell by cell in Jinja (a show_value call per cell, five url_for
and ten gettext calls per entry, an autoescape per cell) that was most of the
page's time, six times the login page's.  Here each value is formatted and
escaped once, the rows of a table joined into one string, and the links
completed per entry from what url_for built once for the page; the template
places these (and looks its labels up once).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import quote_plus

from flask import url_for
from markupsafe import Markup, escape

from app.audit.search import AuditEntry, show_value
from app.core.formatting import datetime_seconds_formatter

RESTORE_MODES = ("before", "after", "transaction")
# Stands for the entry id while url_for builds a restore link once a page;
# any number does (the link is cut at its first occurrence, in the path).
_ENTRY_ID_MARKER = 7_777_777_777
# The characters werkzeug leaves as they are in a query-string value
# (werkzeug.urls._urlencode): a link completed here is the one url_for builds
# (tests/integration/test_audit_search.py compares them).
_QUERY_SAFE = "!$'()*,/:;?@"
# The rows of the two tables; every %s but the class is escaped (HtmlCells).
_CHANGE_ROW = '<tr class="%s"><th scope="row">%s</th><td class="audit-old">%s</td><td class="audit-new">%s</td></tr>'
_WHOLE_ROW = '<tr class="%s"><th scope="row">%s</th><td>%s</td><td>%s</td></tr>'


@dataclass(slots=True)
class ShownEntry:
    entry: AuditEntry
    occurred_at: str  # to the second, in the hospital's zone and the user's format
    changes: Markup  # rows of the changed fields
    whole_row: Markup  # rows of every field, for an update only
    transaction_url: str
    row_history_url: str | None
    restore_urls: tuple[str, str, str] | None  # before, after, the whole transaction; None: not offered


class EntryLinks:
    """The links under each entry, as url_for writes them, built once a page."""

    def __init__(self, here: str, *, can_restore: bool):
        self._log = url_for("AuditLogView.index")
        self._restore = None
        if can_restore:
            self._restore = [
                url_for("AuditRestoreView.confirm", entry_id=_ENTRY_ID_MARKER, mode=mode, next=here).partition(
                    str(_ENTRY_ID_MARKER)
                )
                for mode in RESTORE_MODES
            ]

    def transaction(self, entry: AuditEntry) -> str:
        return f"{self._log}?txid={_query_value(entry.txid)}"

    def row_history(self, entry: AuditEntry) -> str | None:
        if not entry.row_pk:
            return None
        return f"{self._log}?table={_query_value(entry.table_name)}&record={_query_value(entry.row_pk)}"

    def restore(self, entry: AuditEntry) -> tuple[str, str, str] | None:
        # A TRUNCATE has no row to put back.
        if self._restore is None or entry.operation == "TRUNCATE":
            return None
        before, after, transaction = (f"{head}{entry.id}{tail}" for head, _, tail in self._restore)
        return before, after, transaction


class HtmlCells:
    """Field names and values as a cell shows them, escaped, each text once a
    page: names repeat on every entry of a table, and so does the dash of a
    side without a row (an insert's before)."""

    def __init__(self):
        self._escaped: dict[str, str] = {}

    def __call__(self, value) -> str:
        text = show_value(value)
        html = self._escaped.get(text)
        if html is None:
            html = self._escaped[text] = str(escape(text))
        return html


def shown_entries(entries: Iterable[AuditEntry], links: EntryLinks) -> list[ShownEntry]:
    occurred_at, cells = datetime_seconds_formatter(), HtmlCells()
    return [_shown(entry, links, occurred_at, cells) for entry in entries]


def _shown(entry: AuditEntry, links: EntryLinks, occurred_at: Callable, cells: HtmlCells) -> ShownEntry:
    changes, whole_row = _field_rows(entry, cells)
    return ShownEntry(
        entry=entry,
        occurred_at=occurred_at(entry.occurred_at),
        changes=changes,
        whole_row=whole_row,
        transaction_url=links.transaction(entry),
        row_history_url=links.row_history(entry),
        restore_urls=links.restore(entry),
    )


def _field_rows(entry: AuditEntry, cells: HtmlCells) -> tuple[Markup, Markup]:
    """The rows of the changed fields and, for an update, of the whole row (an
    insert or a delete is all changes).  A masked field is marked masked rather
    than changed in the first table, both in the second."""
    changes, whole_row = [], []
    is_update = entry.operation == "UPDATE"
    for field in entry.all_fields():
        name, old, new = cells(field.name), cells(field.old), cells(field.new)
        if field.changed:
            changed_class = "audit-masked" if field.masked else "audit-field-changed"
            changes.append(_CHANGE_ROW % (changed_class, name, old, new))
        if is_update:
            row_class = ("audit-field-changed" if field.changed else "") + (" audit-masked" if field.masked else "")
            whole_row.append(_WHOLE_ROW % (row_class, name, old, new))
    # Every value in them went through HtmlCells (escaped).
    return Markup("".join(changes)), Markup("".join(whole_row))  # noqa: S704


def _query_value(value: object) -> str:
    return quote_plus(str(value), safe=_QUERY_SAFE)
