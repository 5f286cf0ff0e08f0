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

Permissions cost no query per check (issue 22): the user comes with the
names of their roles (their own and their groups') in one query, the
effective role names are worked out once
per request, a role the matrix does not describe (one made by hand in the
screens) has its pairs read once per request in one query, where FAB ran
one SELECT per menu entry and button, and the Public role, kept empty by
`roles sync`, is asked nothing.
"""

from functools import cached_property

import sqlalchemy as sa
from flask import current_app, flash, g, has_request_context, request
from flask import session as flask_session
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.sqla.models import assoc_group_role, assoc_user_group, assoc_user_role
from flask_babel import lazy_gettext
from sqlalchemy import text
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash

from app.core.actor import DELEGATED_POWERS, USER_ROLE_NAMES, Actor, DelegatedPowers
from app.core.db_context import (
    ON_BEHALF_OF,
    loading_request_user,
    remember_request_user,
    stamp_parameters,
    stamp_with_user,
    stamped_by_user_query,
)
from app.core.errors import Forbidden
from app.core.request_locals import request_g, unproxied
from app.security import account, delegation, seclog, sessions
from app.security.api import SecurityApi
from app.security.passwords import check_password_rules
from app.security.policy import knows_roles, role_may
from app.security.users import CareTrailUserDBModelView
from app.security.views import CareTrailAuthDBView, CareTrailResetMyPasswordView, CareTrailResetPasswordView

# g.<this>: the request's effective role names by user id (effective_role_names).
EFFECTIVE_ROLES_CACHE = "ct_effective_roles"


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
            live, delegated, glass = sessions.check_token(payload.get("jti", ""))
            g.caretrail_may_be_delegated = delegated  # read by load_user_jwt, which comes next
            g.caretrail_token_may_hold_grant = glass  # likewise
            return not live

        return jwt_manager

    # The audit needs the signed-in user from the first query of a request on
    # (app/core/db_context.py); these are where FAB loads it, by cookie or by JWT.
    def load_user(self, pk):
        """The browser session's user, if its server-side session is live."""
        with loading_request_user():  # the transaction stamped once, with the user
            return self._live_session_user(int(pk))

    def _live_session_user(self, pk: int):
        secret = flask_session.get(sessions.SESSION_KEY)
        idle_minutes = current_app.config.get("SESSION_IDLE_MINUTES", 30)
        found = self.session.execute(
            self._user_with_browser_session,
            {"pk": pk, **sessions.browser_parameters(secret, idle_minutes), **stamp_parameters()},
        )
        row = found.one_or_none()
        user = row[0] if row is not None else None
        if user is not None and row.stamped is not None:
            stamped_by_user_query(self.session, user)  # whatever comes next: the transaction now says so
        if user is None or not user.is_active:
            return None
        _note_role_names(user, row.role_names)
        state, delegated, glass = sessions.browser_state(row)
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
        _note_grants(user, glass)
        remember_request_user(user)
        return user

    def load_user_jwt(self, _jwt_header, jwt_data):
        """The token's user (token_ended found the token live).  The token's
        check opened the transaction, stamped as nobody's; the statement
        that loads the user stamps it with them."""
        with loading_request_user():
            return self._token_user(int(jwt_data["sub"]))

    def _token_user(self, pk: int):
        row = self.session.execute(self._user_stamped, {"pk": pk, **stamp_parameters()}).one_or_none()
        user = row[0] if row is not None else None
        if user is not None:
            stamped_by_user_query(self.session, user)  # whatever comes next: the transaction now says so
        if user is None or not user.is_active:
            return None
        _note_role_names(user, row.role_names)
        g.user = user
        # A header naming someone the user may not act for is refused (403), never ignored.
        act_for = request.headers.get(delegation.ON_BEHALF_HEADER, "").strip() or None
        self._load_delegations(user, act_for, g.pop("caretrail_may_be_delegated", True))
        _note_grants(user, g.pop("caretrail_token_may_hold_grant", True))
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
        g.pop(EFFECTIVE_ROLES_CACHE, None)  # worked out again with the delegated roles

    def actor_for(self, user, act_for: str | None = None) -> Actor:
        """The Actor of a command run --as this user (and --on-behalf-of):
        the delegations in force now apply as they would to a request."""
        return Actor.of(user, delegation.powers_for(self.session, user.id, act_for))

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

    def _with_roles_and_groups(self) -> list:
        """Loader options: the user's roles, and their groups with the groups'
        roles (FAB lazy-loads them: two more queries a request)."""
        groups = joinedload(self.user_model.groups).joinedload(self.group_model.roles)
        return [joinedload(self.user_model.roles), groups]

    def get_user_by_id(self, pk):
        """The user with their roles and groups."""
        return self.session.get(self.user_model, pk, options=self._with_roles_and_groups())

    # The two statements that load a request's user are built once:
    # SQLAlchemy works out a statement's cache key at its first use and keeps
    # it with the statement, so one built anew each time (with its loader
    # options) is keyed anew each time, which was most of what loading the
    # user cost (issue 22).  They read the names of the user's roles as one
    # array rather than loading roles, groups and the groups' roles as
    # objects: SQLAlchemy set up a loader for each of the three at every
    # request (0.5 M instructions of each page), and a page needs only the names.

    def _role_names(self) -> sa.ScalarSelect:
        """The names of the user's roles, their own and their groups' (role_names_of), as an array."""
        role, user = self.role_model, self.user_model
        own = sa.select(assoc_user_role.c.role_id).where(assoc_user_role.c.user_id == user.id).correlate(user)
        through_groups = (
            sa.select(assoc_group_role.c.role_id)
            .join(assoc_user_group, assoc_user_group.c.group_id == assoc_group_role.c.group_id)
            .where(assoc_user_group.c.user_id == user.id)
            .correlate(user)
        )
        return (
            sa.select(sa.func.array_agg(role.name))
            .where(role.id.in_(own) | role.id.in_(through_groups))
            .correlate(user)
            .scalar_subquery()
        )

    @cached_property
    def _user_with_browser_session(self) -> sa.Select:
        """The signed-in user of a browser session, their session and the
        audit's context in one statement: the user with the names of their
        roles (_role_names); their session's state (sessions.browser_session_of); and,
        when that session is alive, the request's transaction stamped with
        the user (db_context.stamp_with_user).  Three round trips were one
        each, on every page (issue 22)."""
        user = self.user_model
        browser = sessions.browser_session_of(user.id)
        return (
            sa.select(
                user,
                browser.c.session_id,
                browser.c.alive,
                browser.c.stale,
                browser.c.delegated,
                browser.c.glass,
                sa.case((browser.c.alive, stamp_with_user(user.id, user.username))).label("stamped"),
                self._role_names().label("role_names"),
            )
            .outerjoin(browser, sa.true())
            .where(user.id == sa.bindparam("pk", type_=sa.Integer))
        )

    @cached_property
    def _user_stamped(self) -> sa.Select:
        """A token's user, and the request's transaction stamped with them
        (db_context.stamp_with_user), in one statement."""
        user = self.user_model
        return sa.select(
            user, stamp_with_user(user.id, user.username).label("stamped"), self._role_names().label("role_names")
        ).where(user.id == sa.bindparam("pk", type_=sa.Integer))

    def effective_role_names(self, user) -> frozenset[str]:
        """The names of the roles the user acts with (own and through groups),
        worked out once per request: every permission decision of the request
        reads them, with the roles the request's delegations add."""
        cache = _request_cache(EFFECTIVE_ROLES_CACHE)
        user = unproxied(user)
        key = getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None
        if key not in cache:
            loaded = request_g().get(USER_ROLE_NAMES) if has_request_context() else None
            if key is not None and loaded is not None and loaded[0] == key:
                names = loaded[1]  # as the statement that loaded the user read them
            else:  # FAB's: own and groups' roles (role_names_of), Public for no one signed in
                names = frozenset(role.name for role in self.get_user_roles(user))
            powers = g.get(DELEGATED_POWERS) if has_request_context() else None
            if powers is not None and key is not None and powers.user_id == key:
                names |= powers.roles  # the delegations in force (_load_delegations)
            cache[key] = names
        return cache[key]

    def database_pairs(self, role_names: frozenset[str]) -> frozenset[tuple[str, str]]:
        """(permission, view_menu) pairs the database grants these roles: for
        roles the matrix does not describe; one query per request."""
        cache = _request_cache("ct_database_pairs")
        if role_names not in cache:
            rows = self.session.execute(
                text(
                    "SELECT p.name, v.name FROM ab_role r"
                    " JOIN ab_permission_view_role pvr ON pvr.role_id = r.id"
                    " JOIN ab_permission_view pv ON pv.id = pvr.permission_view_id"
                    " JOIN ab_permission p ON p.id = pv.permission_id"
                    " JOIN ab_view_menu v ON v.id = pv.view_menu_id"
                    " WHERE r.name = ANY(:names)"
                ),
                {"names": sorted(role_names)},
            )
            cache[role_names] = frozenset((permission, view) for permission, view in rows)
        return cache[role_names]

    def roles_may(self, role_names: frozenset[str], permission_name: str, view_name: str) -> bool:
        """The matrix's answer for roles it describes, the database's otherwise
        (what FAB's exist_permission_on_roles would find, without its query)."""
        if knows_roles(role_names):
            return role_may(role_names, permission_name, view_name)
        return (permission_name, view_name) in self.database_pairs(role_names)

    def is_item_public(self, permission_name, view_name):
        """Nothing is: `roles sync` keeps the Public role without permissions
        (FAB asked the database at every request, signed in or not)."""
        if self.builtin_roles:
            return super().is_item_public(permission_name, view_name)
        return False

    def _has_view_access(self, user, permission_name: str, view_name: str) -> bool:
        roles = self.effective_role_names(user)
        if self.builtin_roles:
            return super()._has_view_access(user, permission_name, view_name)
        return self.roles_may(roles, permission_name, view_name)

    def _get_user_permission_view_menus(self, user, permission_name: str, view_menus_name: list[str]) -> set[str]:
        """The menu entries (or views) among `view_menus_name` the user may reach."""
        if view_menus_name is None or self.builtin_roles:
            return super()._get_user_permission_view_menus(user, permission_name, view_menus_name)
        if user is None:  # not signed in: Public, which holds nothing (is_item_public)
            return set()
        roles = self.effective_role_names(user)
        return {name for name in view_menus_name if self.roles_may(roles, permission_name, name)}


def _note_role_names(user, role_names: list[str] | None) -> None:
    """The names of the roles of the user just loaded, as the statement
    that loaded them read them (g: actor.USER_ROLE_NAMES)."""
    setattr(g, USER_ROLE_NAMES, (user.id, frozenset(role_names or ())))


def _note_grants(user, may_hold_grant: bool) -> None:
    """Whether the user just loaded may hold a break-the-glass grant, as the
    statement that loaded them found it: the patient pages then ask for a
    grant on their patient only when they may (app/security/glass.py)."""
    setattr(g, sessions.MAY_HOLD_GRANT, (user.id, bool(may_hold_grant)))


def _request_cache(name: str) -> dict:
    """A dict that lasts as long as the request (a fresh one outside requests)."""
    return request_g().setdefault(name, {}) if has_request_context() else {}
