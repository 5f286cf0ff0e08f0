"""Sign-in and account security: screens registered here (2FA enrolment,
an account's sessions, the security log); the login views themselves are
FAB's, replaced through the security manager (app/security/manager.py)."""


def register(appbuilder) -> None:
    from app.security.roles import AUDIT_MENU, SECURITY_LOG_MENU
    from app.security.views import MfaView, SecurityLogView, UserSecurityView

    appbuilder.add_view_no_menu(MfaView)
    appbuilder.add_view_no_menu(UserSecurityView)
    appbuilder.add_view(SecurityLogView, SECURITY_LOG_MENU, icon="fa-user-shield", category=AUDIT_MENU)
