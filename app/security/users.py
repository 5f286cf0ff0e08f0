"""FAB's user screens, read as people read them: "Yes" rather than True,
roles and groups as names rather than Python lists."""

from flask_appbuilder.security.views import UserDBModelView

from app.core.views import yes_or_no


def names(items) -> str:
    return ", ".join(str(item) for item in items or ())


class CareTrailUserDBModelView(UserDBModelView):
    class_permission_name = "UserDBModelView"  # FAB's own: the roles are synced against it
    formatters_columns = {"active": yes_or_no, "roles": names, "groups": names}
