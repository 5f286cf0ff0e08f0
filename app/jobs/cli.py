"""`flask worker`: run the background jobs (the queue of app/jobs/queue.py)."""

import logging
import re

import click
from flask import current_app
from flask.cli import with_appcontext

ADDRESS = re.compile(r"[^@'\"\s,()\[\]]+@[^@'\"\s,()\[\]]+")


class MaskAddresses(logging.Filter):
    """procrastinate's per-job lines quote the job's arguments, among them an
    e-mail recipient: addresses are masked in every line the worker logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "@" in message:
            record.msg, record.args = ADDRESS.sub("[address]", message), None
        return True


@click.command("worker")
@click.option("--concurrency", default=1, show_default=True, help="jobs run at once by this worker")
@click.option("--queue", "queues", multiple=True, help="only these queues (default: every queue)")
@click.option("--once", is_flag=True, help="run the jobs due now, then exit (no periodic scheduling)")
@with_appcontext
def worker(concurrency: int, queues: tuple[str, ...], once: bool) -> None:
    """Run queued jobs and schedule the periodic ones until stopped (Ctrl+C, SIGTERM)."""
    from app.alerts.watch import AlertWatcher
    from app.jobs.queue import job_queue, run_worker
    from app.jobs.registry import WORKER

    logging.basicConfig(level=logging.INFO, format="[caretrail worker] %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(MaskAddresses())
    # procrastinate logs each job's start and end (INFO) and a final failure
    # (ERROR) with its arguments: ids, and an alert e-mail's recipient, masked above.
    flask_app = current_app._get_current_object()
    queue = job_queue(flask_app)
    click.echo(f"CareTrail worker: {len(queue.tasks)} tasks, {len(queue.periodic_registry.periodic_tasks)} periodic")
    watcher = None
    if not once:
        # The alert engine reads the audit stream beside the jobs (app/alerts/watch.py).
        watcher = AlertWatcher(flask_app, WORKER, interval=flask_app.config.get("ALERT_POLL_SECONDS", 1.0))
        watcher.start()
    try:
        run_worker(
            queue,
            concurrency=concurrency,
            queues=list(queues) or None,
            wait=not once,
            name="caretrail-worker",
            fetch_job_polling_interval=2.0,
        )
    finally:
        if watcher is not None:
            watcher.stop()
