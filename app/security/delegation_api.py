"""Delegations over the REST API (/api/v1/delegation/), in the OpenAPI spec.

Administrators grant and revoke, administrators and auditors list; every
signed-in user reads their own (`/mine`).  A request acts for someone
under a delegation in force with the header `X-On-Behalf-Of: <username>`
(app/security/manager.py reads it with the JWT; a name the user may not act
for is a 403 naming the header).
"""

from datetime import datetime

from flask import g, request
from flask_appbuilder.api import expose, protect
from flask_jwt_extended import verify_jwt_in_request
from flask_jwt_extended.exceptions import JWTExtendedException
from flask_login import current_user

from app.core.actor import DELEGATED_POWERS, current_actor
from app.core.api import CareTrailApi, safe
from app.core.errors import BadInput, ConstraintViolation
from app.core.extensions import db
from app.security import delegation
from app.security.roles import DELEGATIONS

GRANT_FIELDS = ("grantee", "role", "acts_for", "starts_at", "ends_at", "reason")


def _instant(payload: dict, name: str) -> datetime | None:
    value = payload.get(name)
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ConstraintViolation(name, "An ISO 8601 date and time is expected.")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ConstraintViolation(name, "An ISO 8601 date and time is expected.") from None
    if moment.tzinfo is None:
        raise ConstraintViolation(name, "Give the time zone (e.g. 2026-12-24T08:00:00+01:00).")
    return moment


def _body() -> dict:
    payload = request.get_json(silent=True) if request.is_json else None
    if not isinstance(payload, dict):
        raise BadInput("The request body is not a JSON object.", field="body")
    unknown = sorted(set(payload) - set(GRANT_FIELDS))
    if unknown and request.endpoint.endswith(".grant"):
        raise BadInput("Unknown field.", field=unknown[0])
    for name in ("grantee", "role", "acts_for", "reason"):
        if payload.get(name) is not None and not isinstance(payload[name], str):
            raise ConstraintViolation(name, "Text is expected.")
    return payload


class DelegationApi(CareTrailApi):
    resource_name = "delegation"
    openapi_spec_tag = "Delegations"
    class_permission_name = DELEGATIONS
    method_permission_name = {"listing": "read", "one": "read", "grant": "write", "revoke": "write"}

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def listing(self):
        """Delegations, newest first.
        ---
        get:
          summary: Delegations by status and user (grantee or acted for)
          parameters:
          - {in: query, name: status, schema: {type: string, enum: [active, future, ended, revoked]}}
          - {in: query, name: user, schema: {type: string}}
          responses:
            200: {description: '{"result": [delegation, ...]}'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            422: {$ref: '#/components/responses/422'}
        """
        found = delegation.search(
            db.session,
            current_actor(),
            status=request.args.get("status") or None,
            username=(request.args.get("user") or "")[:150] or None,
        )
        return self.response(200, result=[item.as_dict() for item in found])

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    def one(self, pk: int):
        """One delegation.
        ---
        get:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200: {description: '{"result": delegation}'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
        """
        return self.response(200, result=delegation.show_delegation(db.session, current_actor(), pk).as_dict())

    @expose("/", methods=["POST"])
    @protect()
    @safe
    def grant(self):
        """Grant a delegation (administrators).
        ---
        post:
          description: >-
            Grant `grantee` either a `role` or acting for a user (`acts_for`),
            from `starts_at` (default now; never before now) to `ends_at`
            (ISO 8601 with a time zone), for a `reason`.  At most the
            hospital's delegation_max_days (default 90).  Refusals name the field.
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [grantee, ends_at, reason]
                  properties:
                    grantee: {type: string, description: the login receiving the delegation}
                    role: {type: string, description: a role of the matrix (never Admin)}
                    acts_for: {type: string, description: the login of the person acted for}
                    starts_at: {type: string, format: date-time}
                    ends_at: {type: string, format: date-time}
                    reason: {type: string, maxLength: 500}
          responses:
            201: {description: '{"id": ..., "result": delegation}'}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            422: {$ref: '#/components/responses/422'}
        """
        payload = _body()
        delegation_id = delegation.grant(
            db.session,
            current_actor(),
            grantee=payload.get("grantee"),
            role=payload.get("role") or None,
            acts_for=payload.get("acts_for") or None,
            starts_at=_instant(payload, "starts_at"),
            ends_at=_instant(payload, "ends_at"),
            reason=payload.get("reason"),
        )
        return self.response(
            201, id=delegation_id, result=delegation.get_delegation(db.session, delegation_id).as_dict()
        )

    @expose("/<int:pk>/revoke", methods=["POST"])
    @protect()
    @safe
    def revoke(self, pk: int):
        """Revoke a delegation (administrators): it gives nothing from the next request on.
        ---
        post:
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
            200: {description: '{"result": delegation}'}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
            422: {$ref: '#/components/responses/422'}
        """
        payload = _body()
        revoked = delegation.revoke(db.session, current_actor(), pk, payload.get("reason"))
        return self.response(200, result=revoked.as_dict())

    @expose("/mine", methods=["GET"])
    @safe
    def mine(self):
        """The signed-in user's delegations in force or to come (any role).
        ---
        get:
          responses:
            200: {description: '{"result": [delegation, ...], "on_behalf_of": username or null, "may_act_for": [...]}'}
            401: {$ref: '#/components/responses/401'}
        """
        if not current_user.is_authenticated:
            try:
                verify_jwt_in_request()
            except JWTExtendedException:
                return self.response_401()
        actor = current_actor()
        if actor.user_id is None:
            return self.response_401()
        powers = g.get(DELEGATED_POWERS)
        return self.response(
            200,
            result=[item.as_dict() for item in delegation.my_delegations(db.session, actor)],
            on_behalf_of=actor.on_behalf_of,
            may_act_for=list(powers.may_act_for) if powers else [],
        )
