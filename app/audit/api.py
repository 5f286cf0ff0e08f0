"""REST API of the audit: /api/audit/ (search, a patient's history, statistics, restore).

JWT from /api/v1/security/login like the other APIs; reading needs can_read
on Audit (Admin, Auditor), restoring can_restore (Admin).  Every answer is
JSON; bad input is a 400 naming the field, never a 500.
"""

from dataclasses import asdict
from datetime import UTC, datetime, timedelta

from flask import request
from flask_appbuilder.api import expose, protect
from marshmallow import RAISE, Schema, fields, validate

from app.audit import restore as audit_restore
from app.audit.search import (
    PATIENTS_TABLE,
    AuditFilters,
    AuditQueryError,
    Cursor,
    hide_unreadable,
    parse_page_size,
    search,
)
from app.audit.stats import audit_statistics
from app.core.actor import current_actor
from app.core.api import CareTrailApi, safe
from app.core.db_context import clean_reason
from app.core.errors import BadInput
from app.core.extensions import db
from app.core.schemas import MAX_ID, StrictBoolean, load_json_body
from app.security.journal import journal_patient_read
from app.security.roles import AUDIT

PAGING = ("cursor", "page_size")
RESTORE_MODES = ("before", "after", "transaction")
DEFAULT_STATS_DAYS = 30


class RestoreSchema(Schema):
    class Meta:
        unknown = RAISE

    entry_id = fields.Integer(strict=True, required=True, validate=validate.Range(1, MAX_ID))
    mode = fields.String(validate=validate.OneOf(RESTORE_MODES), load_default="before")
    reason = fields.String(allow_none=True, load_default=None)
    force = StrictBoolean(load_default=False)


class AuditApi(CareTrailApi):
    resource_name = "audit"
    route_base = "/api/audit"
    openapi_spec_tag = "Audit"
    class_permission_name = AUDIT
    method_permission_name = {
        "patients": "read",
        "patient_history": "history",
        "search": "read",
        "stats": "read",
        "restore": "restore",
    }
    apispec_parameter_schemas = {
        "AuditEntry": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "occurred_at": {"type": "string", "format": "date-time"},
                "txid": {"type": "string"},
                "table_name": {"type": "string"},
                "operation": {"type": "string", "enum": ["INSERT", "UPDATE", "DELETE", "TRUNCATE"]},
                "row_pk": {"type": "string", "nullable": True},
                "old_row": {"type": "object", "nullable": True},
                "new_row": {"type": "object", "nullable": True},
                "changed_columns": {"type": "array", "items": {"type": "string"}},
                "app_user_id": {"type": "integer", "nullable": True},
                "app_username": {"type": "string", "nullable": True},
                "claimed_user": {"type": "string", "nullable": True},
                "db_user": {"type": "string"},
                "client_addr": {"type": "string", "nullable": True},
                "application_name": {"type": "string", "nullable": True},
                "request_id": {"type": "string", "nullable": True},
                "reason": {"type": "string", "nullable": True},
                "on_behalf_of": {"type": "string", "nullable": True},
            },
        },
        "AuditPage": {
            "type": "object",
            "properties": {
                "entries": {"type": "array", "items": {"$ref": "#/components/schemas/AuditEntry"}},
                "next_cursor": {"type": "string", "nullable": True},
                "page_size": {"type": "integer"},
            },
        },
        "AuditSearch": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "from": {"type": "string"},
                "to": {"type": "string"},
                "user": {"type": "string"},
                "db_role": {"type": "string"},
                "action": {"type": "string"},
                "table": {"type": "string"},
                "record": {"type": "string"},
                "patient": {"type": "integer"},
                "column": {"type": "string"},
                "text": {"type": "string"},
                "txid": {"type": "integer"},
                "page_size": {"type": "integer", "maximum": 500},
                "cursor": {"type": "string"},
            },
        },
        "AuditRestore": {
            "type": "object",
            "required": ["entry_id"],
            "additionalProperties": False,
            "properties": {
                "entry_id": {"type": "integer"},
                "mode": {"type": "string", "enum": list(RESTORE_MODES), "default": "before"},
                "reason": {"type": "string", "maxLength": 500},
                "force": {"type": "boolean", "default": False},
            },
        },
    }

    @expose("/patients", methods=["GET"])
    @protect()
    @safe
    def patients(self):
        """Audit entries on patients, newest first.
        ---
        get:
          summary: Audit entries on the patients table
          parameters:
          - {in: query, name: from, schema: {type: string}, description: ISO date or date-time (inclusive)}
          - {in: query, name: to, schema: {type: string}, description: ISO date (whole day) or date-time (exclusive)}
          - {in: query, name: user, schema: {type: string}}
          - {in: query, name: action, schema: {type: string}, description: 'INSERT,UPDATE,DELETE,TRUNCATE'}
          - {in: query, name: page_size, schema: {type: integer, maximum: 500}}
          - {in: query, name: cursor, schema: {type: string}, description: next_cursor of the previous page}
          responses:
            200:
              description: A page of entries
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/AuditPage'}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
        """
        return self._page(request.args.to_dict(), fixed={"table": PATIENTS_TABLE}, fixed_names=("table",))

    @expose("/patients/<int:patient_id>", methods=["GET"])
    @protect()
    @safe
    def patient_history(self, patient_id: int):
        """The full history of one patient: its own row and the rows that belong to it.
        ---
        get:
          summary: History of one patient (also after it was deleted)
          parameters:
          - {in: path, name: patient_id, required: true, schema: {type: integer}}
          - {in: query, name: page_size, schema: {type: integer, maximum: 500}}
          - {in: query, name: cursor, schema: {type: string}}
          responses:
            200:
              description: A page of entries
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/AuditPage'}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
        """
        page = self._page(request.args.to_dict(), fixed={"patient": patient_id}, fixed_names=("patient",))
        journal_patient_read(db.session, current_actor(), patient_id, "history", door="api")
        return page

    @expose("/search", methods=["POST"])
    @protect()
    @safe
    def search(self):
        """Search the whole audit with any combination of filters.
        ---
        post:
          summary: Search audit entries
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/AuditSearch'}
          responses:
            200:
              description: A page of entries
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/AuditPage'}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
        """
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise BadInput("A JSON object of filters is expected.", field="body")
        return self._page(body)

    @expose("/stats", methods=["GET"])
    @protect()
    @safe
    def stats(self):
        """Counts by day, user, weekday x hour, action and table for a period.
        ---
        get:
          summary: Audit statistics for a period (default the last 30 days)
          parameters:
          - {in: query, name: from, schema: {type: string}}
          - {in: query, name: to, schema: {type: string}}
          responses:
            200: {description: The statistics}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
        """
        period = AuditFilters.parse(request.args.to_dict())
        if set(request.args) - {"from", "to"}:
            raise AuditQueryError(sorted(set(request.args) - {"from", "to"})[0], "unknown parameter")
        end = period.end or datetime.now(UTC)
        start = period.start or end - timedelta(days=DEFAULT_STATS_DAYS)
        statistics = audit_statistics(start, end)
        return self.response(200, **statistics.as_dict())

    @expose("/restore", methods=["POST"])
    @protect()
    @safe
    def restore(self):
        """Restore a version, a deleted row, or undo a whole transaction (Admin).
        ---
        post:
          summary: Restore from an audit entry
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/AuditRestore'}
          responses:
            200: {description: What was restored}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
            409: {description: The row changed since the entry; the fields that would be overwritten}
            422: {$ref: '#/components/responses/422'}
        """
        values = load_json_body(RestoreSchema())
        outcome = audit_restore.restore(
            db.session,
            current_actor(),
            values["entry_id"],
            values["mode"],
            reason=clean_reason(values["reason"]),
            force=values["force"],
        )
        return self.response(200, result=asdict(outcome))

    def _page(self, params: dict, *, fixed: dict | None = None, fixed_names: tuple[str, ...] = ()):
        """One page of entries for these filters, or a 400 naming the bad one."""
        for name in fixed_names:
            if name in params:
                raise AuditQueryError(name, "fixed by this endpoint")
        filters = AuditFilters.parse({**params, **(fixed or {})}, ignore=PAGING)
        page = search(
            filters,
            cursor=Cursor.decode(_text(params.get("cursor"))),
            page_size=parse_page_size(params.get("page_size")),
        )
        return self.response(
            200,
            entries=[entry.as_dict() for entry in hide_unreadable(page.entries, current_actor())],
            next_cursor=page.next_cursor,
            page_size=page.page_size,
        )


def _text(value) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise AuditQueryError("cursor", "not a cursor returned by a previous page")
    return value
