"""The documents' refusals (both 422, naming what to fix)."""

from app.core.errors import ConstraintViolation


class DocumentInputError(ConstraintViolation):
    """A document cannot be issued from what was given: `field` says what to fix."""


class TemplateError(ConstraintViolation):
    """A certificate template does not render: `line` (when known) and why,
    for the administrator who wrote it."""

    def __init__(self, message: str, line: int | None = None):
        where = f"line {line}: " if line else ""
        super().__init__("body", f"{where}{message}")
        self.line = line
