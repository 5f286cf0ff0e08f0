"""CareTrail's security manager: FAB's, with permission checks read from the
role matrix rather than queried (app/security/policy.py: FAB ran one query
per menu entry and button), and the login protections of issue 18:

- sign-ins, failures and lockouts go to the security log
  (app/security/seclog.py), not to ab_user: FAB's last_login, login_count
  and fail_login_count are no longer written, so a sign-in changes no row
  and the change audit holds account changes only;
- a per-account lockout counted from that log, whichever door (form, JWT);
- browser sessions and JWTs checked against user_sessions at each request
  (app/security/sessions.py), so they can be ended server-side;
- passwords under the rules of app/security/passwords.py, and a change ends
  every session and token of the account;
- the delegations in force (app/security/delegation.py), read once per
  request as soon as the user is loaded: their roles count in every check,
  and "act for Dr X" (the session's choice, or the API's X-On-Behalf-Of
  header) is in g before the first write, so the audit attributes it.
"""

from flask import current_app, flash, g, request
from flask import session as flask_session
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_babel import lazy_gettext
from werkzeug.security import check_password_hash

from app.core.actor import DELEGATED_POWERS, Actor, DelegatedPowers
from app.core.db_context import ON_BEHALF_OF, remember_request_user
from app.core.errors import Forbidden
from app.security import account, delegation, seclog, sessions
from app.security.api import SecurityApi
from app.security.passwords import check_password_rules
from app.security.policy import knows_roles, role_may
from app.security.users import CareTrailUserDBModelView
from app.security.views import CareTrailAuthDBView, CareTrailResetMyPasswordView, CareTrailResetPasswordView


class CareTrailSecurityManager(SecurityManager):
    userdbmodelview = CareTrailUserDBModelView
    authdbview = CareTrailAuthDBView
    resetmypasswordview = CareTrailResetMyPasswordView
    resetpasswordview = CareTrailResetPasswordView
    security_api = SecurityApi  # the JWT login with 2FA and lockout (keeps FAB's name)
    # FAB's Security -> User's Statistics draws with Google Charts loaded from
    # the internet: blank without it, and it tells Google who looks at it.
    # Not registered: no menu entry, no route (the audit's statistics are local).
    userstatschartview = None

    def create_jwt_manager(self, app):
        jwt_manager = super().create_jwt_manager(app)

        @jwt_manager.token_in_blocklist_loader
        def token_ended(_header, payload) -> bool:
            live, delegated = sessions.check_token(payload.get("jti", ""))
            g.caretrail_may_be_delegated = delegated  # read by load_user_jwt, which comes next
            return not live

        return jwt_manager

    # The audit needs the signed-in user from the first query of a request on
    # (app/core/db_context.py); these are where FAB loads it, by cookie or by JWT.
    def load_user(self, pk):
        """The browser session's user, if its server-side session is live."""
        user = self.get_user_by_id(int(pk))
        if user is None or not user.is_active:
            return None
        state, delegated = sessions.check_browser(
            flask_session.get(sessions.SESSION_KEY), user.id, current_app.config.get("SESSION_IDLE_MINUTES", 30)
        )
        if state != "live":
            if state == "idle":
                seclog.record("session_expired", user=user)
            for key in (sessions.SESSION_KEY, account.GATE_KEY, "_user_id", "_fresh", "_id"):
                flask_session.pop(key, None)
            return None
        try:
            self._load_delegations(user, flask_session.get(delegation.ACT_FOR_SESSION_KEY), delegated)
        except Forbidden:
            # The delegation chosen has ended or was revoked: the user acts as themselves again.
            ended = flask_session.pop(delegation.ACT_FOR_SESSION_KEY, None)
            flash(lazy_gettext("Your delegation to act for %(name)s is over.", name=ended), "warning")
            self._load_delegations(user, None, delegated)
        remember_request_user(user)
        return user

    def load_user_jwt(self, _jwt_header, jwt_data):
        user = self.get_user_by_id(int(jwt_data["sub"]))
        if user is None or not user.is_active:
            return None
        g.user = user
        # A header naming someone the user may not act for is refused (403), never ignored.
        act_for = request.headers.get(delegation.ON_BEHALF_HEADER, "").strip() or None
        self._load_delegations(user, act_for, g.pop("caretrail_may_be_delegated", True))
        remember_request_user(user)
        return user

    def _load_delegations(self, user, act_for: str | None, may_be_delegated: bool) -> None:
        """The delegations in force for this request, in g: one query, and
        none when the session check found no delegation not revoked nor over."""
        if may_be_delegated or act_for:
            powers = delegation.powers_for(self.session, user.id, act_for)
        else:
            powers = DelegatedPowers(user.id)
        setattr(g, DELEGATED_POWERS, powers)
        setattr(g, ON_BEHALF_OF, powers.on_behalf_of)
        g.pop("caretrail_actor", None)

    def actor_for(self, user, act_for: str | None = None) -> Actor:
        """The Actor of a command run --as this user (and --on-behalf-of):
        the delegations in force now apply as they would to a request."""
        return Actor.of(user, delegation.powers_for(self.session, user.id, act_for))

    def _role_names(self, user) -> list[str]:
        """The user's roles, with those the request's delegations add."""
        names = [role.name for role in self.get_user_roles(user)]
        powers = g.get(DELEGATED_POWERS)
        if powers is not None and powers.user_id == getattr(user, "id", None):
            names = sorted(set(names) | powers.roles)
        return names

    def is_locked(self, user) -> bool:
        config = current_app.config
        return seclog.is_locked(user.id, config.get("LOCKOUT_THRESHOLD", 5), config.get("LOCKOUT_MINUTES", 15))

    def auth_user_db(self, username, password):
        """FAB's password check, refused while the account is locked; every
        failure is logged (and counts toward the lockout)."""
        user = None
        if username:
            user = self.find_user(username=username) or self.find_user(email=username)
        if user is not None and user.is_active and self.is_locked(user):
            # The same work as a real check: a locked account answers no faster.
            check_password_hash(current_app.config["AUTH_DB_FAKE_PASSWORD_HASH_CHECK"], "password")
            seclog.record("login_locked", user=user)
            return None
        authenticated = super().auth_user_db(username, password)
        if authenticated is None and user is None and username:
            seclog.record("login_failed", username=str(username), detail="unknown user")
        elif authenticated is None and user is not None and not user.is_active:
            seclog.record("login_failed", user=user, detail="inactive account")
        return authenticated

    def update_user_auth_stat(self, user, success=True):
        # Nothing is written to ab_user (see the module's docstring); the
        # door logs the sign-in once it is complete (second factor included).
        if not success:
            seclog.record("login_failed", user=user, detail="wrong password")

    def noop_user_update(self, user) -> None:
        """FAB balances the time of a failure with a write; a read does as well here."""
        self.get_user_by_id(user.id)

    def reset_password(self, userid, password):
        """Set a password under the rules; every session and token of the
        account ends (a stolen cookie dies with the old password)."""
        user = self.get_user_by_id(userid)
        check_password_rules(user.username, password)
        super().reset_password(user.id, password)
        account.password_changed(user.id)
        ended = sessions.end_all(user.id, "password changed")
        seclog.record("password_changed", user=user, detail=f"{ended} sessions and tokens ended")

    def _has_view_access(self, user, permission_name: str, view_name: str) -> bool:
        roles = self._role_names(user)
        if not knows_roles(roles):
            return super()._has_view_access(user, permission_name, view_name)
        return role_may(roles, permission_name, view_name)

    def _get_user_permission_view_menus(self, user, permission_name: str, view_menus_name: list[str]) -> set[str]:
        """The menu entries (or views) among `view_menus_name` the user may reach."""
        if user is None or view_menus_name is None:
            return super()._get_user_permission_view_menus(user, permission_name, view_menus_name)
        roles = self._role_names(user)
        if not knows_roles(roles):
            return super()._get_user_permission_view_menus(user, permission_name, view_menus_name)
        return {name for name in view_menus_name if role_may(roles, permission_name, name)}
