"""Restore screens: preview and confirm a restore, and the deleted patients.

The preview runs the real restore and rolls it back, so what the admin sees
is exactly what confirming does; newer values it would overwrite must be
acknowledged with a checkbox (the API's `force`).
"""

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext, ngettext

from app.audit import restore as audit_restore
from app.audit.deleted_patients import deleted_patients
from app.audit.search import AuditQueryError, get_entry, show_value
from app.core.actor import current_actor
from app.core.db_context import clean_reason
from app.core.errors import CareTrailError
from app.core.extensions import db
from app.core.links import local_path
from app.security.policy import RESTORE, may
from app.security.roles import AUDIT

MODE_LABELS = {
    "before": "the state before this change",
    "after": "the state after this change",
    "transaction": "undo every change of this transaction",
}


class AuditRestoreView(BaseView):
    route_base = "/audit/restore"
    class_permission_name = AUDIT
    method_permission_name = {"confirm": "restore"}

    @expose("/<int:entry_id>", methods=["GET", "POST"])
    @has_access
    def confirm(self, entry_id: int):
        mode = request.values.get("mode", "before")
        if mode not in MODE_LABELS:
            mode = "before"
        back = local_path(request.values.get("next")) or url_for("AuditLogView.index")
        entry = get_entry(entry_id)
        if entry is None:
            flash(gettext("No audit entry %(n)s.", n=entry_id), "danger")
            return redirect(back)
        error = None
        if request.method == "POST":
            try:
                outcome = audit_restore.restore(
                    db.session,
                    current_actor(),
                    entry_id,
                    mode,
                    reason=clean_reason(request.form.get("reason")),
                    force=bool(request.form.get("force")),
                )
            except audit_restore.RestoreConflict:
                error = "Newer changes would be overwritten: tick the box to confirm, or cancel."
            except CareTrailError as problem:
                error = problem.message
            else:
                if outcome.status == "unchanged":
                    flash("Nothing to restore: the record is already in that state.", "info")
                else:
                    flash(
                        ngettext(
                            "Restored (%(num)s row changed).", "Restored (%(num)s rows changed).", outcome.changed_rows
                        ),
                        "success",
                    )
                return redirect(back)
        try:
            preview = audit_restore.preview(db.session, current_actor(), entry_id, mode)
        except CareTrailError as problem:
            preview, error = None, error or problem.message
        return self.render_template(
            "audit/restore.html",
            entry=entry,
            mode=mode,
            mode_label=MODE_LABELS[mode],
            preview=preview,
            error=error,
            back=back,
            show_value=show_value,
        ), (409 if error and preview and preview.conflicts else 400 if error else 200)


class DeletedPatientsView(BaseView):
    route_base = "/audit/deleted-patients"
    default_view = "index"
    class_permission_name = AUDIT
    method_permission_name = {"index": "read"}

    @expose("/")
    @has_access
    def index(self):
        try:
            page = deleted_patients(before=request.args.get("before"))
        except AuditQueryError:
            abort(400, description="`before` is not a cursor given by a previous page.")
        return self.render_template(
            "audit/deleted_patients.html",
            page=page,
            can_restore=may(current_actor(), RESTORE, AUDIT),
        )
