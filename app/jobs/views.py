"""Administrators' screen of the job queue (Settings > Background jobs)."""

from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l

from app.core.actor import current_actor
from app.core.extensions import db
from app.jobs.status import queue_status
from app.security.roles import JOBS

# Procrastinate's job statuses as the screen names them (the queue keeps its codes).
JOB_STATUS_LABELS = {
    "todo": _l("Queued"),
    "doing": _l("Running"),
    "succeeded": _l("Succeeded"),
    "failed": _l("Failed"),
    "cancelled": _l("Cancelled"),
    "aborting": _l("Aborting"),
    "aborted": _l("Aborted"),
}


class JobsView(BaseView):
    route_base = "/jobs"
    default_view = "index"
    class_permission_name = JOBS
    method_permission_name = {"index": "read"}

    @expose("/")
    @has_access
    def index(self):
        return self.render_template(
            "jobs/index.html", status=queue_status(db.session, current_actor()), job_status_labels=JOB_STATUS_LABELS
        )
