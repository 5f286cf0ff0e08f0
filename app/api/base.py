"""Base REST API class: database refusals come back as 422 field messages.

FAB answers a constraint error with the raw database text (or a 500 for an
INSERT); here it is {"message": {"field": ["why"]}} like any validation error,
and nothing of the refused write is kept.
"""

from flask_appbuilder import ModelRestApi

from app.exceptions import ConstraintViolation, DatabaseWriteFailed
from app.security.permissions import METHOD_PERMISSION_MAP


class CareTrailModelApi(ModelRestApi):
    method_permission_name = METHOD_PERMISSION_MAP
    allow_browser_login = True
    page_size = 25

    def post_headless(self):
        return self._explain_refusals(super().post_headless)

    def put_headless(self, pk):
        return self._explain_refusals(super().put_headless, pk)

    def delete_headless(self, pk):
        return self._explain_refusals(super().delete_headless, pk)

    def _explain_refusals(self, write, *args):
        try:
            return write(*args)
        except ConstraintViolation as violation:
            return self.response_422(message=violation.as_messages())
        except DatabaseWriteFailed as failure:
            return self.response(503, message=failure.message)
