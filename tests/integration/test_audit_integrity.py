"""Tamper evidence: seal, verify, and archive without breaking the chain."""

import gzip
import json
from datetime import date

import psycopg
import pytest

from app.audit.integrity import archive_before, verify
from app.core.extensions import db


def new_patient(conn, last_name="Roux") -> int:
    return conn.execute(
        "INSERT INTO patients (last_name, first_name, birth_date, sex) "
        "VALUES (%s, 'Léa', '1990-01-01', 'F') RETURNING id",
        [last_name],
    ).fetchone()[0]


def run_cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def verify_all(app):
    with app.app_context(), db.engine.connect() as connection:
        return verify(connection)


def first_problem(app):
    with app.app_context(), db.engine.connect() as connection:
        problems = verify(connection)
    return problems[0] if problems else None


@pytest.fixture
def sealed(app, sql_conn):
    """Three patients written (and one insert rolled back, which leaves a gap
    in the ids), then the whole log sealed; yields their audit entry ids."""
    new_patient(sql_conn, "Alpha")
    with pytest.raises(RuntimeError), sql_conn.transaction():
        new_patient(sql_conn, "Rolled back")
        raise RuntimeError
    for name in ("Bravo", "Charlie"):
        new_patient(sql_conn, name)
    result = run_cli(app, "audit", "seal")
    assert result.exit_code == 0, result.output
    ids = [
        row[0] for row in sql_conn.execute("SELECT id FROM audit_log WHERE table_name = 'public.patients' ORDER BY id")
    ]
    return ids


def tamper(sql_conn, statement: str, params=()):
    """What a superuser can do: switch triggers off for the session."""
    sql_conn.execute("SET session_replication_role = replica")
    try:
        sql_conn.execute(statement, params)
    finally:
        sql_conn.execute("SET session_replication_role = origin")


def test_an_intact_log_verifies(app, sealed):
    result = run_cli(app, "audit", "verify")
    assert result.exit_code == 0 and "intact" in result.output


def test_a_modified_entry_is_detected_and_pinpointed(app, sql_conn, sealed):
    target = sealed[1]
    tamper(
        sql_conn,
        "UPDATE audit_log SET new_row = jsonb_set(new_row::jsonb, '{last_name}', '\"Forged\"') WHERE id = %s",
        [target],
    )
    result = run_cli(app, "audit", "verify")
    assert result.exit_code == 1
    assert f"modified: entry {target}" in result.output
    assert first_problem(app).entry_id == target


def test_a_deleted_entry_is_detected_and_pinpointed(app, sql_conn, sealed):
    target = sealed[0]
    tamper(sql_conn, "DELETE FROM audit_log WHERE id = %s", [target])
    problem = first_problem(app)
    assert (problem.problem, problem.entry_id) == ("deleted", target)
    assert run_cli(app, "audit", "verify").exit_code == 1


FORGE = (
    "INSERT INTO audit_log (id, occurred_at, statement_id, table_name, operation, row_pk, old_row) "
    "OVERRIDING SYSTEM VALUE SELECT %s, occurred_at, statement_id, table_name, 'DELETE', row_pk, new_row "
    "FROM audit_log WHERE id = %s"
)


def test_a_forged_entry_inserted_behind_the_seal_is_detected(app, sql_conn, sealed):
    gap = sealed[0] + 1  # the id the rolled-back insert took
    assert sql_conn.execute("SELECT count(*) FROM audit_log WHERE id = %s", [gap]).fetchone() == (0,)
    sql_conn.execute(FORGE, [gap, sealed[0]])
    problem = first_problem(app)
    assert (problem.problem, problem.entry_id) == ("inserted", gap)
    result = run_cli(app, "audit", "verify")
    assert result.exit_code == 1 and f"inserted: entry {gap}" in result.output


def test_a_forged_copy_of_an_existing_id_is_detected(app, sql_conn, sealed):
    sql_conn.execute(
        "INSERT INTO audit_log (id, occurred_at, statement_id, table_name, operation, row_pk, old_row) "
        "OVERRIDING SYSTEM VALUE SELECT id, occurred_at + interval '1 microsecond', statement_id, table_name, "
        "'DELETE', row_pk, new_row FROM audit_log WHERE id = %s",
        [sealed[1]],
    )
    problems = {(p.problem, p.entry_id) for p in verify_all(app)}
    assert ("inserted", sealed[1]) in problems


@pytest.mark.parametrize(
    ("operation", "old_row", "new_row", "changed"),
    [
        ("INSERT", None, None, None),  # an insert without its row
        ("UPDATE", '{"id": 1}', '{"id": 1}', "{}"),  # an update that changed nothing
        ("DELETE", None, None, None),
        ("MERGE", None, '{"id": 1}', None),  # not an operation audit_capture() writes
    ],
)
def test_an_entry_audit_capture_would_never_write_is_reported(app, sql_conn, operation, old_row, new_row, changed):
    """audit_log has no CHECK constraint (it would cost more than the copy of
    the row, see audit_schema.sql in triggers/): verify checks the shape instead."""
    (forged,) = sql_conn.execute(
        "INSERT INTO audit_log (statement_id, table_name, operation, row_pk, old_row, new_row, changed_columns) "
        "VALUES (1, 'public.patients', %s, '1', %s, %s, %s) RETURNING id",
        [operation, old_row, new_row, changed],
    ).fetchone()
    problems = {(p.problem, p.entry_id) for p in verify_all(app)}
    assert ("malformed", forged) in problems
    assert run_cli(app, "audit", "verify").exit_code == 1


def test_entries_sealed_later_still_verify(app, sql_conn, sealed):
    new_patient(sql_conn, "Delta")
    assert first_problem(app) is None  # written after the seal: not sealed yet, not a problem
    assert run_cli(app, "audit", "seal").exit_code == 0
    assert first_problem(app) is None


def test_a_transaction_still_running_at_seal_time_is_not_a_forgery(app, postgres_server, database_name, sql_conn):
    """Audit ids are taken when rows are written, not when transactions commit:
    a slow transaction can commit an entry below the sealed head."""
    with psycopg.connect(postgres_server.conninfo(database_name)) as slow:
        new_patient(slow, "Slow")  # takes the lower id, stays uncommitted
        new_patient(sql_conn, "Fast")  # higher id, committed
        assert run_cli(app, "audit", "seal").exit_code == 0
        slow.commit()
    assert first_problem(app) is None
    assert run_cli(app, "audit", "seal").exit_code == 0
    assert first_problem(app) is None
    (unsealed,) = sql_conn.execute(
        "SELECT count(*) FROM audit_log a WHERE NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.entry_id = a.id)"
    ).fetchone()
    assert unsealed == 0


def test_archiving_old_months_keeps_the_rest_verifiable(app, postgres_server, database_name, sql_conn, tmp_path):
    """Two entries of 2020 (given ids below today's, as they would have had),
    archived; what remains, and what comes next, still verifies."""
    sql_conn.execute("SELECT audit_ensure_partitions(0, DATE '2020-01-01')")
    for entry_id, day in ((-2, "2020-01-15"), (-1, "2020-02-10")):
        sql_conn.execute(
            "INSERT INTO audit_log (id, occurred_at, statement_id, table_name, operation) "
            "OVERRIDING SYSTEM VALUE VALUES (%s, %s::timestamptz, 0, 'public.rooms', 'TRUNCATE')",
            [entry_id, day],
        )
    new_patient(sql_conn, "Recent")
    from sqlalchemy import create_engine

    engine = create_engine(postgres_server.database_url(database_name))  # archiving needs the owner
    with engine.begin() as connection:
        archived = archive_before(connection, date(2020, 3, 1), tmp_path)
    engine.dispose()
    assert [a.name for a in archived] == ["audit_log_y2020m01", "audit_log_y2020m02"]
    assert [a.entries for a in archived] == [1, 1]
    with gzip.open(archived[0].export_file, "rt") as exported:
        assert json.loads(exported.readline())["operation"] == "TRUNCATE"
    assert sql_conn.execute("SELECT to_regclass('public.audit_log_y2020m01')").fetchone() == (None,)
    assert sql_conn.execute("SELECT count(*) FROM audit_archives").fetchone() == (2,)
    assert first_problem(app) is None
    new_patient(sql_conn, "After archive")
    assert run_cli(app, "audit", "seal").exit_code == 0
    assert first_problem(app) is None


def test_archive_refuses_a_bad_month(app):
    result = run_cli(app, "audit", "archive", "--before", "2026-13")
    assert result.exit_code != 0 and "not a month" in result.output
