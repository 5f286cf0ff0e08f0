"""Migration helpers for the SQL kept in triggers/ (the audit, domain triggers).

Each migration that installs plain SQL keeps it frozen beside the others in
triggers/<revision>/NN_name.sql, the way an extension ships one script per
version: revision N always installs what revision N shipped, whatever came
after (triggers/README.md).  In the migration:

    from app.audit_sql import install_frozen
    install_frozen(op, "0011")

In a migration that creates a table:

    from app.audit_sql import attach_audit
    attach_audit(op, "appointments")

tests/integration/test_audit_capture.py fails for any table left without
the audit triggers.
"""

import re
from pathlib import Path

TRIGGERS_DIR = Path(__file__).resolve().parent.parent / "triggers"

_FROZEN_NAME = re.compile(r"^[0-9]{2}_(?P<name>[a-z0-9_]+\.sql)$")


def frozen_sql_files(revision: str) -> list[Path]:
    """The .sql files revision `revision` executes, in the order it runs them."""
    directory = TRIGGERS_DIR / revision
    files = sorted(path for path in directory.glob("*.sql") if _FROZEN_NAME.match(path.name))
    if not files:
        raise FileNotFoundError(f"no frozen SQL for revision {revision} in {directory}")
    return files


def frozen_sql(revision: str, only: tuple[str, ...] = ()) -> str:
    """Revision `revision`'s SQL, its files joined in name order.  `only`
    keeps the files of those names (without the NN_ prefix: "audit_restore.sql")."""
    files = frozen_sql_files(revision)
    if only:
        files = [path for path in files if _FROZEN_NAME.match(path.name)["name"] in only]
        missing = set(only) - {_FROZEN_NAME.match(path.name)["name"] for path in files}
        if missing:
            raise FileNotFoundError(f"revision {revision} has no {', '.join(sorted(missing))}")
    return "\n".join(path.read_text(encoding="utf-8") for path in files)


def install_frozen(op, revision: str, only: tuple[str, ...] = ()) -> None:
    """Execute what revision `revision` shipped (all its files, or `only` some;
    a downgrade puts the previous release back with the previous revision's id)."""
    op.execute(frozen_sql(revision, only))


def current_sql_files() -> dict[str, Path]:
    """The current state of each SQL file: its copy in the newest revision that
    ships one (what a database at head runs), keyed by name ("audit_capture.sql")."""
    current: dict[str, Path] = {}
    for directory in sorted(path for path in TRIGGERS_DIR.iterdir() if path.is_dir()):
        for path in frozen_sql_files(directory.name):
            current[_FROZEN_NAME.match(path.name)["name"]] = path
    return current


def attach_audit(op, table: str) -> None:
    op.execute(f"SELECT audit_attach('public.{table}'::regclass)")
