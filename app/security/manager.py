"""CareTrail's security manager: FAB's, with sign-ins attributed in the audit."""

from flask_appbuilder.security.sqla.manager import SecurityManager

from app.db_context import acting_as, audit_reason


class CareTrailSecurityManager(SecurityManager):
    def update_user_auth_stat(self, user, success=True):
        # The login counters FAB updates are written as the account's own
        # change, with the outcome as reason: the audit doubles as a sign-in log.
        with acting_as(user.username, user.id), audit_reason("sign-in" if success else "failed sign-in"):
            super().update_user_auth_stat(user, success)
