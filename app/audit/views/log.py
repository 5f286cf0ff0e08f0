"""The audit log screens: every change in one list, a patient's history, exports.

One rendering path: the list page and its search-as-you-type refresh
(`?partial=1`, fetched by static/js/audit_log.js) render the same template,
so the page also works without JavaScript.  Filters live in the query
string: a filtered view can be bookmarked, shared and exported as is.
"""

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urlencode

from flask import Response, abort, request, stream_with_context, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from markupsafe import Markup, escape

from app.audit.search import (
    ACTIONS,
    AuditFilters,
    AuditQueryError,
    Cursor,
    audited_tables,
    find_entry,
    hide_unreadable,
    iter_entries,
    parse_instant,
    parse_page_size,
    search,
)
from app.audit.views.entries import EntryLinks, entry_detail, entry_items
from app.core.actor import current_actor
from app.core.extensions import db
from app.core.links import local_path
from app.documents.access import may_issue
from app.records.models import Patient
from app.security.journal import journal_patient_read
from app.security.policy import READ, RESTORE, may
from app.security.roles import AUDIT

PAGING_PARAMETERS = ("cursor", "page_size", "partial")
EXPORT_COLUMNS = (
    "id",
    "occurred_at",
    "txid",
    "table_name",
    "operation",
    "row_pk",
    "changed_columns",
    "app_user_id",
    "app_username",
    "claimed_user",
    "db_user",
    "client_addr",
    "application_name",
    "request_id",
    "reason",
    "on_behalf_of",
    "old_row",
    "new_row",
)


def table_options(tables: list[str], selected: str | None) -> Markup:
    """The table filter's choices, drawn as one string: eighty options drawn
    one by one in Jinja were a twentieth of the list page (issue 22)."""
    options = (
        f'<option value="{escape(table)}"{" selected" if table == selected else ""}>'
        f"{escape(table.removeprefix('public.'))}</option>"
        for table in tables
    )
    return Markup("".join(options))  # noqa: S704 (every name escaped)


class AuditLogView(BaseView):
    route_base = "/audit"
    default_view = "index"
    class_permission_name = AUDIT
    # A patient's history is also for doctors (HISTORY): that page and its
    # entries (`entry` with the patient), not the whole log.
    method_permission_name = {
        "index": "read",
        "patient": "history",
        "entry": "history",
        "export_csv": "read",
        "export_jsonl": "read",
    }

    @expose("/")
    @has_access
    def index(self):
        return self._render_search("audit/log.html", ignore=PAGING_PARAMETERS)

    @expose("/patient/<int:patient_id>")
    @has_access
    def patient(self, patient_id: int):
        patient = db.session.get(Patient, patient_id)
        journal_patient_read(db.session, current_actor(), patient_id, "history", door="screen")
        # A deleted patient still has a history (that is how it is restored).
        return self._render_search(
            "audit/patient_history.html",
            ignore=(*PAGING_PARAMETERS, "patient"),
            fixed={"patient": patient_id},
            patient=patient,
            patient_id=patient_id,
            fixed_patient=True,
            may_print_history=may_issue(current_actor(), "audit_history"),
        )

    @expose("/entry/<int:entry_id>")
    @has_access
    def entry(self, entry_id: int):
        """One entry opened: its fields, origin and links, as the list shows
        them when the entry is opened (?partial=1, fetched by audit_log.js),
        or on a page of its own.  `at` (when it occurred) finds it through
        its partition's index; `patient`, for a patient's history, limits
        it to that patient's rows, and is required of those who may not
        read the whole log; `next` is the list the restores come back to."""
        actor = current_actor()
        try:
            occurred_at = parse_instant("at", request.args.get("at"))
            filters = AuditFilters.parse({"patient": request.args.get("patient")})
        except AuditQueryError as error:
            abort(Response(f"{error.field}: {error.message}\n", 400, mimetype="text/plain"))
        can_browse = may(actor, READ, AUDIT)
        if filters.patient is None and not can_browse:
            abort(403, description="Only a patient's history: name the patient.")
        entry = find_entry(entry_id, occurred_at, filters)
        if entry is None:
            abort(404)
        entry = next(hide_unreadable([entry], actor))
        here = local_path(request.args.get("next")) or url_for("AuditLogView.index")
        links = EntryLinks(here, can_restore=may(actor, RESTORE, AUDIT), patient=filters.patient)
        detail = entry_detail(entry, links, can_browse=can_browse)
        if request.args.get("partial") == "1":
            return Response(detail, mimetype="text/html")
        return self.render_template(
            "audit/entry.html", entry_item=entry_items([entry], links, detail=detail), back=here
        )

    @expose("/export.csv")
    @has_access
    def export_csv(self):
        filters = self._filters_or_400()
        actor = current_actor()

        def rows() -> Iterator[str]:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(EXPORT_COLUMNS)
            for entry in hide_unreadable(iter_entries(filters), actor):
                record = entry.as_dict()
                record["changed_columns"] = " ".join(record["changed_columns"])
                for side in ("old_row", "new_row"):
                    if record[side] is not None:
                        record[side] = json.dumps(record[side], ensure_ascii=False, sort_keys=True)
                writer.writerow(record[name] for name in EXPORT_COLUMNS)
                if buffer.tell() > 64 * 1024:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
            yield buffer.getvalue()

        return self._download(rows(), "text/csv; charset=utf-8", "csv")

    @expose("/export.jsonl")
    @has_access
    def export_jsonl(self):
        filters = self._filters_or_400()
        actor = current_actor()

        def lines() -> Iterator[str]:
            for entry in hide_unreadable(iter_entries(filters), actor):
                yield json.dumps(entry.as_dict(), ensure_ascii=False, sort_keys=True) + "\n"

        return self._download(lines(), "application/x-ndjson; charset=utf-8", "jsonl")

    def _filters_or_400(self) -> AuditFilters:
        try:
            return AuditFilters.parse(request.args.to_dict(), ignore=PAGING_PARAMETERS)
        except AuditQueryError as error:
            abort(Response(f"{error.field}: {error.message}\n", 400, mimetype="text/plain"))

    @staticmethod
    def _download(chunks: Iterator[str], mimetype: str, extension: str) -> Response:
        name = f"caretrail-audit-{datetime.now(UTC):%Y%m%d-%H%M%S}.{extension}"
        response = Response(stream_with_context(chunks), mimetype=mimetype)
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    def _render_search(self, template: str, *, ignore: tuple[str, ...], fixed: dict | None = None, **context):
        params = request.args.to_dict()
        error = None
        filters = AuditFilters()
        page = None
        try:
            filters = AuditFilters.parse({**params, **(fixed or {})}, ignore=ignore)
            page = search(
                filters,
                cursor=Cursor.decode(params.get("cursor")),
                page_size=parse_page_size(params.get("page_size")),
                with_rows=False,  # an entry's fields are read when it is opened (entries.py)
            )
            page.entries = list(hide_unreadable(page.entries, current_actor()))
        except AuditQueryError as problem:
            error = problem
        query = {k: v for k, v in params.items() if k not in PAGING_PARAMETERS}
        export_query = filters.as_params() if error is None else {}
        here = request.path + ("?" + urlencode(query) if query else "")
        can_restore = may(current_actor(), RESTORE, AUDIT)
        can_browse = may(current_actor(), READ, AUDIT)
        links = EntryLinks(here, can_restore=can_restore, patient=(fixed or {}).get("patient"))
        context.update(
            here=here,
            filters=filters,
            page=page,
            entry_items=entry_items(page.entries, links) if page else "",
            error=error,
            query=query,
            actions=ACTIONS,
            table_options=table_options(audited_tables(), filters.table),
            can_restore=can_restore,
            can_browse=can_browse,
            export_csv_url=url_for("AuditLogView.export_csv", **export_query),
            export_jsonl_url=url_for("AuditLogView.export_jsonl", **export_query),
        )
        partial = request.args.get("partial") == "1"
        status = 400 if error else 200
        if partial:
            return self.render_template("audit/_entries.html", **context), status
        return self.render_template(template, **context), status
