"""The error of each failed attempt of a job, for the administrators'
screen: procrastinate keeps that a job failed (its status, its events),
not why.  A worker middleware (it wraps every job a worker runs, sync and
async, declared with @job or not) writes the exception's type and message
into job_errors (migration 0087), in a transaction of its own, as the
worker, then lets the failure go on to procrastinate's retry policy.
"""

import asyncio
import logging

from sqlalchemy import text

log = logging.getLogger(__name__)

ERROR_MAX_LENGTH = 4000

INSERT_ERROR = text("INSERT INTO job_errors (job_id, attempt, error) VALUES (:job_id, :attempt, :error)")


def error_text(exc: BaseException) -> str:
    """What the screen shows: the exception's type and message, cut to fit."""
    message = str(exc).strip()
    shown = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return shown if len(shown) <= ERROR_MAX_LENGTH else shown[: ERROR_MAX_LENGTH - 1] + "\u2026"


def record_job_error(flask_app, job_id: int, attempt: int, exc: BaseException) -> None:
    """Write one failed attempt; a failure to write it is logged, never raised
    (the job's own failure is what matters)."""
    from app.core.actor import acting_as
    from app.core.extensions import db
    from app.jobs.registry import WORKER

    try:
        with flask_app.app_context(), acting_as(WORKER):
            try:
                db.session.execute(INSERT_ERROR, {"job_id": job_id, "attempt": attempt, "error": error_text(exc)})
                db.session.commit()
            finally:
                db.session.remove()
    except Exception:
        log.exception("could not record the error of job %s", job_id)


async def record_job_errors(call_next, context, worker):
    """procrastinate worker middleware: a job that raises has its error kept."""
    try:
        return await call_next()
    except Exception as exc:
        flask_app = getattr(context.app, "flask_app", None)
        if flask_app is not None and context.job.id is not None:
            await asyncio.to_thread(record_job_error, flask_app, context.job.id, context.job.attempts + 1, exc)
        raise
