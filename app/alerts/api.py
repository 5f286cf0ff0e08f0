"""REST API: GET /api/v1/alerts/ (list, filters) and /api/v1/alerts/<id>."""

from app.alerts.models import Alert
from app.core.api import CareTrailModelApi
from app.core.datamodel import CareTrailInterface
from app.security.roles import ALERTS

COLUMNS = [
    "id",
    "rule_code",
    "severity",
    "summary",
    "status",
    "created_at",
    "occurred_at",
    "audit_entry_ids",
    "access_entry_ids",
    "acknowledged_by_id",
    "acknowledged_at",
    "ack_comment",
]


class AlertApi(CareTrailModelApi):
    """Read-only: alerts are raised by the engine and acknowledged on the screen."""

    resource_name = "alerts"
    datamodel = CareTrailInterface(Alert)
    class_permission_name = ALERTS
    openapi_spec_tag = "Alerts"
    include_route_methods = {"get", "get_list", "info"}
    list_columns = show_columns = COLUMNS
    order_columns = ["id", "created_at", "occurred_at", "severity", "rule_code", "status"]
    search_columns = ["rule_code", "severity", "status", "created_at"]
    base_order = ("id", "desc")
