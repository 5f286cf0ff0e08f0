"""FAB's user screens, read as people read them: "Yes" rather than True,
roles and groups as names rather than Python lists; a new user's password
under the password rules; a change of roles in the security log; and a
link to the account's sign-in security (sessions, 2FA, password reset)."""

from flask import redirect, url_for
from flask_appbuilder.actions import action
from flask_appbuilder.security.views import UserDBModelView
from flask_babel import lazy_gettext

from app.core.views import yes_or_no
from app.security import seclog
from app.security.passwords import password_problem


def names(items) -> str:
    return ", ".join(str(item) for item in items or ())


class CareTrailUserDBModelView(UserDBModelView):
    class_permission_name = "UserDBModelView"  # FAB's own: the roles are synced against it
    formatters_columns = {"active": yes_or_no, "roles": names, "groups": names}

    def _init_forms(self):
        super()._init_forms()
        password_field = self.add_form.password
        password_field.kwargs["validators"] = [*password_field.kwargs.get("validators", ()), _password_rules]

    def pre_update(self, item):
        super().pre_update(item)
        from sqlalchemy import inspect

        history = inspect(item).attrs.roles.history
        self._roles_before = names(history.deleted + history.unchanged) if history.has_changes() else None

    def post_update(self, item):
        before = getattr(self, "_roles_before", None)
        if before is not None:
            seclog.record("roles_changed", user=item, detail=f"{before or '-'} -> {names(item.roles) or '-'}")
            self._roles_before = None

    @action("security", lazy_gettext("Sign-in security"), "", "fa-user-shield", multiple=False)
    def security(self, item):
        return redirect(url_for("UserSecurityView.show", pk=item.id))


def _password_rules(form, field):
    from wtforms.validators import ValidationError

    problem = password_problem(form.username.data if hasattr(form, "username") else None, field.data or "")
    if problem:
        raise ValidationError(problem)
