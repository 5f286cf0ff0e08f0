"""`flask worker`: run the background jobs (the queue of app/jobs/queue.py)."""

import logging

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("worker")
@click.option("--concurrency", default=1, show_default=True, help="jobs run at once by this worker")
@click.option("--queue", "queues", multiple=True, help="only these queues (default: every queue)")
@click.option("--once", is_flag=True, help="run the jobs due now, then exit (no periodic scheduling)")
@with_appcontext
def worker(concurrency: int, queues: tuple[str, ...], once: bool) -> None:
    """Run queued jobs and schedule the periodic ones until stopped (Ctrl+C, SIGTERM)."""
    from app.alerts.watch import AlertWatcher
    from app.jobs.queue import job_queue
    from app.jobs.registry import WORKER

    logging.basicConfig(level=logging.INFO, format="[caretrail worker] %(levelname)s %(name)s: %(message)s")
    # procrastinate logs each job's start and end at INFO; its arguments stay
    # out of the messages (they may name a patient's appointment, never a secret).
    flask_app = current_app._get_current_object()
    queue = job_queue(flask_app)
    click.echo(f"CareTrail worker: {len(queue.tasks)} tasks, {len(queue.periodic_registry.periodic_tasks)} periodic")
    watcher = None
    if not once:
        # The alert engine reads the audit stream beside the jobs (app/alerts/watch.py).
        watcher = AlertWatcher(flask_app, WORKER, interval=flask_app.config.get("ALERT_POLL_SECONDS", 1.0))
        watcher.start()
    try:
        queue.run_worker(
            concurrency=concurrency,
            queues=list(queues) or None,
            wait=not once,
            name="caretrail-worker",
            fetch_job_polling_interval=2.0,
        )
    finally:
        if watcher is not None:
            watcher.stop()
