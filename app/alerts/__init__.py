"""Alerts from the audit stream: the rules (app/alerts/engine.py), read by a
cursor over audit_log; the alert history with its acknowledgement, the
rules' settings, the bell in the top bar, and GET /api/v1/alerts/."""


def register(appbuilder) -> None:
    from flask import current_app

    from app.alerts.api import AlertApi
    from app.alerts.rules import unread_count
    from app.alerts.views import AlertHistoryView, AlertSettingsView
    from app.alerts.wording import alert_summary
    from app.core.actor import current_actor
    from app.core.extensions import db
    from app.security.roles import ALERT_RULES_MENU, ALERTS_CATEGORY, ALERTS_MENU

    appbuilder.add_view(
        AlertHistoryView, ALERTS_MENU, icon="fa-bell", category=ALERTS_CATEGORY, category_icon="fa-bell"
    )
    appbuilder.add_view(AlertSettingsView, ALERT_RULES_MENU, icon="fa-sliders-h", category=ALERTS_CATEGORY)
    appbuilder.add_api(AlertApi)
    current_app.add_template_global(lambda: unread_count(db.session, current_actor()), "alert_bell")
    current_app.add_template_filter(alert_summary, "alert_summary")  # stored as written, read in the user's language
