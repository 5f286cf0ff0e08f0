"""Break-the-glass through the REST API: POST /api/v1/patients/<id>/break_glass
opens a record (with a reason), and /api/v1/break_glass/ is the auditors'
review queue.  The rules are app/security/glass.py's."""

from flask import request
from flask_appbuilder.api import expose
from flask_appbuilder.security.decorators import protect
from marshmallow import Schema, fields, validate

from app.core.actor import current_actor
from app.core.api import CareTrailApi, safe
from app.core.extensions import db
from app.core.schemas import load_json_body
from app.security.glass import VERDICTS, break_the_glass, get_grant, list_grants, reads_under, require_reviewer
from app.security.glass import review_grant as close_review
from app.security.journal import whole_number_arg
from app.security.roles import ACCESS_LOG, PATIENTS


class ReasonSchema(Schema):
    # Required and trimmed by the rule (a blank reason is refused there, naming `reason`).
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class ReviewSchema(Schema):
    verdict = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(VERDICTS))
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class PatientBreakGlassApi(CareTrailApi):
    resource_name = "patients"
    class_permission_name = PATIENTS
    method_permission_name = {"break_glass": "read"}
    openapi_spec_tag = "Break-the-glass"

    @expose("/<int:pk>/break_glass", methods=["POST"])
    @protect()
    @safe
    def break_glass(self, pk: int):
        """Open a patient's whole record (read only) for BREAK_GLASS_MINUTES, with a reason.
        ---
        post:
          summary: Break the glass on this patient's record (journaled, alerted, reviewed by the auditors)
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [reason]
                  properties:
                    reason: {type: string, maxLength: 500}
          responses:
            201: {description: 'The grant: id, patient_id, reason, granted_at, expires_at'}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
            409: {description: A grant on this record is already active}
            422: {$ref: '#/components/responses/422'}
        """
        values = load_json_body(ReasonSchema())
        grant = break_the_glass(db.session, current_actor(), pk, values["reason"], door="api")
        return self.response(201, result=grant.as_dict())


class BreakGlassReviewApi(CareTrailApi):
    resource_name = "break_glass"
    class_permission_name = ACCESS_LOG
    method_permission_name = {"grants": "read", "grant": "read", "review": "read"}
    openapi_spec_tag = "Break-the-glass"

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def grants(self):
        """Break-the-glass grants to review (or reviewed).
        ---
        get:
          summary: Grants, open ones oldest first (state=open) or reviewed ones newest first (state=closed)
          parameters:
          - {in: query, name: state, schema: {type: string, enum: [open, closed]}}
          - {in: query, name: user, schema: {type: string}}
          - {in: query, name: patient_id, schema: {type: integer}}
          - {in: query, name: verdict, schema: {type: string, enum: [justified, unjustified]}}
          - {in: query, name: page, schema: {type: integer}}
          responses:
            200: {description: 'A page of grants: {"result": [...]}'}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
        """
        found = list_grants(
            db.session,
            current_actor(),
            state=request.args.get("state") or "open",
            username=request.args.get("user") or None,
            patient_id=whole_number_arg("patient_id"),
            verdict=request.args.get("verdict") or None,
            page=whole_number_arg("page") or 0,
        )
        return self.response(200, result=[grant.as_dict() for grant in found])

    @expose("/<int:grant_id>", methods=["GET"])
    @protect()
    @safe
    def grant(self, grant_id: int):
        """One grant and what was read under it.
        ---
        get:
          summary: A grant, its review, and the journal's rows of what was read under it
          parameters:
          - {in: path, name: grant_id, required: true, schema: {type: integer}}
          responses:
            200: {description: 'The grant, with "reads": [{id, accessed_at, action, door, client_addr}]'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
        """
        actor = current_actor()
        require_reviewer(actor)
        found = get_grant(db.session, grant_id)
        reads = [
            {**row._mapping, "accessed_at": row.accessed_at.isoformat()}
            for row in reads_under(db.session, actor, grant_id)
        ]
        return self.response(200, result={**found.as_dict(), "reads": reads})

    @expose("/<int:grant_id>/review", methods=["POST"])
    @protect()
    @safe
    def review(self, grant_id: int):
        """Close a grant's review with a verdict, once.
        ---
        post:
          summary: Close the review (justified, or unjustified with a comment); a closed review is a 409
          parameters:
          - {in: path, name: grant_id, required: true, schema: {type: integer}}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [verdict]
                  properties:
                    verdict: {type: string, enum: [justified, unjustified]}
                    comment: {type: string, maxLength: 500}
          responses:
            200: {description: The reviewed grant}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
            409: {description: Already reviewed}
            422: {$ref: '#/components/responses/422'}
        """
        values = load_json_body(ReviewSchema())
        closed = close_review(db.session, current_actor(), grant_id, values["verdict"], values["comment"])
        return self.response(200, result=closed.as_dict())
