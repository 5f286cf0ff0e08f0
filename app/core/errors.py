"""Domain errors: views show them on the form, APIs turn them into 422 JSON."""


class CareTrailError(Exception):
    """Base of the errors the app explains to users."""


# Deliberately not a FAB DatabaseException: FAB's API handlers catch those and
# answer with the raw database text; ours must reach app/core/api.py.
class ConstraintViolation(CareTrailError):
    """The database refused a write; `field` is the form/API field to blame
    (None when the rule spans several fields) and `message` says why in plain words."""

    def __init__(self, field: str | None, message: str, constraint: str | None = None):
        super().__init__(message)
        self.field = field
        self.message = message
        self.constraint = constraint

    def as_messages(self) -> dict[str, list[str]]:
        """Marshmallow-style {"field": ["message"]}, `_schema` for whole-row rules."""
        return {self.field or "_schema": [self.message]}


class DatabaseWriteFailed(CareTrailError):
    """The database failed for a reason that is not the data's fault
    (connection lost, deadlock...); nothing was saved."""

    field = None
    message = "The database could not save this change; nothing was saved. Please try again."

    def __init__(self):
        super().__init__(self.message)


class AuditEntryNotFound(CareTrailError):
    """No audit entry has this id (HTTP 404)."""

    def __init__(self, entry_id: int):
        super().__init__(f"No audit entry {entry_id}.")
        self.message = f"No audit entry {entry_id}."


class RestoreRefused(CareTrailError):
    """This entry cannot be restored (a TRUNCATE, a table that is gone...)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class RestoreConflict(CareTrailError):
    """The row changed after the entry: restoring would overwrite newer values.
    `conflicts` lists them field by field (current vs. restored)."""

    message = "This record changed after the entry; restoring would overwrite newer values."

    def __init__(self, conflicts: list[dict]):
        super().__init__(self.message)
        self.conflicts = conflicts


class ReasonTooLong(CareTrailError):
    """A reason given for the audit is longer than REASON_MAX_LENGTH (HTTP 400)."""

    field = "reason"

    def __init__(self, limit: int):
        self.message = f"A reason is at most {limit} characters."
        super().__init__(self.message)


class NotFound(CareTrailError):
    """The record asked for does not exist (HTTP 404)."""

    field = None

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class BookingConflict(ConstraintViolation):
    """A double booking the database refused (HTTP 409); `conflict` is the
    appointment in the way (None when it was freed meanwhile)."""

    def __init__(self, message: str, conflict: dict | None):
        super().__init__("starts_at", message, "appointments_overlap")
        self.conflict = conflict


class AgendaForbidden(CareTrailError):
    """A doctor writing another doctor's agenda (HTTP 403)."""

    field = None
    message = "You may only change your own agenda."

    def __init__(self):
        super().__init__(self.message)


class OverrideRequired(ConstraintViolation):
    """Signing a prescription with a contraindication needs an override
    reason (HTTP 422); `alerts` are the checks' findings, to show again."""

    def __init__(self, alerts: list):
        super().__init__(
            "override_reason",
            "A contraindication was found: give the reason for prescribing anyway to sign.",
            "prescriptions_override_required",
        )
        self.alerts = alerts


class PrescriptionForbidden(CareTrailError):
    """A user writing or signing a prescription that is not theirs (HTTP 403)."""

    field = None

    def __init__(self, message: str = "You may only change your own prescriptions."):
        super().__init__(message)
        self.message = message


class DocumentInputError(ConstraintViolation):
    """A document cannot be issued from what was given: `field` says what to fix."""


class DocumentForbidden(CareTrailError):
    """The signed-in user may not issue or read this kind of document."""

    field = None

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class TemplateError(CareTrailError):
    """A certificate template does not render: `line` (when known) and why,
    for the administrator who wrote it."""

    field = "body"

    def __init__(self, message: str, line: int | None = None):
        where = f"line {line}: " if line else ""
        super().__init__(f"{where}{message}")
        self.message = f"{where}{message}"
        self.line = line
