"""The security screens: the journal of reads ("who accessed this record",
Admin and Auditor) and the role matrix as a grid (Admin)."""

from flask import request
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access

from app.core.actor import current_actor
from app.core.errors import BadInput
from app.core.extensions import db
from app.security.journal import ACTIONS, search_accesses
from app.security.matrix import action_grid, field_grid
from app.security.roles import ACCESS_LOG, ROLE_MATRIX_SCREEN


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise BadInput("A whole number is expected.", field=name)
    return int(raw)


class AccessLogView(BaseView):
    route_base = "/access-log"
    default_view = "index"
    class_permission_name = ACCESS_LOG
    method_permission_name = {"index": "read", "patient": "read"}

    @expose("/")
    @has_access
    def index(self):
        return self._render(patient_id=_int_arg("patient_id"))

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
            before_id=_int_arg("before"),
            page_size=100,
        )
        return self.render_template(
            "security/access_log.html",
            accesses=accesses,
            patient_id=patient_id,
            fixed_patient=fixed_patient,
            username=username or "",
            action=action or "",
            actions=ACTIONS,
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
