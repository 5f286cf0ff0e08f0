"""The job queue: procrastinate on CareTrail's own database.

One procrastinate App per Flask app (the test-suite builds many apps), built
from its configuration and kept in `flask_app.extensions`.  Jobs live in the
same database as the records (tables from migration 0081), so any number of
workers on any number of machines share the queue, and a job deferred inside
a transaction exists only if that transaction commits.

Tasks are declared with `@job` (app/jobs/registry.py) in app/jobs/tasks.py
and the other job modules listed in JOB_MODULES; each runs inside an
application context of its Flask app, as the WORKER actor.
"""

import asyncio
from concurrent.futures import ThreadPoolExecutor

import procrastinate
from sqlalchemy.engine import make_url

from app.agenda import reminders as _reminders  # noqa: F401  (declares the appointment reminders)
from app.alerts import mail as _alert_mail  # noqa: F401  (declares the alert e-mails)
from app.alerts import reports as _reports  # noqa: F401  (declares the periodic audit reports)
from app.care import reminders as _vaccination_reminders  # noqa: F401  (declares the vaccination reminders)
from app.jobs import tasks as _tasks  # noqa: F401  (declares the housekeeping tasks)
from app.jobs.errors import record_job_errors
from app.jobs.registry import DECLARED

EXTENSION = "caretrail_jobs"


def conninfo(database_uri: str) -> str:
    """libpq's connection string for SQLAlchemy's URL (postgresql+psycopg://...)."""
    return make_url(database_uri).set(drivername="postgresql").render_as_string(hide_password=False)


def job_queue(flask_app) -> procrastinate.App:
    """The procrastinate App of this Flask app (built on first use)."""
    queue = flask_app.extensions.get(EXTENSION)
    if queue is None:
        connector = procrastinate.PsycopgConnector(
            conninfo=conninfo(flask_app.config["SQLALCHEMY_DATABASE_URI"]),
            kwargs={
                "options": f"-c timezone={flask_app.config['TIMEZONE']}",
                "application_name": "caretrail-worker",
            },
            min_size=1,
            max_size=4,
        )
        # Every failed attempt's error is kept for the jobs screen (app/jobs/errors.py).
        queue = procrastinate.App(connector=connector, worker_defaults={"worker_middleware": [record_job_errors]})
        for spec in DECLARED.values():
            task = queue.task(
                name=spec.name, queue=spec.queue, retry=spec.retry or False, pass_context=True, **spec.options
            )(spec.function)
            if spec.cron:
                queue.periodic(cron=spec.cron, periodic_id=spec.periodic_id)(task)
        queue.flask_app = flask_app
        flask_app.extensions[EXTENSION] = queue
    return queue


def run_worker(queue: procrastinate.App, **options) -> None:
    """procrastinate's blocking worker (it calls asyncio.run()), from a thread
    of its own when this one already runs an event loop (an embedding
    program, or Playwright's sync API in the same test process), where
    asyncio.run() would refuse to start."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        queue.run_worker(**options)
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(queue.run_worker, **options).result()
