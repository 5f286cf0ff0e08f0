"""The audit as people use it: the log and its search, a patient's history,
restore, deleted patients, statistics, seal/verify/archive.  The capture
itself is in the database (triggers/)."""


def register(appbuilder) -> None:
    from app.audit.api import AuditApi
    from app.audit.views.log import AuditLogView
    from app.audit.views.restore import AuditRestoreView, DeletedPatientsView
    from app.audit.views.stats import AuditStatsView
    from app.security.roles import AUDIT_LOG_MENU, AUDIT_MENU, AUDIT_STATS_MENU, DELETED_PATIENTS_MENU

    appbuilder.add_view(
        AuditLogView, AUDIT_LOG_MENU, icon="fa-history", category=AUDIT_MENU, category_icon="fa-shield-alt"
    )
    appbuilder.add_view(AuditStatsView, AUDIT_STATS_MENU, icon="fa-chart-bar", category=AUDIT_MENU)
    appbuilder.add_view(DeletedPatientsView, DELETED_PATIENTS_MENU, icon="fa-trash-restore", category=AUDIT_MENU)
    appbuilder.add_view_no_menu(AuditRestoreView)
    appbuilder.add_api(AuditApi)
