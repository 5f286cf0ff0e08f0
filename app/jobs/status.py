"""What the queue holds, for the administrators' screen: jobs waiting,
running and failed, and the last run of each periodic task.  Read-only."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text

from app.core.actor import Actor

# Through the queue, which imports every domain's task module: the web
# process imports no task module of its own, and would list no periodic task.
from app.jobs.queue import DECLARED
from app.security.policy import READ, require
from app.security.roles import JOBS

LIST_LIMIT = 100
SHOWN_LIST_ITEMS = 10  # an argument holding a long list (an alert mail's ids) is shortened on screen


def shown_arguments(args: dict) -> dict:
    """A job's arguments for the screen: a list past SHOWN_LIST_ITEMS keeps
    its first items and says how many there are."""
    return {
        name: [*value[:SHOWN_LIST_ITEMS], f"... {len(value)} in all"]
        if isinstance(value, list) and len(value) > SHOWN_LIST_ITEMS
        else value
        for name, value in args.items()
    }


@dataclass
class JobRow:
    id: int
    task_name: str
    queue_name: str
    status: str
    attempts: int
    args: dict
    scheduled_at: datetime | None
    deferred_at: datetime | None
    last_event_at: datetime | None
    last_error: str | None = None  # the last failed attempt's error (app/jobs/errors.py)

    @property
    def shown_args(self) -> dict:
        return shown_arguments(self.args)


@dataclass
class PeriodicRun:
    task_name: str
    cron: str
    job_id: int | None
    status: str | None
    ran_at: datetime | None


@dataclass
class QueueStatus:
    counts: dict[str, int]
    waiting: list[JobRow]
    running: list[JobRow]
    failed: list[JobRow]
    periodic: list[PeriodicRun]


JOBS_SQL = text(
    """
    SELECT j.id, j.task_name, j.queue_name, j.status::text AS status, j.attempts, j.args, j.scheduled_at,
           (SELECT min(e.at) FROM procrastinate_events e WHERE e.job_id = j.id AND e.type = 'deferred') AS deferred_at,
           (SELECT max(e.at) FROM procrastinate_events e WHERE e.job_id = j.id) AS last_event_at,
           (SELECT x.error FROM job_errors x WHERE x.job_id = j.id ORDER BY x.id DESC LIMIT 1) AS last_error
      FROM procrastinate_jobs j
     WHERE j.status = CAST(:status AS procrastinate_job_status)
     ORDER BY j.id DESC
     LIMIT :limit
    """
)

LAST_PERIODIC_SQL = text(
    """
    SELECT d.job_id, j.status::text AS status,
           (SELECT max(e.at) FROM procrastinate_events e WHERE e.job_id = d.job_id) AS ran_at
      FROM procrastinate_periodic_defers d
      LEFT JOIN procrastinate_jobs j ON j.id = d.job_id
     WHERE d.task_name = :task_name AND d.periodic_id = :periodic_id
     ORDER BY d.defer_timestamp DESC
     LIMIT 1
    """
)


def queue_status(session, actor: Actor) -> QueueStatus:
    require(actor, READ, JOBS)
    counts = dict(session.execute(text("SELECT status::text, count(*) FROM procrastinate_jobs GROUP BY status")).all())

    def jobs(status: str) -> list[JobRow]:
        return [JobRow(**row._mapping) for row in session.execute(JOBS_SQL, {"status": status, "limit": LIST_LIMIT})]

    periodic = []
    for spec in sorted(DECLARED.values(), key=lambda spec: spec.name):
        if not spec.cron:
            continue
        row = session.execute(LAST_PERIODIC_SQL, {"task_name": spec.name, "periodic_id": spec.periodic_id}).first()
        periodic.append(
            PeriodicRun(
                spec.name,
                spec.cron,
                row.job_id if row else None,
                row.status if row else None,
                row.ran_at if row else None,
            )
        )
    return QueueStatus(counts, jobs("todo"), jobs("doing"), jobs("failed"), periodic)
