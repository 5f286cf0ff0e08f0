"""One error type for every refusal: what went wrong in plain words, the
field to blame, and the HTTP status every door answers it with.

Rules raise these; screens, APIs, the CLI and jobs never decide a status
themselves: app/core/answers.py turns an error into the one answer of its
door (JSON under /api/, a message on the form or an error page on screens).
Each domain subclasses them for what it needs to carry (a conflicting
appointment, the alerts of a prescription).
"""


class CareTrailError(Exception):
    """A refusal explained to the user.  `details` are extra members of the
    JSON answer (JSON-ready values: the appointment in the way, the alerts...)."""

    status = 422
    default_message = "This cannot be done."

    def __init__(self, message: str | None = None, *, field: str | None = None, **details):
        self.message = message or self.default_message
        self.field = field
        self.details = details
        super().__init__(self.message)

    def as_messages(self) -> dict[str, list[str]]:
        """Marshmallow-style {"field": ["message"]}, `_schema` for whole-record rules."""
        return {self.field or "_schema": [self.message]}


class BadInput(CareTrailError):
    """The request itself is malformed: not JSON, a NUL byte, a page of -5 (400)."""

    status = 400
    default_message = "This request is malformed."


class Forbidden(CareTrailError):
    """The acting user may not do this (403)."""

    status = 403
    default_message = "You may not do this."


class NotFound(CareTrailError):
    """The record asked for does not exist (404)."""

    status = 404
    default_message = "No such record."


class Conflict(CareTrailError):
    """The change clashes with the state of the records (409)."""

    status = 409


class StaleRecord(CareTrailError):
    """The record changed since the user opened it (412): saving would
    silently overwrite someone else's change."""

    status = 412


class TooLarge(CareTrailError):
    """More data than a field or a request may carry (413)."""

    status = 413
    default_message = "This request is too large."


class ConstraintViolation(CareTrailError):
    """A rule refused a value (422); `field` is the form or API field to
    blame (None when the rule spans several fields), `constraint` the
    database constraint behind it, when there is one."""

    def __init__(self, field: str | None, message: str, constraint: str | None = None, **details):
        super().__init__(message, field=field, **details)
        self.constraint = constraint


class Unavailable(CareTrailError):
    """Something the change needs is down (503); nothing was saved."""

    status = 503
    default_message = "This service is unavailable for a moment; nothing was saved. Please try again."


class DatabaseWriteFailed(Unavailable):
    """The database failed for a reason that is not the data's fault
    (connection lost, deadlock...); nothing was saved."""

    default_message = "The database could not save this change; nothing was saved. Please try again."


class DatabaseUnreachable(Unavailable):
    """The database cannot be reached at all."""

    default_message = "The database cannot be reached at the moment. Please try again in a few minutes."
