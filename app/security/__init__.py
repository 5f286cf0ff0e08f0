"""Who may do what (the role and field matrix), sign-in and account
security, and the journal of reads.  Screens registered here: 2FA
enrolment, an account's sessions, the security log, the journal of reads,
the matrix as a grid, delegations, break-the-glass and its review queue; the login views themselves are FAB's, replaced
through the security manager (app/security/manager.py)."""


def register(appbuilder) -> None:
    from flask import current_app

    from app.security.api import AccessLogApi
    from app.security.break_glass.api import BreakGlassReviewApi, PatientBreakGlassApi
    from app.security.break_glass.views import BreakGlassReviewView, BreakGlassView
    from app.security.delegation_api import DelegationApi
    from app.security.delegation_views import DelegationView, MyDelegationsView, delegation_badge
    from app.security.roles import (
        ACCESS_LOG_MENU,
        AUDIT_MENU,
        BREAK_GLASS_REVIEWS_MENU,
        DELEGATIONS_MENU,
        SECURITY_LOG_MENU,
        SETTINGS_MENU,
    )
    from app.security.views import AccessLogView, MfaView, RoleMatrixView, SecurityLogView, UserSecurityView

    appbuilder.add_view_no_menu(MfaView)
    appbuilder.add_view_no_menu(UserSecurityView)
    appbuilder.add_view(SecurityLogView, SECURITY_LOG_MENU, icon="fa-user-shield", category=AUDIT_MENU)
    appbuilder.add_view(AccessLogView, ACCESS_LOG_MENU, icon="fa-eye", category=AUDIT_MENU)
    appbuilder.add_view(RoleMatrixView, "Permissions matrix", icon="fa-th", category=SETTINGS_MENU)
    appbuilder.add_api(AccessLogApi)
    appbuilder.add_view(DelegationView, DELEGATIONS_MENU, icon="fa-user-clock", category=SETTINGS_MENU)
    appbuilder.add_view_no_menu(MyDelegationsView)
    appbuilder.add_api(DelegationApi)
    current_app.add_template_global(delegation_badge, "delegation_badge")
    # Break-the-glass: the patient page's form and API, and the auditors' review queue.
    appbuilder.add_view_no_menu(BreakGlassView)
    appbuilder.add_view(BreakGlassReviewView, BREAK_GLASS_REVIEWS_MENU, icon="fa-unlock", category=AUDIT_MENU)
    appbuilder.add_api(PatientBreakGlassApi)
    appbuilder.add_api(BreakGlassReviewApi)
