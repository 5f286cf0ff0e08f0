"""FAB's JWT login API (POST /api/v1/security/login, /refresh), answering
like every other CareTrail endpoint: FAB's `@safe` turns any exception into
a 500, so a sign-in while the database is down was a 500 where every other
door says 503 (app/core/answers.py)."""

import sys

from flask_appbuilder.security.api import SecurityApi as FabSecurityApi

from app.core.answers import answer_exception


# The class keeps FAB's name: it is the blueprint's and the permission's
# ("SecurityApi.login"), which CSRF exemption and role sync refer to.
class SecurityApi(FabSecurityApi):
    def response_500(self, message=None):
        # FAB calls this from inside its `except` block: the exception is
        # the one being handled, and answer_exception() still logs real bugs.
        exc = sys.exc_info()[1]
        if exc is None:
            return super().response_500(message=message)
        return answer_exception(exc)
