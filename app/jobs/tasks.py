"""Periodic housekeeping that used to wait for a cron: the audit's seal and
its future partitions, prescriptions' expiry, and the queue's own clean-up.

Every task is a door like a screen or a command: it calls the domain's rule
with the WORKER actor and lets the rule refuse and commit.  Cron times are
UTC (procrastinate's); each task is idempotent, so running it again, or
late, changes nothing more.
"""

from sqlalchemy import text

from app.jobs.registry import in_flask_app, job

# Succeeded jobs are kept this long for the admin screen; failed ones stay.
KEEP_SUCCEEDED_HOURS = 7 * 24


@job("audit.seal", queue="maintenance", cron="*/5 * * * *", periodic_id="every-5-minutes", lock="audit.seal")
def seal_audit(context, timestamp: int) -> int:
    """Extend the audit's hash chain over the entries written since the last seal."""
    from app.audit.integrity import seal
    from app.core.extensions import db

    with in_flask_app(context), db.engine.begin() as connection:
        return seal(connection).entry_count


@job("audit.ensure_partitions", queue="maintenance", cron="17 3 * * *", periodic_id="daily")
def ensure_audit_partitions(context, timestamp: int) -> int:
    """Create the audit's monthly partitions three months ahead."""
    from app.core.extensions import db

    with in_flask_app(context), db.engine.begin() as connection:
        return connection.execute(text("SELECT audit_ensure_partitions()")).scalar_one()


# Hourly: prescriptions end at midnight in the hospital's time zone, which
# a UTC cron cannot name; the rule only expires what has ended.
@job("prescriptions.expire", queue="maintenance", cron="7 * * * *", periodic_id="hourly")
def expire_prescriptions(context, timestamp: int) -> int:
    """Mark signed prescriptions past their validity as expired."""
    from app.core.actor import current_actor
    from app.core.extensions import db
    from app.prescribing.rules import expire_overdue

    with in_flask_app(context):
        return expire_overdue(db.session, current_actor())


@job("jobs.remove_old", queue="maintenance", retry=None, cron="43 2 * * *", periodic_id="daily")
async def remove_old_jobs(context, timestamp: int) -> None:
    """Forget succeeded jobs after a week; failed jobs are kept."""
    await context.app.job_manager.delete_old_jobs(nb_hours=KEEP_SUCCEEDED_HOURS, include_failed=False)
