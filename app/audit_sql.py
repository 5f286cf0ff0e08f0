"""Migration helpers for the database audit (the SQL itself is in triggers/).

In a migration that creates a table:

    from app.audit_sql import attach_audit
    attach_audit(op, "appointments")

tests/integration/test_audit_capture.py fails for any table left without
the audit triggers.
"""

from pathlib import Path

TRIGGERS_DIR = Path(__file__).resolve().parent.parent / "triggers"

# Order matters: tables, then what refers to them.
AUDIT_SQL_FILES = (
    "audit_schema.sql",
    "audit_guard.sql",
    "audit_capture.sql",
    "audit_restore.sql",
    "audit_seal.sql",
    "audit_views.sql",
)


def audit_sql() -> str:
    """The whole audit SQL, idempotent (CREATE OR REPLACE / IF NOT EXISTS)."""
    return "\n".join((TRIGGERS_DIR / name).read_text(encoding="utf-8") for name in AUDIT_SQL_FILES)


def install_audit(op) -> None:
    """Install or upgrade the audit SQL (safe to run again in a later migration)."""
    op.execute(audit_sql())


def attach_audit(op, table: str) -> None:
    op.execute(f"SELECT audit_attach('public.{table}'::regclass)")


def install_frozen(op, revision: str) -> None:
    """Run the audit SQL shipped with `revision`: triggers/<revision>/*.sql, in name order.

    Each release's SQL is kept as it shipped, so a migration installs what it
    installed on the day it was written, whatever triggers/ holds today."""
    files = sorted((TRIGGERS_DIR / revision).glob("*.sql"))
    if not files:
        raise FileNotFoundError(f"no frozen audit SQL for revision {revision} in {TRIGGERS_DIR / revision}")
    for path in files:
        op.execute(path.read_text(encoding="utf-8"))
