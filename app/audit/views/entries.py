"""The audit entries as the list shows them, drawn in one pass (issue 22).

The list (templates/audit/_entries.html) shows up to 500 entries.  Each is a
<details>: its summary says when, who, what and why; opened, it shows the
entry's fields (every column of the row for an insert or a delete, the
changed ones and the whole row for an update), where the change came from,
and the links to the same transaction, the row's history and the restores.
Drawn for all fifty entries of a page, the fields were thousands of cells
and most of the page's cost (five and a half times the login page's, half
of it reading and decoding the rows' JSON); so the list reads the entries
without their rows, and an entry's fields are fetched when it is opened
(`entry_detail`, AuditLogView.entry; static/js/audit_log.js), with a link
to the entry's own page without JavaScript.

Each entry is one string, every value escaped once, the links completed
from what url_for built once for the page, the labels translated once.
"""

from collections.abc import Iterable
from urllib.parse import quote_plus

from flask import url_for
from flask_babel import gettext
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


class EntryLinks:
    """The links of each entry, as url_for writes them, built once a page.
    `here` is the list the restores come back to; `patient`, a patient's
    history the entries are read from (its readers may read those only)."""

    def __init__(self, here: str, *, can_restore: bool, patient: int | None = None):
        self._log = url_for("AuditLogView.index")
        fixed = {"patient": patient} if patient is not None else {}
        self._detail = url_for("AuditLogView.entry", entry_id=_ENTRY_ID_MARKER, next=here, **fixed).partition(
            str(_ENTRY_ID_MARKER)
        )
        self._restore = None
        if can_restore:
            self._restore = [
                url_for("AuditRestoreView.confirm", entry_id=_ENTRY_ID_MARKER, mode=mode, next=here).partition(
                    str(_ENTRY_ID_MARKER)
                )
                for mode in RESTORE_MODES
            ]

    def detail(self, entry: AuditEntry) -> str:
        """The entry's fields and links (with when it occurred: its partition and index)."""
        head, _, tail = self._detail
        return f"{head}{entry.id}{tail}&at={_query_value(entry.occurred_at.isoformat())}"

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
        text = value if value.__class__ is str else show_value(value)  # most are text: a call less
        html = self._escaped.get(text)
        if html is None:
            html = self._escaped[text] = str(escape(text))
        return html


class EntryLabels:
    """What the entries say, translated once a page."""

    def __init__(self):
        # Each text in a gettext call of its own: the catalogue's extraction reads them there.
        field, before, after = escape(gettext("Field")), escape(gettext("Before")), escape(gettext("After"))
        self.diff_head = (
            f'<thead><tr><th scope="col">{field}</th><th scope="col">{before}</th>'
            f'<th scope="col">{after}</th></tr></thead>'
        )
        self.show_detail = escape(gettext("Show the fields of this entry"))
        self.whole_row = escape(gettext("Whole row"))
        self.restore = (
            escape(gettext("Restore the state before")),
            escape(gettext("Restore the state after")),
            escape(gettext("Undo the whole transaction")),
        )
        self.entry, self.role = escape(gettext("Entry")), escape(gettext("database role"))
        self.claimed, self.origin = escape(gettext("claimed (not trusted):")), escape(gettext("from"))
        self.request = escape(gettext("request"))
        self.same_transaction = escape(gettext("Same transaction"))
        self.row_history = escape(gettext("History of this row"))


def entry_items(entries: Iterable[AuditEntry], links: EntryLinks, *, detail: Markup | None = None) -> Markup:
    """The list items (<li>) of the entries, closed, each with a link to its
    fields (fetched when it is opened); or, given the `detail` of the one
    entry, that entry opened (its own page)."""
    occurred_at, labels = datetime_seconds_formatter(), EntryLabels()
    items = []
    for entry in entries:
        if detail is None:
            url = escape(links.detail(entry))
            body = f'<div class="audit-detail" data-detail-url="{url}"><a href="{url}">{labels.show_detail}</a></div>'
        else:
            body = f'<div class="audit-detail">{detail}</div>'
        opened = " open" if detail is not None else ""
        summary = _summary(entry, occurred_at(entry.occurred_at))
        items.append(
            f'<li class="audit-entry audit-{escape(entry.operation.lower())}" data-entry-id="{entry.id}">'
            f"<details{opened}><summary>{summary}</summary>{body}</details></li>"
        )
    return Markup("".join(items))  # noqa: S704 (every value in them escaped)


def _summary(entry: AuditEntry, occurred_at: str) -> str:
    """When, who, what and why."""
    operation = escape(entry.operation)
    shown = [
        f'<time datetime="{entry.occurred_at.isoformat()}">{escape(occurred_at)}</time>',
        f'<strong class="audit-actor">{escape(entry.actor)}</strong>',
        f'<span class="label audit-op-{operation.lower()}">{operation}</span>',
        f"{escape(entry.table)} #{escape(entry.row_pk or '—')}",
    ]
    if entry.operation == "UPDATE":
        shown.append(f'<span class="audit-changed">{escape(", ".join(entry.changed_columns))}</span>')
    if entry.reason:
        shown.append(f'<em class="audit-reason">“{escape(entry.reason)}”</em>')
    return " ".join(shown)


def entry_detail(entry: AuditEntry, links: EntryLinks, *, can_browse: bool) -> Markup:
    """What an opened entry shows: its fields, where the change came from
    and, to those who may browse the log, the links to the same transaction,
    the row's history and the restores offered."""
    labels = EntryLabels()
    changes, whole_row = _field_rows(entry, HtmlCells())
    shown = [f'<table class="table table-condensed audit-diff">{labels.diff_head}<tbody>{changes}</tbody></table>']
    if entry.operation == "UPDATE":
        shown.append(
            f'<details class="audit-whole-row"><summary>{labels.whole_row}</summary>'
            f'<table class="table table-condensed">{labels.diff_head}<tbody>{whole_row}</tbody></table></details>'
        )
    meta = [f"{labels.entry} {entry.id} · {labels.role} {escape(entry.db_user)}"]
    if entry.claimed_user:
        meta.append(f"· {labels.claimed} {escape(entry.claimed_user)}")
    if entry.client_addr:
        meta.append(f"· {labels.origin} {escape(entry.client_addr)}")
    if entry.application_name:
        meta.append(f"· {escape(entry.application_name)}")
    if entry.request_id:
        meta.append(f"· {labels.request} {escape(entry.request_id)}")
    shown.append(f'<p class="audit-meta small text-muted">{" ".join(meta)}</p>')
    if can_browse:
        shown.append(_browse_links(entry, links, labels))
    return Markup("".join(shown))  # noqa: S704 (every value in them escaped)


def _browse_links(entry: AuditEntry, links: EntryLinks, labels: EntryLabels) -> str:
    shown = [f'<a href="{escape(links.transaction(entry))}">{labels.same_transaction} ({escape(entry.txid)})</a>']
    row_history = links.row_history(entry)
    if row_history:
        shown.append(f'· <a href="{escape(row_history)}">{labels.row_history} ({escape(entry.table)})</a>')
    restore = links.restore(entry)
    if restore:
        before, after, transaction = (escape(url) for url in restore)
        shown.append(
            f'· <a class="btn btn-warning btn-xs" href="{before}">{labels.restore[0]}</a>'
            f' <a class="btn btn-default btn-xs" href="{after}">{labels.restore[1]}</a>'
            f' <a class="btn btn-default btn-xs" href="{transaction}">{labels.restore[2]}</a>'
        )
    return f'<p class="audit-links">{" ".join(shown)}</p>'


def _field_rows(entry: AuditEntry, cells: HtmlCells) -> tuple[str, str]:
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
    return "".join(changes), "".join(whole_row)  # every value went through HtmlCells (escaped)


def _query_value(value: object) -> str:
    return quote_plus(str(value), safe=_QUERY_SAFE)
