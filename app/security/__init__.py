"""Who may do what (the role and field matrix), FAB's security manager, and
the journal of reads; its screens: the journal, the matrix as a grid."""


def register(appbuilder) -> None:
    from app.security.api import AccessLogApi
    from app.security.roles import ACCESS_LOG_MENU, AUDIT_MENU, SETTINGS_MENU
    from app.security.views import AccessLogView, RoleMatrixView

    appbuilder.add_view(AccessLogView, ACCESS_LOG_MENU, icon="fa-eye", category=AUDIT_MENU)
    appbuilder.add_view(RoleMatrixView, "Permissions matrix", icon="fa-th", category=SETTINGS_MENU)
    appbuilder.add_api(AccessLogApi)
