"""Prescription screens: the list, the prescription's page (its lines, the
alerts, signing with an override reason when needed, cancel, renew,
correct), the editor (the prescription and its lines on one page, "Check"
shows the alerts without saving), and the doctor's renewals due.

Every write goes through app/prescribing/rules.py, like the API: the
same rules and the same plain-words refusals.  Whose prescription a user may
change: app/prescribing/access.py, which the page also asks to offer only
the buttons that will work.
"""

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext
from markupsafe import Markup

from app.core.actor import Actor, current_actor
from app.core.answers import page_status
from app.core.errors import CareTrailError, ConstraintViolation
from app.core.extensions import db
from app.core.views import CareTrailModelView
from app.documents.access import may_issue
from app.prescribing import rules as prescribing
from app.prescribing.access import may_choose_prescriber, may_renew, may_sign, may_write
from app.prescribing.checks import check_prescription, check_typed_draft, needs_override
from app.prescribing.lists import DEFAULT_DUE_DAYS, MAX_DUE_DAYS, patient_prescribing_reads, read_prescribing
from app.prescribing.models import PRESCRIPTION_STATUSES, Prescription
from app.prescribing.views.form import draft_values, form_for, form_patient
from app.records.fields import PATIENT_SEARCH_FIELDS, PatientRecordInterface
from app.records.models import Patient
from app.security.permissions import METHOD_PERMISSION_MAP
from app.security.policy import READ, WRITE, may
from app.security.roles import ALLERGIES, PRESCRIPTIONS

STATUS_STYLES = {
    "draft": "default",
    "signed": "success",
    "cancelled": "danger",
    "expired": "warning",
    "renewed": "info",
}


def status_badge(status: str) -> Markup:
    return Markup('<span class="label label-{}">{}</span>').format(
        STATUS_STYLES.get(status, "default"), PRESCRIPTION_STATUSES.get(status, status)
    )


class PrescriptionView(CareTrailModelView):
    datamodel = PatientRecordInterface(Prescription, rules=prescribing.PRESCRIPTION_RULES)
    class_permission_name = PRESCRIPTIONS
    method_permission_name = {
        **METHOD_PERMISSION_MAP,
        "sign": "write",
        "cancel": "write",
        "renew": "write",
        "replace": "write",
        "delete_draft": "write",
    }
    route_base = "/prescriptions"

    list_title = "Prescriptions"
    list_columns = ["id", "patient", "prescriber", "prescribed_on", "status", "valid_until", "renewals_used"]
    order_columns = ["id", "prescribed_on", "status", "valid_until"]
    search_columns = ["patient", "prescriber", "status", "prescribed_on", "valid_until"]
    base_order = ("id", "desc")
    label_columns = {
        "id": "No.",
        "prescribed_on": "Date",
        "valid_until": "Valid until",
        "renewals_used": "Renewals used",
    }
    formatters_columns = {"status": status_badge}
    search_form_extra_fields = PATIENT_SEARCH_FIELDS

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk: int):
        """The prescription, its lines, what the checks find, and what may be done with it."""
        prescription = self.datamodel.get(pk)
        if prescription is None:
            abort(404)
        return self._page(prescription)

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        """A new draft: patient, lines; "Check" shows the alerts, "Save" keeps the draft."""
        patient_id = request.args.get("patient_id", type=int)
        form = form_for(formdata=request.form if request.method == "POST" else None, patient_id=patient_id)
        return self._editor(form, None)

    @expose("/edit/<int:pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk: int):
        prescription = self.datamodel.get(pk)
        if prescription is None:
            abort(404)
        if not prescription.is_draft:
            flash("A signed prescription does not change: correct it with a new one that replaces it.", "warning")
            return redirect(url_for(f"{self.endpoint}.show", pk=pk))
        form = form_for(prescription, request.form if request.method == "POST" else None)
        return self._editor(form, prescription)

    @expose("/sign/<int:pk>", methods=["POST"])
    @has_access
    def sign(self, pk: int):
        reason = request.form.get("override_reason")
        try:
            prescribing.sign_prescription(db.session, current_actor(), pk, override_reason=reason)
        except prescribing.OverrideRequired as needed:
            prescription = prescribing.get_prescription(db.session, pk)
            return self._page(prescription, error=needed.message, override_reason=reason), page_status(needed)
        except CareTrailError as refused:
            return self._page(self._or_404(pk), error=refused.message, override_reason=reason), page_status(refused)
        flash("Prescription signed.", "success")
        return redirect(url_for(f"{self.endpoint}.show", pk=pk))

    @expose("/cancel/<int:pk>", methods=["POST"])
    @has_access
    def cancel(self, pk: int):
        reason = request.form.get("reason")
        try:
            prescribing.cancel_prescription(db.session, current_actor(), pk, reason=reason)
        except CareTrailError as refused:
            return self._page(self._or_404(pk), error=refused.message, cancel_reason=reason), page_status(refused)
        flash("Prescription cancelled.", "success")
        return redirect(url_for(f"{self.endpoint}.show", pk=pk))

    @expose("/renew/<int:pk>", methods=["POST"])
    @has_access
    def renew(self, pk: int):
        """A renewal, as a draft to check and sign."""
        try:
            renewal = prescribing.renew_prescription(db.session, current_actor(), pk)
        except CareTrailError as refused:
            return self._page(self._or_404(pk), error=refused.message), page_status(refused)
        flash("Renewal drafted: check it and sign it.", "success")
        return redirect(url_for(f"{self.endpoint}.show", pk=renewal.id))

    @expose("/replace/<int:pk>", methods=["POST"])
    @has_access
    def replace(self, pk: int):
        """A correction, as a draft; signing it cancels this prescription."""
        try:
            correction = prescribing.replace_prescription(db.session, current_actor(), pk)
        except CareTrailError as refused:
            return self._page(self._or_404(pk), error=refused.message), page_status(refused)
        flash(gettext("Correction drafted: edit it, then sign it to replace prescription %(n)s.", n=pk), "success")
        return redirect(url_for(f"{self.endpoint}.edit", pk=correction.id))

    @expose("/delete-draft/<int:pk>", methods=["POST"])
    @has_access
    def delete_draft(self, pk: int):
        prescription = self._or_404(pk)
        patient_id = prescription.patient_id
        try:
            prescribing.delete_draft(db.session, current_actor(), pk)
        except CareTrailError as refused:
            return self._page(prescription, error=refused.message), page_status(refused)
        flash("Draft deleted.", "success")
        return redirect(url_for("PatientView.show", pk=patient_id))

    def _or_404(self, pk: int) -> Prescription:
        prescription = self.datamodel.get(pk)
        if prescription is None:
            abort(404)
        return prescription

    def _page(self, prescription: Prescription, *, error=None, override_reason=None, cancel_reason=None):
        alerts = check_prescription(prescription) if prescription.is_draft else []
        actor = current_actor()
        return self.render_template(
            "pages/prescription_show.html",
            prescription=prescription,
            alerts=alerts,
            needs_override=needs_override(alerts),
            error=error,
            override_reason=override_reason or "",
            cancel_reason=cancel_reason or "",
            may_write=may_write(db.session, actor, prescription),
            may_sign=prescription.is_draft and may_sign(db.session, actor, prescription),
            may_renew=may_renew(db.session, actor),
            status_badge=status_badge,
            may_print=may_issue(actor, "prescription"),
        )

    def _editor(self, form, prescription: Prescription | None):
        """Render the editor; on POST, "check" shows the alerts, "save" keeps the draft."""
        error, alerts = None, None
        patient = prescription.patient if prescription is not None else form_patient(form)
        actor = current_actor()
        admin = may_choose_prescriber(actor)
        if prescription is not None:
            try:
                prescribing.check_editable(db.session, actor, prescription)
            except CareTrailError as refused:
                flash(refused.message, "danger")
                return redirect(url_for(f"{self.endpoint}.show", pk=prescription.id))
        if request.method == "POST":
            try:
                if not form.validate():
                    raise ConstraintViolation(None, "Some values are not valid; see the fields marked below.")
                values = draft_values(form)
                if patient is None:
                    raise ConstraintViolation("patient_id", "Choose the patient.")
                if request.form.get("action") == "check":
                    ids = [line["medication_id"] for line in values["items"]]
                    alerts = check_typed_draft(
                        db.session,
                        patient.id,
                        ids,
                        replaces_id=prescription.replaces_id if prescription else None,
                        renewal_of_id=prescription.renewal_of_id if prescription else None,
                        prescription_id=prescription.id if prescription else None,
                    )
                else:
                    if not admin:
                        values.pop("prescriber_id")
                    saved = self._save(prescription, patient, values)
                    flash("Draft saved: review the alerts, then sign.", "success")
                    return redirect(url_for(f"{self.endpoint}.show", pk=saved.id))
            except CareTrailError as refused:
                error = refused
        return self.render_template(
            "pages/prescription_form.html",
            form=form,
            prescription=prescription,
            patient=patient,
            choose_prescriber=admin,
            alerts=alerts,
            needs_override=needs_override(alerts or []),
            error=error.message if error else None,
        ), page_status(error)

    @staticmethod
    def _save(prescription, patient, values: dict) -> Prescription:
        if prescription is None:
            return prescribing.create_draft(db.session, current_actor(), patient_id=patient.id, **values)
        if values["valid_until"] is None:  # left empty: keeps its date
            del values["valid_until"]
        return prescribing.update_draft(db.session, current_actor(), prescription.id, changes=values)


class RenewalsDueView(BaseView):
    """Prescriptions ending soon, with one click to draft the renewal: whose
    (a doctor's own, everyone's for the other readers) is the rule's,
    prescribing.renewals_due, the same as the API's."""

    route_base = "/renewals-due"
    default_view = "index"
    class_permission_name = PRESCRIPTIONS
    method_permission_name = {"index": "read"}

    @expose("/")
    @has_access
    def index(self):
        days = max(0, min(request.args.get("days", DEFAULT_DUE_DAYS, type=int), MAX_DUE_DAYS))
        actor = current_actor()
        prescriber_id = request.args.get("prescriber_id", type=int)
        try:
            rows = prescribing.renewals_due(db.session, actor, prescriber_id=prescriber_id, days=days)
        except CareTrailError as refused:
            flash(refused.message, "danger")
            return self.render_template(
                "pages/renewals_due.html", rows=[], days=days, may_renew=False, may_read_allergies=False
            ), page_status(refused)
        return self.render_template(
            "pages/renewals_due.html",
            rows=rows,
            days=days,
            may_renew=may_renew(db.session, actor),
            may_read_allergies=may(actor, READ, ALLERGIES),
        )


def prescribing_page_reads(patient_id, actor: Actor) -> dict:
    """The allergies and prescriptions, read with the other sections, for who may read prescriptions."""
    return patient_prescribing_reads(patient_id) if may(actor, READ, PRESCRIPTIONS) else {}


def prescribing_on_patient_page(patient_id: int, actor: Actor, read: dict):
    """The patient page's allergies and prescriptions (templates/pages/
    patient_prescribing.html), or None for who may not read prescriptions."""
    if not read:
        return None
    # The patient as the page read it (held for the request: no query).
    summary = read_prescribing(db.session.get(Patient, patient_id), read)
    summary.may_write_allergies = may(actor, WRITE, ALLERGIES)
    summary.may_prescribe = may(actor, WRITE, PRESCRIPTIONS)
    return summary
