"""Migrations: an empty database reaches head, twice changes nothing, and two
deploys migrating at once do not trip over each other (advisory lock)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import dispose, make_test_app, migrate_to_head, unique_name

PROJECT_DIR = Path(__file__).resolve().parents[2]

SCHEMA_QUERY = """
SELECT string_agg(line, E'\\n' ORDER BY line) FROM (
    SELECT format('column %s.%s %s %s %s', table_name, column_name, data_type, is_nullable, column_default) AS line
      FROM information_schema.columns WHERE table_schema = 'public'
    UNION ALL
    SELECT format('constraint %s %s', conname, pg_get_constraintdef(oid)) FROM pg_constraint
     WHERE connamespace = 'public'::regnamespace
    UNION ALL
    SELECT format('index %s', indexdef) FROM pg_indexes WHERE schemaname = 'public'
    UNION ALL
    SELECT format('trigger %s', tgname) FROM pg_trigger WHERE NOT tgisinternal
    UNION ALL
    SELECT format('extension %s', extname) FROM pg_extension
    UNION ALL
    SELECT format('version %s', version_num) FROM alembic_version
) AS schema_lines
"""


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(PROJECT_DIR / "sql")).get_current_head()


@pytest.fixture
def empty_database(postgres_server):
    """A brand-new empty database (not cloned from the template)."""
    name = unique_name("caretrail_empty")
    postgres_server.create_database(name)
    yield name
    postgres_server.drop_database(name)


def schema_of(postgres_server, name: str) -> str:
    import psycopg

    with psycopg.connect(postgres_server.conninfo(name)) as conn:
        return conn.execute(SCHEMA_QUERY).fetchone()[0]


def test_empty_database_reaches_head_then_upgrade_is_a_no_op(postgres_server, empty_database):
    app = make_test_app(postgres_server.database_url(empty_database))
    try:
        migrate_to_head(app)
        first = schema_of(postgres_server, empty_database)
        migrate_to_head(app)
        second = schema_of(postgres_server, empty_database)
    finally:
        dispose(app)
    assert "column patients.nir" in first and "column ab_user.username" in first
    assert "extension btree_gist" in first and "extension unaccent" in first
    assert first == second


def test_migrations_wait_for_the_lock_and_two_deploys_both_succeed(postgres_server, empty_database):
    """Two `db upgrade` started while the migration lock is held both wait
    (nothing is created), then both succeed once it is released."""
    import psycopg

    from app.bootstrap import MIGRATION_LOCK_KEY

    env = {**os.environ, "DATABASE_URL": postgres_server.database_url(empty_database)}
    command = [sys.executable, "-m", "flask", "--app", "run.py", "db", "upgrade"]
    with psycopg.connect(postgres_server.conninfo(empty_database), autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", [MIGRATION_LOCK_KEY])
        runs = [
            subprocess.Popen(
                command, cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
            for _ in range(2)
        ]
        waiting = holder.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        ).fetchone()[0]
        deadline = time.monotonic() + 30
        while waiting < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
            waiting = holder.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            ).fetchone()[0]
        assert waiting == 2 and all(run.poll() is None for run in runs)
        assert holder.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0] == 0
        holder.execute("SELECT pg_advisory_unlock(%s)", [MIGRATION_LOCK_KEY])
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert f"version {head_revision()}" in schema_of(postgres_server, empty_database)


def test_importing_the_app_does_not_touch_the_database(postgres_server, empty_database):
    """Creating the app against an empty database writes nothing: the schema
    comes only from migrations, permissions only from `roles sync`."""
    app = make_test_app(postgres_server.database_url(empty_database))
    dispose(app)
    import psycopg

    with psycopg.connect(postgres_server.conninfo(empty_database)) as conn:
        tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0]
    assert tables == 0


def test_this_branchs_migrations_go_down_and_up_again_to_the_same_schema(postgres_server, empty_database):
    """0061 (certificates' typed fields) and 0062 (renewals replace what they
    renew) undo themselves: down to before 0061 and up again gives the same schema."""
    from alembic.script import ScriptDirectory
    from flask_migrate import downgrade

    before_0061 = ScriptDirectory(str(PROJECT_DIR / "sql")).get_revision("0061").down_revision  # re-chained at merge
    app = make_test_app(postgres_server.database_url(empty_database))
    try:
        migrate_to_head(app)
        first = schema_of(postgres_server, empty_database)
        with app.app_context():
            downgrade(revision=before_0061)
        assert "renewed_by_id" not in schema_of(postgres_server, empty_database)
        chain = renewed_before_0062(postgres_server, empty_database)
        migrate_to_head(app)
        again = schema_of(postgres_server, empty_database)
    finally:
        dispose(app)
    assert "column prescriptions.renewed_by_id" in first
    assert first == again
    # A chain renewed before 0062 is brought to the rule: the renewal alone in force.
    import psycopg

    with psycopg.connect(postgres_server.conninfo(empty_database)) as conn:
        rows = conn.execute(
            "SELECT id, status, renewed_by_id FROM prescriptions WHERE id = ANY(%s) ORDER BY id", [list(chain)]
        ).fetchall()
    original, renewal = chain
    assert rows == [(original, "renewed", renewal), (renewal, "signed", None)]


def renewed_before_0062(postgres_server, name: str) -> tuple[int, int]:
    """An original and its signed renewal, both 'signed' as before 0062."""
    import psycopg

    from tests.agenda import make_doctor, make_patient
    from tests.prescribing import make_reference, signed

    with psycopg.connect(postgres_server.conninfo(name), autocommit=True) as conn:
        doctor, patient = make_doctor(conn), make_patient(conn)
        warfarin = [make_reference(conn)["WARF"]]
        original = signed(conn, patient, doctor, warfarin, renewals_allowed=1)
        renewal = signed(conn, patient, doctor, warfarin, renewal_of_id=original)
        assert conn.execute("SELECT count(*) FROM prescriptions WHERE status = 'signed'").fetchone() == (2,)
    return original, renewal
