"""Domain errors: views show them on the form, APIs turn them into 422 JSON."""


class CareTrailError(Exception):
    """Base of the errors the app explains to users."""


# Deliberately not a FAB DatabaseException: FAB's API handlers catch those and
# answer with the raw database text; ours must reach app/api/base.py.
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
