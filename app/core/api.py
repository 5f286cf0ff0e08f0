"""Base REST API class: database refusals come back as 422 field messages.

FAB answers a constraint error with the raw database text (or a 500 for an
INSERT); here it is {"message": {"field": ["why"]}} like any validation error,
and nothing of the refused write is kept.

DELETE takes an optional reason for the audit (`X-Audit-Reason` header, or
the `reason` query parameter for text that is not ASCII), stamped on every
audit entry of the deletion, cascades included.
"""

from flask import request
from flask_appbuilder import ModelRestApi
from marshmallow import Schema, ValidationError

from app.core.db_context import audit_reason, clean_reason
from app.core.errors import ConstraintViolation, DatabaseWriteFailed, ReasonTooLong
from app.security.permissions import METHOD_PERMISSION_MAP

REASON_HEADER = "X-Audit-Reason"


class CareTrailModelApi(ModelRestApi):
    method_permission_name = METHOD_PERMISSION_MAP
    allow_browser_login = True
    page_size = 25

    def post_headless(self):
        return self._explain_refusals(super().post_headless)

    def put_headless(self, pk):
        return self._explain_refusals(super().put_headless, pk)

    def delete_headless(self, pk):
        try:
            reason = clean_reason(request.headers.get(REASON_HEADER) or request.args.get("reason"))
        except ReasonTooLong as too_long:
            return self.response_400(message={"reason": [too_long.message]})
        with audit_reason(reason):
            return self._explain_refusals(super().delete_headless, pk)

    def _explain_refusals(self, write, *args):
        try:
            return write(*args)
        except ConstraintViolation as violation:
            return self.response_422(message=violation.as_messages())
        except DatabaseWriteFailed as failure:
            return self.response(503, message=failure.message)


def load_json_body(schema: Schema, api, *, optional: bool = False):
    """(values, None) from the request's JSON object, or (None, a 400/422
    response naming what is wrong).  `optional`: an empty body is an empty object."""
    if not request.get_data() and optional:
        return schema.load({}), None
    if not request.is_json:
        return None, api.response_400(message="Request body must be JSON.")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return None, api.response_400(message="Request body must be a JSON object.")
    try:
        return schema.load(body), None
    except ValidationError as invalid:
        return None, api.response_422(message=invalid.messages)
