"""CareTrail's security manager: FAB's, with sign-ins attributed in the
audit, and permission checks read from the role matrix rather than queried
(app/security/policy.py): FAB ran one query per menu entry and button."""

from flask_appbuilder.security.sqla.manager import SecurityManager

from app.core.actor import Actor, acting_as
from app.core.db_context import audit_reason, remember_request_user
from app.security.policy import knows_roles, role_may
from app.security.token_api import SecurityApi
from app.security.users import CareTrailUserDBModelView


class CareTrailSecurityManager(SecurityManager):
    userdbmodelview = CareTrailUserDBModelView
    security_api = SecurityApi
    # FAB's Security -> User's Statistics draws with Google Charts loaded from
    # the internet: blank without it, and it tells Google who looks at it.
    # Not registered: no menu entry, no route (the audit's statistics are local).
    userstatschartview = None

    # The audit needs the signed-in user from the first query of a request on
    # (app/core/db_context.py); these are where FAB loads it, by cookie or by JWT.
    def load_user(self, pk):
        user = super().load_user(pk)
        remember_request_user(user)
        return user

    def load_user_jwt(self, _jwt_header, jwt_data):
        user = super().load_user_jwt(_jwt_header, jwt_data)
        remember_request_user(user)
        return user

    def update_user_auth_stat(self, user, success=True):
        # The login counters FAB updates are written as the account's own
        # change, with the outcome as reason: the audit doubles as a sign-in log.
        with acting_as(Actor(user.username, user.id)), audit_reason("sign-in" if success else "failed sign-in"):
            super().update_user_auth_stat(user, success)

    def _has_view_access(self, user, permission_name: str, view_name: str) -> bool:
        roles = [role.name for role in self.get_user_roles(user)]
        if not knows_roles(roles):
            return super()._has_view_access(user, permission_name, view_name)
        return role_may(roles, permission_name, view_name)

    def _get_user_permission_view_menus(self, user, permission_name: str, view_menus_name: list[str]) -> set[str]:
        """The menu entries (or views) among `view_menus_name` the user may reach."""
        if user is None or view_menus_name is None:
            return super()._get_user_permission_view_menus(user, permission_name, view_menus_name)
        roles = [role.name for role in self.get_user_roles(user)]
        if not knows_roles(roles):
            return super()._get_user_permission_view_menus(user, permission_name, view_menus_name)
        return {name for name in view_menus_name if role_may(roles, permission_name, name)}
