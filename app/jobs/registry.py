"""What every job shares: the list tasks are declared in (`@job`), the
retry policy, the actor jobs act as, and the application context they run in.

Tasks are declared once, at import, and registered on each procrastinate App
(app/jobs/queue.py builds one per Flask app: the test-suite builds many).
"""

import json
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

import procrastinate
from sqlalchemy import text

# Jobs act as WORKER: the operator (every rule lets it through) under a name
# of its own, so the audit tells a job's changes from a command's ("system").
from app.core.actor import WORKER, acting_as

# A failing job is tried again after 4 s, 16 s, 64 s, 4 min and 17 min, then
# kept as failed (never deleted) for an administrator to see.
RETRY = procrastinate.RetryStrategy(max_attempts=5, exponential_wait=4)


@dataclass(frozen=True)
class JobSpec:
    function: Callable
    name: str
    queue: str
    retry: procrastinate.RetryStrategy | None
    cron: str | None  # periodic: a cron line (UTC), with periodic_id
    periodic_id: str
    options: dict = field(default_factory=dict)


DECLARED: dict[str, JobSpec] = {}


def job(name: str, *, queue: str = "default", retry=RETRY, cron: str | None = None, periodic_id: str = "", **options):
    """Declare a task (`pass_context`: its first argument is procrastinate's
    JobContext; a periodic task's next one is the scheduled timestamp)."""

    def declare(function: Callable) -> Callable:
        DECLARED[name] = JobSpec(function, name, queue, retry, cron, periodic_id, options)
        return function

    return declare


@contextmanager
def in_flask_app(context):
    """A task's body runs inside its Flask app, as WORKER; the session is
    removed afterwards (one thread per sync task)."""
    from app.core.extensions import db

    flask_app = context.app.flask_app
    with flask_app.app_context(), acting_as(WORKER):
        try:
            yield flask_app
        finally:
            db.session.remove()


DEFER_SQL = text(
    "SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW(:queue, :task, :priority, :lock, :queueing_lock,"
    " CAST(:args AS jsonb), :scheduled_at)::procrastinate_job_to_defer_v1])) AS id"
)


def defer(
    session,
    task_name: str,
    *,
    scheduled_at: datetime | None = None,
    queueing_lock: str | None = None,
    lock: str | None = None,
    **args,
) -> int:
    """Enqueue a declared task in the session's own transaction: the job
    exists if, and only if, the change that asked for it commits.  Returns
    the job's id.  The caller's rule commits."""
    spec = DECLARED[task_name]
    return session.execute(
        DEFER_SQL,
        {
            "queue": spec.queue,
            "task": task_name,
            "priority": 0,
            "lock": lock,
            "queueing_lock": queueing_lock,
            "args": json.dumps(args),
            "scheduled_at": scheduled_at,
        },
    ).scalar_one()
