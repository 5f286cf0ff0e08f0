"""FAB's user screens, read as people read them: "Yes" rather than True,
roles and groups as names rather than Python lists; a new user's password
under the password rules; a change of roles in the security log; and a
link to the account's sign-in security (sessions, 2FA, password reset)."""

from flask import redirect, url_for
from flask_appbuilder.actions import action
from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget
from flask_appbuilder.security.views import UserDBModelView
from flask_babel import lazy_gettext
from sqlalchemy import text
from wtforms import PasswordField
from wtforms.validators import DataRequired, ValidationError

from app.core.extensions import db
from app.core.views import RequestFilters, yes_or_no
from app.security import seclog
from app.security.passwords import password_problem


def names(items) -> str:
    return ", ".join(str(item) for item in items or ())


def _password_rules(form, field):
    problem = password_problem(form.username.data if hasattr(form, "username") else None, field.data or "")
    if problem:
        raise ValidationError(problem)


def _saved_roles(user_id) -> list[str]:
    """The user's roles as committed (the form has already replaced them on the object)."""
    with db.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT r.name FROM ab_user_role ur JOIN ab_role r ON r.id = ur.role_id"
                " WHERE ur.user_id = :u ORDER BY r.name"
            ),
            {"u": user_id},
        )
        return [row.name for row in rows]


class CareTrailUserDBModelView(UserDBModelView):
    _filters = RequestFilters()  # one per request (app/core/views.py)
    class_permission_name = "UserDBModelView"  # FAB's own: the roles are synced against it
    formatters_columns = {"active": yes_or_no, "roles": names, "groups": names}

    add_form_extra_fields = {
        **UserDBModelView.add_form_extra_fields,
        "password": PasswordField(
            lazy_gettext("Password"),
            description=lazy_gettext("At least 12 characters, not the username, not a common password"),
            validators=[DataRequired(), _password_rules],
            widget=BS3PasswordFieldWidget(),
        ),
    }

    def pre_update(self, item):
        super().pre_update(item)
        self._roles_before = _saved_roles(item.id)

    def post_update(self, item):
        before, self._roles_before = getattr(self, "_roles_before", None), None
        after = sorted(role.name for role in item.roles or ())
        if before is not None and before != after:
            seclog.record("roles_changed", user=item, detail=f"{', '.join(before) or '-'} -> {', '.join(after) or '-'}")

    @action("security", lazy_gettext("Sign-in security"), "", "fa-user-shield", multiple=False)
    def security(self, item):
        return redirect(url_for("UserSecurityView.show", pk=item.id))
