"""Sign-in screens: the login form with its second step (a TOTP or recovery
code), 2FA enrolment, logout (a POST), password changes under the password
rules, an administrator's "sign out everywhere", forced reset and 2FA
reset, and the security log screen (Admin, Auditor).

Also the journal of reads and the role matrix's grid.
"""

import time

from flask import current_app, flash, g, redirect, request, session, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder._compat import as_unicode
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.security.decorators import has_access, no_cache
from flask_appbuilder.security.forms import LoginForm_db
from flask_appbuilder.security.views import AuthDBView, ResetMyPasswordView, ResetPasswordView
from flask_appbuilder.utils.base import get_safe_redirect
from flask_babel import lazy_gettext
from flask_login import current_user, login_user, logout_user
from werkzeug.security import check_password_hash
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo

from app.core.actor import current_actor, role_names_of
from app.core.errors import CareTrailError, NotFound
from app.core.extensions import db
from app.core.normalize import is_digits
from app.security import account, mfa, seclog, sessions
from app.security.journal import ACTION_LABELS, DOOR_LABELS, JOURNAL_ACTIONS, search_accesses, whole_number_arg
from app.security.matrix import action_grid, field_grid
from app.security.roles import ACCESS_LOG, AUDIT, ROLE_MATRIX_SCREEN

PENDING = "_ct_mfa_pending"  # password checked, second factor awaited: {uid, at, next}
PENDING_SECONDS = 300
ENROL_SECRET = "_ct_mfa_new_secret"  # noqa: S105 (the session key, not a secret)


class OtpForm(DynamicForm):  # FAB's DynamicForm
    code = StringField(lazy_gettext("Code"), validators=[DataRequired()])


class EnrolForm(DynamicForm):
    code = StringField(lazy_gettext("Code shown by the app"), validators=[DataRequired()])


class ChangePasswordForm(DynamicForm):
    current_password = PasswordField(lazy_gettext("Current password"), validators=[DataRequired()])
    password = PasswordField(lazy_gettext("New password"), validators=[DataRequired()])
    conf_password = PasswordField(
        lazy_gettext("Confirm the new password"),
        validators=[DataRequired(), EqualTo("password", message=lazy_gettext("Passwords must match"))],
    )


class AdminResetPasswordForm(DynamicForm):
    password = PasswordField(lazy_gettext("New password"), validators=[DataRequired()])
    conf_password = PasswordField(
        lazy_gettext("Confirm the new password"),
        validators=[DataRequired(), EqualTo("password", message=lazy_gettext("Passwords must match"))],
    )
    must_change = BooleanField(lazy_gettext("The user must choose a new password at the next sign-in"), default=True)


def _fresh_session() -> None:
    """A new session at each sign-in (no fixation): only the language is kept."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale


def finish_sign_in(user, next_url: str, *, how: str = "password"):
    """The last step of a browser sign-in: the server-side session, the log,
    and the gates (2FA enrolment, forced password change) the user must pass."""
    _fresh_session()
    login_user(user, remember=False)
    session[sessions.SESSION_KEY] = sessions.start(user.id, sessions.BROWSER, client_addr=request.remote_addr)
    seclog.record("login", user=user, detail=how)
    if mfa.is_required_for(role_names_of(user)) and not mfa.is_enrolled(user.id):
        session[account.GATE_KEY] = account.GATE_MFA
        return redirect(url_for("MfaView.enrol"))
    if account.must_change_password(user.id):
        session[account.GATE_KEY] = account.GATE_PASSWORD
        return redirect(url_for("CareTrailResetMyPasswordView.this_form_get"))
    return redirect(next_url)


def end_browser_session(reason: str = "logout") -> None:
    sessions.end(session.get(sessions.SESSION_KEY), reason)
    _fresh_session()


class CareTrailAuthDBView(AuthDBView):
    @expose("/login/", methods=["GET", "POST"])
    @no_cache
    def login(self):
        if g.user is not None and g.user.is_authenticated:
            return redirect(self._get_safe_next_url())
        form = LoginForm_db()
        if form.validate_on_submit():
            g.caretrail_login_door = "form"
            next_url = get_safe_redirect(request.args.get("next", ""))
            user = self.appbuilder.sm.auth_user_db(form.username.data, form.password.data)
            if not user:
                flash(as_unicode(self.invalid_login_message), "warning")
                return redirect(self.appbuilder.get_url_for_login_with(next_url))
            if mfa.is_enrolled(user.id):
                _fresh_session()
                session[PENDING] = {"uid": user.id, "at": time.time(), "next": next_url}
                return redirect(url_for(".login_code"))
            return finish_sign_in(user, next_url)
        return self.render_template(self.login_template, title=self.title, form=form, appbuilder=self.appbuilder)

    @expose("/login/code/", methods=["GET", "POST"])
    @no_cache
    def login_code(self):
        """The second step: a code from the authenticator, or a recovery code."""
        pending = session.get(PENDING)
        if not pending or time.time() - pending.get("at", 0) > PENDING_SECONDS:
            session.pop(PENDING, None)
            return redirect(self.appbuilder.get_url_for_login)
        sm = self.appbuilder.sm
        user = sm.get_user_by_id(pending["uid"])
        form = OtpForm()
        if user is not None and form.validate_on_submit():
            g.caretrail_login_door = "form"
            if sm.is_locked(user):
                seclog.record("login_locked", user=user, detail="second factor")
                session.pop(PENDING, None)
                flash(as_unicode(self.invalid_login_message), "warning")
                return redirect(self.appbuilder.get_url_for_login)
            how = mfa.verify(user, form.code.data)
            if how:
                if how == "recovery":
                    seclog.record("mfa_recovery_used", user=user)
                return finish_sign_in(user, pending.get("next") or self.appbuilder.get_url_for_index, how=how)
            seclog.record("mfa_failed", user=user)
            flash(as_unicode(lazy_gettext("Wrong code. Please try again.")), "warning")
            return redirect(url_for(".login_code"))
        return self.render_template("security/login_code.html", form=form, appbuilder=self.appbuilder)

    @expose("/logout/", methods=["GET", "POST"])
    def logout(self):
        """GET asks (a link or an image on another site cannot sign anyone
        out); POST, with the CSRF token, ends the session server-side."""
        if request.method == "GET":
            if not current_user.is_authenticated:
                return redirect(self.appbuilder.get_url_for_index)
            return self.render_template("security/logout.html", appbuilder=self.appbuilder)
        user = self._get_authenticated_user()
        end_browser_session("logout")
        logout_user()
        if user is not None:
            seclog.record("logout", user=user)
        return redirect(current_app.config.get("LOGOUT_REDIRECT_URL", self.appbuilder.get_url_for_index))


class MfaView(BaseView):
    """Enrolment in two-factor sign-in, for the signed-in user."""

    route_base = "/mfa"
    default_view = "enrol"

    @expose("/enrol/", methods=["GET", "POST"])
    @no_cache
    def enrol(self):
        if not current_user.is_authenticated:
            return redirect(self.appbuilder.get_url_for_login)
        user = g.user
        form = EnrolForm()
        secret = session.get(ENROL_SECRET)
        if request.method == "POST" and secret and form.validate_on_submit():
            codes = mfa.enrol(user.id, secret, form.code.data)
            if codes:
                session.pop(ENROL_SECRET, None)
                if session.get(account.GATE_KEY) == account.GATE_MFA:
                    session.pop(account.GATE_KEY)
                seclog.record("mfa_enrolled", user=user)
                return self.render_template("security/recovery_codes.html", codes=codes, appbuilder=self.appbuilder)
            seclog.record("mfa_failed", user=user, detail="enrolment")
            flash(as_unicode(lazy_gettext("Wrong code: check the phone's clock and try again.")), "warning")
        if not secret:
            secret = session[ENROL_SECRET] = mfa.new_secret()
        uri = mfa.provisioning_uri(secret, user.username)
        return self.render_template(
            "security/enrol.html",
            form=form,
            qr_svg=mfa.qr_svg(uri),
            secret=secret,
            enrolled=mfa.is_enrolled(user.id),
            required=session.get(account.GATE_KEY) == account.GATE_MFA,
            appbuilder=self.appbuilder,
        )


class CareTrailResetMyPasswordView(ResetMyPasswordView):
    """One's own password: the current one is asked, the rules apply, and
    every other session and token of the account ends."""

    class_permission_name = "ResetMyPasswordView"
    form = ChangePasswordForm
    form_title = lazy_gettext("Change my password")

    def form_post(self, form):
        user = self.appbuilder.sm.get_user_by_id(g.user.id)
        if not check_password_hash(user.password, form.current_password.data):
            form.current_password.errors = [as_unicode(lazy_gettext("This is not your current password."))]
            seclog.record("password_refused", user=user, detail="wrong current password")
            return self._again(form)
        try:
            self.appbuilder.sm.reset_password(user.id, form.password.data)
        except CareTrailError as refusal:
            form.password.errors = [refusal.message]
            return self._again(form)
        # reset_password ended every session, this one included: sign in again here.
        g.caretrail_login_door = "screen"
        response = finish_sign_in(user, self.appbuilder.get_url_for_index, how="password changed")
        flash(as_unicode(lazy_gettext("Password changed; your other sessions were signed out.")), "info")
        return response

    @expose("/form", methods=["POST"])
    @has_access
    def this_form_post(self):
        self._init_vars()
        form = self.form.refresh()
        if form.validate_on_submit():
            response = self.form_post(form)
            return response or redirect(self.get_redirect())
        return self._again(form)

    def _again(self, form):
        widgets = self._get_edit_widget(form=form)
        return self.render_template(
            self.form_template, title=self.form_title, widgets=widgets, appbuilder=self.appbuilder
        )


class CareTrailResetPasswordView(ResetPasswordView):
    """An administrator sets a user's password (the rules apply) and may
    force them to choose their own at the next sign-in."""

    class_permission_name = "ResetPasswordView"
    form = AdminResetPasswordForm

    @expose("/form", methods=["POST"])
    @has_access
    def this_form_post(self):
        self._init_vars()
        form = self.form.refresh()
        if form.validate_on_submit():
            try:
                sm = self.appbuilder.sm
                user = sm.get_user_by_id(request.args.get("pk"))
                if user is None:
                    raise NotFound("No such user.")
                sm.reset_password(user.id, form.password.data)
                if form.must_change.data:
                    account.force_password_change(user.id)
                    seclog.record("password_reset_forced", user=user)
            except CareTrailError as refusal:
                form.password.errors = [refusal.message]
            else:
                flash(as_unicode(self.message), "info")
                return redirect(self.get_redirect())
        widgets = self._get_edit_widget(form=form)
        return self.render_template(
            self.form_template, title=self.form_title, widgets=widgets, appbuilder=self.appbuilder
        )


class UserSecurityView(BaseView):
    """An administrator's actions on an account: sign out everywhere, reset 2FA."""

    route_base = "/users/security"
    class_permission_name = "UserDBModelView"
    method_permission_name = {"show": "edit", "sign_out_everywhere": "edit", "reset_mfa": "edit"}

    @expose("/<int:pk>")
    @has_access
    def show(self, pk: int):
        user = self.appbuilder.sm.get_user_by_id(pk)
        if user is None:
            raise NotFound("No such user.")
        return self.render_template(
            "security/user_security.html",
            user=user,
            live=sessions.live_count(user.id),
            enrolled=mfa.is_enrolled(user.id),
            recovery_left=mfa.remaining_recovery_codes(user.id),
            appbuilder=self.appbuilder,
        )

    @expose("/<int:pk>/sign-out", methods=["POST"])
    @has_access
    def sign_out_everywhere(self, pk: int):
        user = self.appbuilder.sm.get_user_by_id(pk)
        if user is None:
            raise NotFound("No such user.")
        ended = sessions.end_all(user.id, "revoked")
        seclog.record("sessions_revoked", user=user, detail=f"{ended} sessions and tokens")
        flash(as_unicode(lazy_gettext("Signed out everywhere.")), "info")
        return redirect(url_for(".show", pk=pk))

    @expose("/<int:pk>/reset-2fa", methods=["POST"])
    @has_access
    def reset_mfa(self, pk: int):
        user = self.appbuilder.sm.get_user_by_id(pk)
        if user is None:
            raise NotFound("No such user.")
        mfa.reset(user.id)
        sessions.end_all(user.id, "revoked")
        seclog.record("mfa_reset", user=user)
        flash(as_unicode(lazy_gettext("Two-factor sign-in removed; the user enrols again.")), "info")
        return redirect(url_for(".show", pk=pk))


class SecurityLogView(BaseView):
    """The security log (Admin, Auditor): newest first, by user and event."""

    route_base = "/security/log"
    default_view = "index"
    class_permission_name = AUDIT
    method_permission_name = {"index": "read"}

    @expose("/")
    @has_access
    def index(self):
        username = (request.args.get("user") or "").strip()[:150]
        event = (request.args.get("event") or "").strip()
        if event not in seclog.EVENTS:
            event = ""
        page = request.args.get("page", "0")
        page = int(page) if is_digits(page) and len(page) < 7 else 0
        entries = seclog.search(username=username or None, event=event or None, page=page)
        return self.render_template(
            "security/security_log.html",
            entries=entries,
            username=username,
            event=event,
            events=seclog.EVENTS,
            page=page,
            page_size=seclog.PAGE_SIZE,
            appbuilder=self.appbuilder,
        )


class AccessLogView(BaseView):
    route_base = "/access-log"
    default_view = "index"
    class_permission_name = ACCESS_LOG
    method_permission_name = {"index": "read", "patient": "read"}

    @expose("/")
    @has_access
    def index(self):
        return self._render(patient_id=whole_number_arg("patient_id"))

    @expose("/patient/<int:patient_id>")
    @has_access
    def patient(self, patient_id: int):
        """Who accessed this record (GDPR art. 15)."""
        return self._render(patient_id=patient_id, fixed_patient=True)

    def _render(self, *, patient_id: int | None, fixed_patient: bool = False):
        username = request.args.get("user", "").strip() or None
        action = request.args.get("action", "").strip() or None
        accesses = search_accesses(
            db.session,
            current_actor(),
            patient_id=patient_id,
            username=username,
            action=action,
            before_id=whole_number_arg("before"),
            page_size=100,
        )
        return self.render_template(
            "security/access_log.html",
            accesses=accesses,
            patient_id=patient_id,
            fixed_patient=fixed_patient,
            username=username or "",
            action=action or "",
            actions=JOURNAL_ACTIONS,
            action_labels=ACTION_LABELS,
            door_labels=DOOR_LABELS,
            next_before=accesses[-1].id if len(accesses) == 100 else None,
        )


class RoleMatrixView(BaseView):
    route_base = "/security/matrix"
    default_view = "index"
    class_permission_name = ROLE_MATRIX_SCREEN
    method_permission_name = {"index": "read"}

    @expose("/")
    @has_access
    def index(self):
        return self.render_template("security/role_matrix.html", actions=action_grid(), fields=field_grid())
