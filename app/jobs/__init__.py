"""Background work on a PostgreSQL job queue (procrastinate): the worker
(`flask worker`, `make worker`, started by `make run`), the periodic
housekeeping (audit seal and partitions, prescriptions' expiry), and the
administrators' screen of queued, running and failed jobs."""


def register(appbuilder) -> None:
    from app.jobs.views import JobsView
    from app.security.roles import JOBS_MENU, SETTINGS_MENU

    appbuilder.add_view(JobsView, JOBS_MENU, icon="fa-cogs", category=SETTINGS_MENU)
