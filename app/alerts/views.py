"""Alert screens: the history with its filters and acknowledgement, and the
settings of each rule (administrators)."""

from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext

from app.alerts import rules
from app.alerts.models import ALERT_STATUS_LABELS, ALERT_STATUSES, SEVERITIES, SEVERITY_LABELS
from app.core.actor import current_actor
from app.core.errors import BadInput, CareTrailError
from app.core.extensions import db
from app.core.normalize import is_digits
from app.security.roles import ALERT_RULES, ALERTS


class AlertHistoryView(BaseView):
    route_base = "/alerts"
    default_view = "index"
    class_permission_name = ALERTS
    method_permission_name = {"index": "read", "acknowledge": "write"}

    @expose("/")
    @has_access
    def index(self):
        filters = {name: request.args.get(name, "") for name in ("rule", "severity", "status")}
        page = request.args.get("page", "0")
        if not is_digits(page):
            raise BadInput("A page is a whole number from 0.", field="page")
        alerts = rules.list_alerts(db.session, current_actor(), page=int(page), **filters)
        return self.render_template(
            "alerts/history.html",
            alerts=alerts,
            filters=filters,
            page=int(page),
            page_size=rules.PAGE_SIZE,
            rule_labels=rules.RULE_LABELS,
            severities=SEVERITIES,
            statuses=ALERT_STATUSES,
            severity_labels=SEVERITY_LABELS,
            status_labels=ALERT_STATUS_LABELS,
        )

    @expose("/<int:alert_id>/acknowledge", methods=["POST"])
    @has_access
    def acknowledge(self, alert_id: int):
        try:
            rules.acknowledge_alert(db.session, current_actor(), alert_id, request.form.get("comment"))
            flash(gettext("Alert %(n)s acknowledged.", n=alert_id), "success")
        except CareTrailError as refused:
            flash(refused.message, "danger")
        return redirect(url_for("AlertHistoryView.index", **{k: v for k, v in request.args.items() if v}))


class AlertSettingsView(BaseView):
    route_base = "/alerts/settings"
    default_view = "index"
    class_permission_name = ALERT_RULES
    method_permission_name = {"index": "read", "save": "write"}

    @expose("/")
    @has_access
    def index(self):
        import json

        return self.render_template(
            "alerts/settings.html",
            rules=rules.list_rules(db.session, current_actor()),
            labels=rules.RULE_LABELS,
            severities=SEVERITIES,
            as_json=lambda value: json.dumps(value, indent=2, ensure_ascii=False),
        )

    @expose("/<code>", methods=["POST"])
    @has_access
    def save(self, code: str):
        form = request.form
        try:
            rules.update_alert_rule(
                db.session,
                current_actor(),
                code,
                is_enabled=form.get("is_enabled") == "on",
                severity=form.get("severity", ""),
                settings=form.get("settings", ""),
                recipient_roles=form.get("recipient_roles", ""),
                recipient_usernames=form.get("recipient_usernames", ""),
                recipient_emails=form.get("recipient_emails", ""),
            )
            flash(gettext("Rule %(name)s saved.", name=rules.RULE_LABELS.get(code, code)), "success")
        except CareTrailError as refused:
            field = f"{refused.field}: " if getattr(refused, "field", None) else ""
            flash(
                gettext("%(name)s not saved.", name=rules.RULE_LABELS.get(code, code)) + f" {field}{refused.message}",
                "danger",
            )
        return redirect(url_for("AlertSettingsView.index"))
