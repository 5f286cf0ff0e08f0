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
        try:
            return super().post_headless()
        except ConstraintViolation as violation:
            return self.response_422(message=violation.as_messages())
        except DatabaseWriteFailed as failure:
            return self.response(503, message=failure.message)

    def put_headless(self, pk):
        try:
            return super().put_headless(pk)
        except ConstraintViolation as violation:
            return self.response_422(message=violation.as_messages())
        except DatabaseWriteFailed as failure:
            return self.response(503, message=failure.message)

    def delete_headless(self, pk):
        try:
            return super().delete_headless(pk)
        except ConstraintViolation as violation:
            return self.response_422(message=violation.as_messages())
        except DatabaseWriteFailed as failure:
            return self.response(503, message=failure.message)
