"""Consultation screens: the list, a consultation's page (its texts,
diagnoses and addenda; sign, add an addendum, delete a draft), and the
editor of a draft (texts, and ICD-10 diagnoses found by code or words).

Every write goes through app/clinical/rules.py, as the API does; a refusal
is shown on the page with its own status (as the API answers it) and the rule's words.
"""

import re

import sqlalchemy as sa
from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access

from app.agenda.models import Appointment
from app.clinical import access
from app.clinical import rules as clinical
from app.clinical.models import CONSULTATION_TEXTS, Consultation
from app.core.actor import current_actor
from app.core.answers import page_status
from app.core.errors import CareTrailError, ConstraintViolation
from app.core.extensions import db
from app.records.models import Patient
from app.security.roles import CONSULTATIONS

LIST_SIZE = 100
TEXT_LABELS = {
    "reason": "Reason for the consultation",
    "history": "History",
    "examination": "Examination",
    "conclusion": "Conclusion",
    "plan": "Plan",
}
# One diagnosis per line: the code, then "principal" (or P) for the principal one.
DIAGNOSIS_LINE = re.compile(r"^\s*([A-Za-z][0-9][0-9A-Za-z.]*)\s*(\bprincipal\b|\bP\b)?", re.IGNORECASE)


def parse_diagnoses(text: str) -> list[dict]:
    """The editor's diagnoses box: `J45.0 principal`, `I10` one a line."""
    found = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        match = DIAGNOSIS_LINE.match(line)
        if match is None:
            raise ConstraintViolation("diagnoses", f"Line {number}: start with the ICD-10 code (e.g. J45.0).")
        found.append({"code": match.group(1), "rank": "principal" if match.group(2) else "secondary"})
    return found


def diagnoses_text(consultation: Consultation | None) -> str:
    if consultation is None:
        return ""
    return "\n".join(
        f"{d.icd10_code} {'principal' if d.rank == 'principal' else ''}".rstrip() for d in consultation.diagnoses
    )


class ConsultationView(BaseView):
    route_base = "/consultations"
    default_view = "index"
    class_permission_name = CONSULTATIONS
    method_permission_name = {
        "index": "read",
        "show": "read",
        "new": "write",
        "edit": "write",
        "sign": "write",
        "addendum": "write",
        "delete": "write",
    }

    @expose("/")
    @has_access
    def index(self):
        """The latest consultations (a doctor's own first choice: ?mine=1)."""
        actor = current_actor()
        query = sa.select(Consultation).order_by(Consultation.started_at.desc()).limit(LIST_SIZE)
        own = access.own_staff_id(db.session, actor)
        mine = request.args.get("mine", "1" if own else "0") == "1" and own is not None
        if mine:
            query = query.where(Consultation.clinician_id == own)
        rows = list(db.session.scalars(query))
        return self.render_template("clinical/consultation_list.html", rows=rows, mine=mine, own=own)

    @expose("/<int:pk>")
    @has_access
    def show(self, pk: int):
        return self._page(clinical.get_consultation(db.session, current_actor(), pk))

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def new(self):
        appointment_id = request.values.get("appointment_id", type=int)
        patient_id = request.values.get("patient_id", type=int)
        if patient_id is None and appointment_id is not None:
            # Opened from the appointment's page: its patient.
            appointment = db.session.get(Appointment, appointment_id)
            patient_id = appointment.patient_id if appointment is not None else None
        patient = db.session.get(Patient, patient_id or 0)
        if patient is None:
            flash("Open a consultation from the patient's page or their appointment.", "warning")
            return redirect(url_for(f"{self.endpoint}.index"))
        if request.method == "GET":
            return self._form(None, patient, appointment_id=appointment_id)
        values = self._posted()
        try:
            diagnoses = parse_diagnoses(request.form.get("diagnoses", ""))
            consultation = clinical.open_consultation(
                db.session,
                current_actor(),
                patient_id=patient.id,
                appointment_id=appointment_id,
                diagnoses=diagnoses,
                **values,
            )
        except CareTrailError as refused:
            page = self._form(None, patient, appointment_id=appointment_id, values=values, error=refused)
            return page, page_status(refused)
        flash("Consultation saved as a draft.", "success")
        return redirect(url_for(f"{self.endpoint}.show", pk=consultation.id))

    @expose("/<int:pk>/edit", methods=["GET", "POST"])
    @has_access
    def edit(self, pk: int):
        consultation = clinical.get_consultation(db.session, current_actor(), pk)
        if consultation.is_signed:
            flash("A signed consultation does not change: add an addendum to it.", "warning")
            return redirect(url_for(f"{self.endpoint}.show", pk=pk))
        if request.method == "GET":
            return self._form(consultation, consultation.patient)
        values = self._posted()
        try:
            changes = {**values, "diagnoses": parse_diagnoses(request.form.get("diagnoses", ""))}
            clinical.update_consultation(db.session, current_actor(), pk, changes=changes)
        except CareTrailError as refused:
            return self._form(consultation, consultation.patient, values=values, error=refused), page_status(refused)
        flash("Draft saved.", "success")
        return redirect(url_for(f"{self.endpoint}.show", pk=pk))

    @expose("/<int:pk>/sign", methods=["POST"])
    @has_access
    def sign(self, pk: int):
        try:
            clinical.sign_consultation(db.session, current_actor(), pk)
        except CareTrailError as refused:
            return self._page(
                clinical.get_consultation(db.session, current_actor(), pk), error=refused.message
            ), page_status(refused)
        flash("Consultation signed.", "success")
        return redirect(url_for(f"{self.endpoint}.show", pk=pk))

    @expose("/<int:pk>/addenda", methods=["POST"])
    @has_access
    def addendum(self, pk: int):
        body = request.form.get("body")
        try:
            clinical.add_addendum(db.session, current_actor(), pk, body=body)
        except CareTrailError as refused:
            consultation = clinical.get_consultation(db.session, current_actor(), pk)
            return self._page(consultation, error=refused.message, addendum=body), page_status(refused)
        flash("Addendum added.", "success")
        return redirect(url_for(f"{self.endpoint}.show", pk=pk))

    @expose("/<int:pk>/delete", methods=["POST"])
    @has_access
    def delete(self, pk: int):
        consultation = clinical.get_consultation(db.session, current_actor(), pk)
        patient_id = consultation.patient_id
        try:
            clinical.delete_draft(db.session, current_actor(), pk)
        except CareTrailError as refused:
            return self._page(consultation, error=refused.message), page_status(refused)
        flash("Draft deleted.", "success")
        return redirect(url_for("PatientView.show", pk=patient_id))

    @staticmethod
    def _posted() -> dict:
        return {name: request.form.get(name) for name in CONSULTATION_TEXTS}

    def _page(self, consultation: Consultation, *, error: str | None = None, addendum: str | None = None):
        actor = current_actor()
        return self.render_template(
            "clinical/consultation_show.html",
            c=consultation,
            labels=TEXT_LABELS,
            error=error,
            addendum=addendum,
            may_edit=not consultation.is_signed and access.may_write_consultation(db.session, actor, consultation),
            may_sign=not consultation.is_signed and access.may_sign(db.session, actor, consultation),
            may_amend=consultation.is_signed and access.may_add_addendum(db.session, actor),
        )

    def _form(self, consultation, patient, *, appointment_id=None, values=None, error: CareTrailError | None = None):
        values = values or {name: getattr(consultation, name, None) for name in CONSULTATION_TEXTS}
        return self.render_template(
            "clinical/consultation_form.html",
            c=consultation,
            patient=patient,
            appointment_id=appointment_id,
            values=values,
            labels=TEXT_LABELS,
            diagnoses=request.form.get("diagnoses") if request.method == "POST" else diagnoses_text(consultation),
            error=error,
        )
