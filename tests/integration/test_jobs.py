"""The job queue (procrastinate, migration 0081): the periodic housekeeping
runs as jobs, a failing job is retried then kept as failed, and
administrators see the queue."""

import asyncio
import threading
import time

import procrastinate
import pytest

from app.core.extensions import db
from app.jobs.queue import job_queue, run_worker
from app.jobs.registry import RETRY, defer
from tests.prescribing import backdate, make_ward, signed, status_of


def run_due_jobs(app) -> None:
    """A worker that runs what is due now and exits (`flask worker --once`)."""
    run_worker(job_queue(app), wait=False, install_signal_handlers=False, listen_notify=False)


def defer_now(app, task_name: str, **args) -> int:
    """Enqueue a task as the app does (in a transaction of its session)."""
    with app.app_context():
        job_id = defer(db.session, task_name, **args)
        db.session.commit()
    return job_id


def job_statuses(sql_conn, task_name: str, job_id: int | None = None) -> list[tuple[str, int]]:
    """(status, attempts) of the task's jobs, or of the one job `job_id`."""
    return sql_conn.execute(
        "SELECT status::text, attempts FROM procrastinate_jobs WHERE task_name = %s AND (%s::bigint IS NULL OR id = %s)"
        " ORDER BY id",
        [task_name, job_id, job_id],
    ).fetchall()


def test_the_queue_tables_come_from_the_migration_and_stay_out_of_the_audit(sql_conn):
    tables = {
        row[0] for row in sql_conn.execute("SELECT tablename FROM pg_tables WHERE tablename LIKE 'procrastinate%'")
    }
    assert {"procrastinate_jobs", "procrastinate_events", "procrastinate_periodic_defers"} <= tables
    triggers = sql_conn.execute(
        "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'procrastinate_jobs'::regclass AND tgname LIKE 'audit\\_%'"
    ).fetchone()[0]
    assert triggers == 0
    before = sql_conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    sql_conn.execute("INSERT INTO procrastinate_jobs (queue_name, task_name) VALUES ('default', 'x')")
    assert sql_conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == before


def test_the_housekeeping_tasks_are_periodic(app):
    periodic = {task.task.name: task.cron for task in job_queue(app).periodic_registry.periodic_tasks.values()}
    assert periodic["audit.seal"] == "*/5 * * * *"
    assert {"audit.seal", "audit.ensure_partitions", "prescriptions.expire", "jobs.remove_old"} <= set(periodic)


def test_the_seal_job_seals_the_audit(app, sql_conn):
    sql_conn.execute("INSERT INTO rooms (code, name, kind) VALUES ('J1', 'Jobs room', 'consultation')")
    defer_now(app, "audit.seal", timestamp=0)
    run_due_jobs(app)
    assert {status for status, _ in job_statuses(sql_conn, "audit.seal")} == {"succeeded"}
    unsealed = sql_conn.execute(
        "SELECT count(*) FROM audit_log WHERE id > coalesce((SELECT max(max_entry_id) FROM audit_seals), 0)"
    ).fetchone()[0]
    assert unsealed == 0


def test_the_expiry_job_expires_prescriptions_through_the_rule_as_the_worker(app, sql_conn):
    ward = make_ward(sql_conn)
    ended = signed(sql_conn, ward["dubois"], ward["martin"], [ward["med"]["PARA"]])
    backdate(sql_conn, ended, days=10, valid_days=5)
    running = signed(sql_conn, ward["durand"], ward["martin"], [ward["med"]["PARA"]])
    defer_now(app, "prescriptions.expire", timestamp=0)
    run_due_jobs(app)
    assert status_of(sql_conn, ended) == "expired" and status_of(sql_conn, running) == "signed"
    (who,) = sql_conn.execute(
        "SELECT app_username FROM audit_log WHERE table_name = 'public.prescriptions' AND row_pk = %s"
        " AND new_row ->> 'status' = 'expired'",
        [str(ended)],
    ).fetchone()
    assert who == "worker"


def test_retries_back_off_then_the_job_is_kept_as_failed():
    waits = [RETRY.get_retry_decision(exception=ValueError(), job=_job(attempts)) for attempts in range(6)]
    seconds = [(w.retry_at.timestamp() - time.time()) if w else None for w in waits]
    assert [round(s) if s is not None else None for s in seconds] == [4, 16, 64, 256, 1024, None]


def _job(attempts: int):
    return procrastinate.jobs.Job(id=1, queue="q", lock=None, queueing_lock=None, task_name="t", attempts=attempts)


def test_a_failing_job_is_retried_then_kept_failed_and_shown_to_admins(app, sql_conn, client, login):
    queue = job_queue(app)
    calls = []

    @queue.task(name="test.always_fails", retry=procrastinate.RetryStrategy(max_attempts=2))
    def always_fails():
        calls.append(1)
        raise RuntimeError("SMTP unreachable")

    try:
        with queue.open():
            always_fails.defer()
        run_due_jobs(app)
    finally:
        del queue.tasks["test.always_fails"]
    assert len(calls) == 3  # the first run and two retries
    assert job_statuses(sql_conn, "test.always_fails") == [("failed", 3)]

    login("admin")
    page = client.get("/jobs/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "test.always_fails" in html and "Failed: 1" in html
    # Each failed attempt's error is kept (procrastinate keeps only that it failed); the screen shows the last.
    (job_id,) = sql_conn.execute("SELECT id FROM procrastinate_jobs WHERE task_name = 'test.always_fails'").fetchone()
    errors = sql_conn.execute(
        "SELECT attempt, error FROM job_errors WHERE job_id = %s ORDER BY id", [job_id]
    ).fetchall()
    assert errors == [(n, "RuntimeError: SMTP unreachable") for n in (1, 2, 3)]
    assert "RuntimeError: SMTP unreachable" in html
    assert "audit.seal" in html and "prescriptions.expire" in html  # the periodic tasks and their last run


def test_only_administrators_see_the_job_queue(client, login):
    login("doctor")
    assert client.get("/jobs/").status_code in (302, 403)


def test_a_running_worker_defers_the_periodic_tasks_and_runs_them(app, sql_conn):
    """The worker schedules the periodic tasks itself (no cron): started
    now, it runs the seal of the last five-minute tick."""
    queue = job_queue(app)

    async def run_for(seconds: float) -> None:
        async with queue.open_async():
            worker = asyncio.create_task(
                queue.run_worker_async(install_signal_handlers=False, fetch_job_polling_interval=0.2)
            )
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline and not job_statuses(sql_conn, "audit.seal"):
                await asyncio.sleep(0.2)
            await asyncio.sleep(1)
            worker.cancel()
            with pytest.raises(asyncio.CancelledError):
                await worker

    thread = threading.Thread(target=lambda: asyncio.run(run_for(15)))
    thread.start()
    thread.join(30)
    assert job_statuses(sql_conn, "audit.seal") == [("succeeded", 1)]
    (periodic,) = sql_conn.execute(
        "SELECT count(*) FROM procrastinate_periodic_defers WHERE task_name = 'audit.seal'"
    ).fetchone()
    assert periodic == 1


def test_flask_worker_once_runs_the_due_jobs(app, sql_conn):
    defer_now(app, "audit.ensure_partitions", timestamp=0)
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert {status for status, _ in job_statuses(sql_conn, "audit.ensure_partitions")} == {"succeeded"}


def test_make_run_starts_a_worker_and_stops_it_first(app, database_url, sql_conn, monkeypatch):
    """The launcher's worker is a real `flask worker` process on the app's
    database; stopping it (SIGTERM) ends it cleanly."""
    from contextlib import ExitStack

    from app.launcher import start_worker

    monkeypatch.delenv("WORKER", raising=False)
    # The job deferred here, by its id: a worker started within ten minutes
    # after the task's daily time (03:17 UTC) also defers that day's run.
    job_id = defer_now(app, "audit.ensure_partitions", timestamp=0)
    with ExitStack() as stack:
        worker = start_worker(stack, database_url)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and job_statuses(sql_conn, "audit.ensure_partitions", job_id) != [
            ("succeeded", 1)
        ]:
            time.sleep(0.3)
        assert worker.poll() is None
    assert worker.returncode == 0
    assert job_statuses(sql_conn, "audit.ensure_partitions", job_id) == [("succeeded", 1)]
    monkeypatch.setenv("WORKER", "0")
    with ExitStack() as stack:
        assert start_worker(stack, database_url) is None
