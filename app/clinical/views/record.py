"""The patient's clinical pages: the timeline (every domain's dated
records, newest first, filterable by kind), the problem list and history,
and the vital signs with one chart per kind; and the clinical section of
the patient's page (latest observations, active problems, consultations).

The screens are reached by whoever reads patients; what each shows is
decided by the rules of its kind (a secretary's timeline has no clinical
line, and the vital-signs page answers her 403).
"""

from datetime import datetime
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access

from app.clinical import access, charts
from app.clinical import rules as clinical
from app.clinical.models import (
    OBSERVATION_KINDS,
    PROBLEM_CATEGORIES,
    PROBLEM_STATUSES,
    Consultation,
    Observation,
    PatientProblem,
)
from app.core.actor import Actor, current_actor
from app.core.errors import CareTrailError, ConstraintViolation
from app.core.extensions import db
from app.core.timeline import patient_timeline, timeline_kinds
from app.core.timezone import hospital_zone
from app.records.models import Patient, Staff
from app.records.page import Reads, json_rows, loaded, row_json
from app.security.policy import READ, WRITE, may
from app.security.roles import CONSULTATIONS, OBSERVATIONS, PATIENTS, PROBLEMS

PROBLEM_FORM_FIELDS = ("category", "icd10_code", "label", "status", "onset_on", "resolved_on", "relative", "notes")


class ClinicalRecordView(BaseView):
    route_base = "/clinical"
    patient_banner = True  # the patient's banner above each page (app/home/banner.py)
    class_permission_name = PATIENTS
    method_permission_name = {"timeline": "read", "observations": "read", "problems": "read"}

    @expose("/patients/<int:patient_id>/timeline")
    @has_access
    def timeline(self, patient_id: int):
        patient = self._patient(patient_id)
        kinds = timeline_kinds()
        chosen = [kind for kind in request.args.getlist("kind") if kind in kinds] or None
        items = patient_timeline(db.session, patient_id, current_actor(), chosen)
        return self.render_template(
            "clinical/timeline.html", patient=patient, items=items, kinds=kinds, chosen=chosen or []
        )

    @expose("/patients/<int:patient_id>/observations", methods=["GET", "POST"])
    @has_access
    def observations(self, patient_id: int):
        patient = self._patient(patient_id)
        actor = current_actor()
        kind = request.values.get("kind") or "temperature"
        if kind not in charts.CHART_KINDS:
            kind = "temperature"
        error, posted = None, {}
        if request.method == "POST":
            posted = request.form.to_dict()
            try:
                clinical.record_observation(db.session, actor, patient_id=patient_id, **_observation_values(posted))
            except CareTrailError as refused:
                error = refused
            else:
                flash("Observation recorded.", "success")
                return redirect(url_for(f"{self.endpoint}.observations", patient_id=patient_id, kind=posted["kind"]))
        rows = list(reversed(clinical.patient_observations(db.session, actor, patient_id)))
        page = self.render_template(
            "clinical/observations.html",
            patient=patient,
            kind=kind,
            chart_kinds=charts.chart_kinds(),
            kinds=OBSERVATION_KINDS,
            rows=rows,
            error=error,
            posted=posted,
            may_record=may(actor, WRITE, OBSERVATIONS),
        )
        return (page, error.status) if error else page  # 403 for a role that may not write

    @expose("/patients/<int:patient_id>/problems", methods=["GET", "POST"])
    @has_access
    def problems(self, patient_id: int):
        patient = self._patient(patient_id)
        actor = current_actor()
        error, posted = None, {}
        if request.method == "POST":
            posted = request.form.to_dict()
            try:
                if posted.get("problem_id"):
                    problem = clinical.get_problem(db.session, actor, int(posted["problem_id"]))
                    if problem.patient_id != patient_id:
                        abort(404)  # another patient's line, posted on this page
                    clinical.update_problem(db.session, actor, problem.id, changes=_resolution(posted))
                else:
                    clinical.record_problem(db.session, actor, patient_id=patient_id, **_problem_values(posted))
            except (CareTrailError, ValueError) as refused:
                error = refused if isinstance(refused, CareTrailError) else ConstraintViolation(None, "Bad value.")
            else:
                flash("Problem list updated.", "success")
                return redirect(url_for(f"{self.endpoint}.problems", patient_id=patient_id))
        rows = clinical.patient_problems(db.session, actor, patient_id)
        page = self.render_template(
            "clinical/problems.html",
            patient=patient,
            rows=rows,
            categories=PROBLEM_CATEGORIES,
            statuses=PROBLEM_STATUSES,
            error=error,
            posted=posted,
            may_write=may(actor, WRITE, PROBLEMS),
        )
        return (page, error.status) if error else page  # 403 for a role that may not write

    @staticmethod
    def _patient(patient_id: int) -> Patient:
        patient = db.session.get(Patient, patient_id)
        if patient is None:
            abort(404)
        return patient


def _observation_values(form: dict) -> dict:
    values = {"kind": form.get("kind"), "note": form.get("note") or None}
    for name in ("value", "diastolic"):
        raw = (form.get(name) or "").strip().replace(",", ".")
        if not raw:
            values[name] = None
            continue
        try:
            number = Decimal(raw)
        except InvalidOperation:
            raise ConstraintViolation(name, "A number, e.g. 37.5.") from None
        if not number.is_finite() or abs(number) >= 10_000:
            raise ConstraintViolation(name, "Not a plausible measurement.")
        values[name] = number
    if values["value"] is None:
        raise ConstraintViolation("value", "Give the measurement.")
    if form.get("measured_at"):
        try:
            moment = datetime.fromisoformat(form["measured_at"])
        except ValueError:
            raise ConstraintViolation("measured_at", "A date and time, e.g. 2026-12-07 08:00.") from None
        values["measured_at"] = moment if moment.tzinfo else moment.replace(tzinfo=hospital_zone())
    return values


def _problem_values(form: dict) -> dict:
    values = {name: (form.get(name) or "").strip() or None for name in PROBLEM_FORM_FIELDS}
    for name in ("onset_on", "resolved_on"):
        if values[name]:
            values[name] = datetime.strptime(values[name], "%Y-%m-%d").date()
    return {name: value for name, value in values.items() if value is not None}


def _resolution(form: dict) -> dict:
    """The list's "resolved" button: the status, and the day (today unless given)."""
    day = form.get("resolved_on")
    return {
        "status": "resolved",
        "resolved_on": datetime.strptime(day, "%Y-%m-%d").date() if day else datetime.now(hospital_zone()).date(),
    }


RECENT_CONSULTATIONS = 5  # on the patient's page; the timeline has them all


def clinical_page_reads(patient_id, actor: Actor) -> Reads:
    """What the patient page's clinical section reads, with the other sections:
    the latest observation of each kind, the active problems, the recent
    consultations with their clinician; each for who may read it."""
    reads = {}
    if may(actor, READ, OBSERVATIONS):
        reads["latest"] = json_rows(clinical.latest_observations_query(patient_id), *clinical.LATEST_FIRST_BY_KIND)
    if may(actor, READ, PROBLEMS):
        reads["problems"] = json_rows(clinical.problems_query(patient_id, "active"), *clinical.PROBLEM_ORDER)
    if may(actor, READ, CONSULTATIONS):
        with_clinician = (
            sa.select(Consultation, row_json(Staff.__table__).label("clinician"))
            .join(Staff, Staff.id == Consultation.clinician_id)
            .where(Consultation.patient_id == patient_id)
        )
        reads["consultations"] = json_rows(with_clinician, *clinical.CONSULTATION_ORDER, limit=RECENT_CONSULTATIONS)
    return reads


def clinical_on_patient_page(patient_id: int, actor: Actor, read: dict):
    """The patient page's clinical section (templates/clinical/patient_section.html),
    or None for a role that reads nothing clinical."""
    if not access.may_read_any(actor):
        return None
    section = SimpleNamespace(latest={}, bmi=None, problems=None, consultations=None)
    if "latest" in read:
        section.latest = {row.kind: row for row in loaded(Observation, read["latest"])}
        section.bmi = charts.latest_bmi(section.latest)
    if "problems" in read:
        section.problems = loaded(PatientProblem, read["problems"])
    if "consultations" in read:
        section.consultations = loaded(Consultation, read["consultations"])
    section.may_read_observations = may(actor, READ, OBSERVATIONS)
    section.may_consult = may(actor, WRITE, CONSULTATIONS)
    section.kinds = OBSERVATION_KINDS
    return section
