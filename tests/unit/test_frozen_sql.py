"""app.audit_sql: a migration runs its own frozen copy of the SQL, in order."""

import pytest

from app.audit_sql import TRIGGERS_DIR, current_sql_files, frozen_sql, frozen_sql_files


def test_a_revision_runs_its_own_files_in_name_order():
    """What install_frozen(op, "0005") executes."""
    files = frozen_sql_files("0005")
    assert [path.name for path in files] == [
        "01_audit_schema.sql",
        "02_audit_guard.sql",
        "03_audit_capture.sql",
        "04_audit_restore.sql",
        "05_audit_seal.sql",
        "06_audit_views.sql",
    ]
    assert frozen_sql("0005") == "\n".join(path.read_text(encoding="utf-8") for path in files)


def test_only_picks_files_by_name_and_refuses_one_the_revision_lacks():
    restore = frozen_sql("0011", only=("audit_restore.sql",))
    assert restore == (TRIGGERS_DIR / "0011" / "04_audit_restore.sql").read_text(encoding="utf-8")
    with pytest.raises(FileNotFoundError):
        frozen_sql("0003", only=("audit_restore.sql",))
    with pytest.raises(FileNotFoundError):
        frozen_sql_files("9999")


def test_the_current_copy_of_a_file_is_the_newest_revisions():
    current = current_sql_files()
    assert current["audit_restore.sql"] == max(
        (path for path in TRIGGERS_DIR.glob("*/[0-9][0-9]_audit_restore.sql")), key=lambda path: path.parent.name
    )
    assert set(current) >= {
        "audit_schema.sql",
        "audit_guard.sql",
        "audit_capture.sql",
        "audit_restore.sql",
        "audit_seal.sql",
        "audit_views.sql",
    }
