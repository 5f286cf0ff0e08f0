"""REST API of the journal of reads: /api/v1/access_log/ (Admin, Auditor)."""

from flask import request
from flask_appbuilder.api import expose, protect

from app.core.actor import current_actor
from app.core.api import CareTrailApi, safe
from app.core.errors import BadInput
from app.core.extensions import db
from app.security.journal import search_accesses
from app.security.roles import ACCESS_LOG


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise BadInput("A whole number is expected.", field=name)
    return int(raw)


class AccessLogApi(CareTrailApi):
    resource_name = "access_log"
    openapi_spec_tag = "Journal of reads"
    class_permission_name = ACCESS_LOG
    method_permission_name = {"accesses": "read", "patient_accesses": "read"}

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def accesses(self):
        """The journal of reads, newest first.
        ---
        get:
          summary: Reads of patients' records, by patient and/or user
          parameters:
          - {in: query, name: patient_id, schema: {type: integer}}
          - {in: query, name: user, schema: {type: string}}
          - {in: query, name: action, schema: {type: string, enum: [view, export, print, history]}}
          - {in: query, name: before, schema: {type: integer}, description: the last id of the previous page}
          - {in: query, name: page_size, schema: {type: integer, maximum: 500}}
          responses:
            200: {description: 'A page of reads: {"result": [...], "next_before": id or null}'}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
        """
        return self._answer(_int_arg("patient_id"))

    @expose("/patient/<int:patient_id>", methods=["GET"])
    @protect()
    @safe
    def patient_accesses(self, patient_id: int):
        """Who accessed this patient's record (GDPR art. 15).
        ---
        get:
          summary: Reads of one patient's record, newest first
          parameters:
          - {in: path, name: patient_id, required: true, schema: {type: integer}}
          - {in: query, name: user, schema: {type: string}}
          - {in: query, name: action, schema: {type: string, enum: [view, export, print, history]}}
          - {in: query, name: before, schema: {type: integer}}
          - {in: query, name: page_size, schema: {type: integer, maximum: 500}}
          responses:
            200: {description: 'A page of reads'}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
        """
        return self._answer(patient_id)

    def _answer(self, patient_id: int | None):
        page_size = _int_arg("page_size") or 50
        accesses = search_accesses(
            db.session,
            current_actor(),
            patient_id=patient_id,
            username=request.args.get("user") or None,
            action=request.args.get("action") or None,
            before_id=_int_arg("before"),
            page_size=page_size,
        )
        next_before = accesses[-1].id if len(accesses) == page_size else None
        return self.response(200, result=[access.as_dict() for access in accesses], next_before=next_before)
