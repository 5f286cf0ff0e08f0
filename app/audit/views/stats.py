"""Audit statistics page: a period in the URL, charts drawn by the bundled Chart.js."""

from datetime import UTC, datetime, timedelta

from flask import request
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access

from app.audit.search import AuditFilters, AuditQueryError
from app.audit.stats import audit_statistics
from app.core.errors import BadInput
from app.core.formatting import day_name
from app.security.roles import AUDIT

DEFAULT_DAYS = 30


class AuditStatsView(BaseView):
    route_base = "/audit/stats"
    default_view = "index"
    class_permission_name = AUDIT
    method_permission_name = {"index": "read"}

    @expose("/")
    @has_access
    def index(self):
        error, statistics = None, None
        params = {k: v for k, v in request.args.items() if k in ("from", "to") and v}
        try:
            unknown = sorted(set(request.args) - {"from", "to"})
            if unknown:
                raise AuditQueryError(unknown[0], "unknown parameter")
            period = AuditFilters.parse(params)
            end = period.end or datetime.now(UTC)
            start = period.start or end - timedelta(days=DEFAULT_DAYS)
            statistics = audit_statistics(start, end)
        except BadInput as problem:
            error = f"{problem.field}: {problem.message}" if problem.field else problem.message
        peak = max((max(hours) for hours in statistics.heat_map), default=0) if statistics else 0
        return self.render_template(
            "audit/stats.html",
            statistics=statistics,
            data=statistics.as_dict() if statistics else None,
            error=error,
            peak=peak or 1,
            params=params,
            weekdays=[day_name(day, "abbreviated") for day in range(1, 8)],
        ), (400 if error else 200)
