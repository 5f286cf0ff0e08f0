"""Administrators' screen of the job queue (Settings > Background jobs)."""

from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access

from app.core.actor import current_actor
from app.core.extensions import db
from app.jobs.status import queue_status
from app.security.roles import JOBS


class JobsView(BaseView):
    route_base = "/jobs"
    default_view = "index"
    class_permission_name = JOBS
    method_permission_name = {"index": "read"}

    @expose("/")
    @has_access
    def index(self):
        return self.render_template("jobs/index.html", status=queue_status(db.session, current_actor()))
