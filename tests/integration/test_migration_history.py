"""The migration history is real: each revision installs the SQL it shipped
(triggers/<revision>/), and every revision can be undone, one step at a time,
on a database holding data, with the audit capturing at every step."""

import psycopg
import pytest
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from app.audit_sql import TRIGGERS_DIR, current_sql_files, frozen_sql_files
from tests.conftest import dispose, make_test_app, unique_name
from tests.integration.test_migrations import PROJECT_DIR

AUDIT_TRIGGERS = {"audit_insert", "audit_update", "audit_delete", "audit_truncate"}


def revisions_in_order() -> list[str]:
    """Every revision id, base first."""
    script = ScriptDirectory(str(PROJECT_DIR / "sql"))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


@pytest.fixture
def empty_database(postgres_server):
    """A brand-new empty database (not cloned from the template)."""
    name = unique_name("caretrail_walk")
    postgres_server.create_database(name)
    yield name
    postgres_server.drop_database(name)


@pytest.fixture
def migrator(postgres_server, empty_database):
    """migrator(revision) upgrades or downgrades the empty database to `revision`."""
    app = make_test_app(postgres_server.database_url(empty_database))

    def _to(revision: str, *, down: bool = False) -> None:
        with app.app_context():
            (downgrade if down else upgrade)(revision=revision)

    yield _to
    dispose(app)


@pytest.fixture
def owner(postgres_server, empty_database):
    """An autocommit connection as the database owner (psql-like)."""
    with psycopg.connect(postgres_server.conninfo(empty_database), autocommit=True) as conn:
        yield conn


# What a revision leaves in the database: tables, columns, constraints,
# indexes, triggers, functions (with their bodies and settings), views,
# extensions and privileges (no ACL and the owner's default one are the same,
# and the order of an ACL's items does not matter).
SCHEMA_QUERY = r"""
SELECT line FROM (
    SELECT format('column %s.%s %s %s %s', table_name, column_name, data_type, is_nullable, column_default) AS line
      FROM information_schema.columns WHERE table_schema = 'public'
    UNION ALL
    SELECT format('constraint %s %s %s', conrelid::regclass, conname, pg_get_constraintdef(oid)) FROM pg_constraint
     WHERE connamespace = 'public'::regnamespace
    UNION ALL
    SELECT format('index %s', indexdef) FROM pg_indexes WHERE schemaname = 'public'
    UNION ALL
    SELECT format('trigger %s', pg_get_triggerdef(oid)) FROM pg_trigger WHERE NOT tgisinternal
    UNION ALL
    SELECT format('function %s %s %s %s', oid::regprocedure, md5(prosrc), proconfig,
                  (SELECT array_agg(a::text ORDER BY a::text)
                     FROM unnest(coalesce(proacl, acldefault('f', proowner))) AS a)) FROM pg_proc
     WHERE pronamespace = 'public'::regnamespace
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = pg_proc.oid AND d.deptype = 'e')
    UNION ALL
    SELECT format('view %s %s', viewname, md5(definition)) FROM pg_views WHERE schemaname = 'public'
    UNION ALL
    SELECT format('extension %s', extname) FROM pg_extension
    UNION ALL
    SELECT format('privileges %s %s', relname,
                  (SELECT array_agg(a::text ORDER BY a::text)
                     FROM unnest(coalesce(relacl, acldefault(CASE relkind WHEN 'S' THEN 's' ELSE 'r' END::"char",
                                                             relowner))) AS a))
      FROM pg_class WHERE relnamespace = 'public'::regnamespace
    UNION ALL
    SELECT format('default privileges %s', defaclacl) FROM pg_default_acl
) AS schema_lines ORDER BY line
"""


def schema_of(conn) -> list[str]:
    return [line for (line,) in conn.execute(SCHEMA_QUERY) if "alembic_version" not in line]


def assert_schema_is(conn, expected: list[str], step: str) -> None:
    actual = schema_of(conn)
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    assert (missing, extra) == ([], []), f"{step}: missing {missing}, extra {extra}"


def current_revision(conn) -> str:
    return conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]


def has_audit(conn) -> bool:
    return conn.execute("SELECT to_regclass('public.audit_log') IS NOT NULL").fetchone()[0]


def assert_audit_captures(conn, mark: str) -> None:
    """A change to a patient lands in audit_log, every application table
    carries the four audit triggers, and the seal verifies."""
    revision = current_revision(conn)
    (patient_id,) = conn.execute("SELECT min(id) FROM patients").fetchone()
    conn.execute("UPDATE patients SET notes = %s WHERE id = %s", [mark, patient_id])
    entry = conn.execute(
        """SELECT operation, new_row ->> 'notes', old_row IS NOT NULL, changed_columns FROM audit_log
            WHERE table_name = 'public.patients' AND row_pk = %s ORDER BY id DESC LIMIT 1""",
        [str(patient_id)],
    ).fetchone()
    assert entry is not None and entry[:3] == ("UPDATE", mark, True), (revision, entry)
    assert "notes" in entry[3], (revision, entry)
    tables = conn.execute(
        r"""SELECT c.relname, coalesce(array_agg(t.tgname) FILTER (WHERE t.tgname IS NOT NULL), '{}')
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              LEFT JOIN pg_trigger t ON t.tgrelid = c.oid AND t.tgname LIKE 'audit\_%' AND t.tgparentid = 0
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
               AND NOT audit_is_exempt(c.relname)
             GROUP BY c.relname"""
    ).fetchall()
    missing = {name: AUDIT_TRIGGERS - set(triggers) for name, triggers in tables if AUDIT_TRIGGERS - set(triggers)}
    assert missing == {}, revision
    # The seal still chains what was captured, and verify finds it intact.
    conn.execute("SELECT audit_seal()")
    problems = conn.execute("SELECT * FROM audit_verify()").fetchall()
    assert problems == [], (revision, problems)


def add_data(conn, step: str) -> None:
    """A patient with a free-text allergy (0009 turns it into a row), a doctor,
    an absence and a medication, as the schema of the moment allows."""
    if not exists(conn, "patients"):
        return
    conn.execute(
        "INSERT INTO patients (last_name, first_name, birth_date, sex, allergies) "
        "VALUES ('Roux', %s, '1990-01-01', 'F', 'pénicilline') RETURNING id",
        [f"Léa {step}"],
    )
    (doctor_id,) = conn.execute(
        "INSERT INTO staff (last_name, first_name, profession) VALUES ('Martin', %s, 'doctor') RETURNING id",
        [f"Paul {step}"],
    ).fetchone()
    if exists(conn, "doctor_absence"):
        conn.execute(
            "INSERT INTO doctor_absence (doctor_id, starts_at, ends_at, reason)"
            " VALUES (%s, now(), now() + interval '1 day', 'Congrès')",
            [doctor_id],
        )
    if exists(conn, "medications"):
        conn.execute(
            "INSERT INTO medications (code, name, substances) VALUES (%s, 'Paracétamol 500 mg', ARRAY['Paracétamol'])",
            [f"walk-{step}"],
        )


def exists(conn, table: str) -> bool:
    return conn.execute("SELECT to_regclass(%s) IS NOT NULL", [f"public.{table}"]).fetchone()[0]


def test_every_revision_goes_up_and_down_one_step_at_a_time_with_data(migrator, owner):
    """Up one revision, down one, up again, from the base to head, then down to
    the base one step at a time: the audit captures at every step (and the
    seal verifies), whatever data the previous revisions left."""
    revisions = revisions_in_order()
    schemas = {"base": schema_of(owner)}
    previous = "base"
    for revision in revisions:
        migrator(revision)
        schemas[revision] = schema_of(owner)
        add_data(owner, revision)
        if has_audit(owner):
            assert_audit_captures(owner, f"up to {revision}")
        migrator(previous, down=True)
        # The downgrade leaves what the previous revision had installed.
        assert_schema_is(owner, schemas[previous], f"{revision} down to {previous}")
        if has_audit(owner):
            assert_audit_captures(owner, f"back down to {previous}")
        migrator(revision)
        assert current_revision(owner) == revision
        if has_audit(owner):
            assert_audit_captures(owner, f"up again to {revision}")
        previous = revision

    for revision in reversed(["base", *revisions[:-1]]):
        migrator(revision, down=True)
        assert_schema_is(owner, schemas[revision], f"down to {revision}")
        if has_audit(owner):
            assert_audit_captures(owner, f"down to {revision}")
    assert not has_audit(owner)
    left = owner.execute(
        "SELECT count(*) FROM pg_proc WHERE pronamespace = 'public'::regnamespace AND proname LIKE 'audit%'"
    ).fetchone()[0]
    assert left == 0


def test_an_empty_database_upgraded_to_0003_gets_0003s_audit(migrator, owner):
    """Not today's: no hstore, CHECK constraints on audit_log, the WHEN clause
    on the UPDATE trigger, the time BRIN, no restore."""
    migrator("0003")
    assert owner.execute("SELECT count(*) FROM pg_extension WHERE extname = 'hstore'").fetchone()[0] == 0
    checks = {
        name
        for (name,) in owner.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'public.audit_log'::regclass AND contype = 'c'"
        )
    }
    assert checks == {"audit_log_operation_check", "audit_log_rows_check"}
    (when,) = owner.execute(
        "SELECT tgqual IS NOT NULL FROM pg_trigger"
        " WHERE tgname = 'audit_update' AND tgrelid = 'public.patients'::regclass"
    ).fetchone()
    assert when
    indexes = {name for (name,) in owner.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'audit_log'")}
    assert "audit_log_time_brin" in indexes and "audit_log_time_idx" not in indexes
    assert owner.execute("SELECT to_regproc('public.audit_restore_row') IS NULL").fetchone()[0]
    (source,) = owner.execute("SELECT prosrc FROM pg_proc WHERE proname = 'audit_capture'").fetchone()
    shipped = (TRIGGERS_DIR / "0003" / "03_audit_capture.sql").read_text(encoding="utf-8")
    assert source.strip() in shipped


def test_every_sql_file_under_triggers_belongs_to_a_revision():
    """triggers/<revision>/NN_name.sql only, each directory a revision that exists."""
    revisions = set(revisions_in_order())
    directories = {path.name for path in TRIGGERS_DIR.iterdir() if path.is_dir()}
    assert directories <= revisions
    assert list(TRIGGERS_DIR.glob("*.sql")) == []
    for directory in directories:
        assert frozen_sql_files(directory)
    current = current_sql_files()
    assert current["audit_capture.sql"].parent.name >= "0011"
    assert current["audit_restore.sql"].parent.name >= "0020"
