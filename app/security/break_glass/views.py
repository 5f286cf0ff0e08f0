"""Break-the-glass screens: the patient page's "Break the glass" form, and
the auditors' review queue (Audit > Break-the-glass reviews).  The rules
are app/security/glass.py's; these only ask and show."""

from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext

from app.core.actor import current_actor
from app.core.errors import BadInput, CareTrailError
from app.core.extensions import db
from app.security.glass import VERDICTS, list_grants, reads_under, review_grant
from app.security.glass import break_the_glass as open_record
from app.security.journal import whole_number_arg
from app.security.roles import ACCESS_LOG, PATIENTS


class BreakGlassView(BaseView):
    """POST /break-glass/patient/<id>: open the record with a reason (whoever reads patients' pages)."""

    route_base = "/break-glass"
    class_permission_name = PATIENTS
    method_permission_name = {"open_record": "read"}
    default_view = "open_record"

    @expose("/patient/<int:patient_id>", methods=["POST"])
    @has_access
    def open_record(self, patient_id: int):
        try:
            grant = open_record(db.session, current_actor(), patient_id, request.form.get("reason"), door="screen")
        except CareTrailError as problem:
            if problem.status >= 500:
                raise
            flash(problem.message, "danger")
        else:
            flash(
                lazy_gettext("Record opened under break-the-glass until %(until)s; the auditors are told.")
                % {"until": grant.expires_at.strftime("%H:%M")},
                "warning",
            )
        return redirect(url_for("PatientView.show", pk=patient_id))


class BreakGlassReviewView(BaseView):
    """The review queue: open grants oldest first, reviewed ones with filters;
    each closed once with a verdict (Auditor, Admin)."""

    route_base = "/break-glass-reviews"
    class_permission_name = ACCESS_LOG
    method_permission_name = {"index": "read", "review": "read"}
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        state = request.args.get("state") or "open"
        verdict = request.args.get("verdict") or None
        username = (request.args.get("user") or "").strip() or None
        page = whole_number_arg("page") or 0
        actor = current_actor()
        grants = list_grants(
            db.session,
            actor,
            state=state,
            username=username,
            patient_id=whole_number_arg("patient_id"),
            verdict=verdict,
            page=page,
        )
        reads = {grant.id: reads_under(db.session, actor, grant.id) for grant in grants}
        return self.render_template(
            "security/break_glass_reviews.html",
            grants=grants,
            reads=reads,
            state=state,
            verdict=verdict or "",
            username=username or "",
            patient_id=request.args.get("patient_id", ""),
            verdicts=VERDICTS,
            page=page,
        )

    @expose("/<int:grant_id>/review", methods=["POST"])
    @has_access
    def review(self, grant_id: int):
        try:
            review_grant(
                db.session, current_actor(), grant_id, request.form.get("verdict"), request.form.get("comment")
            )
        except CareTrailError as problem:
            if problem.status >= 500 or isinstance(problem, BadInput):
                raise
            flash(problem.message, "danger")
        else:
            flash(lazy_gettext("Review closed."), "success")
        return redirect(url_for("BreakGlassReviewView.index"))
