"""Care screens: the nurse's worklist (overdue care, check-off), the
medication round of a patient (the day's planned doses: given, refused,
held), care tasks, vaccinations and the reference (vaccines, calendar);
the patient page's care section and what was given on the prescription page.

Every write goes through app/care/rules.py; a refusal is flashed with its
field, nothing half-saved."""

from datetime import date, datetime

import sqlalchemy as sa
from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import DataRequired, Optional

from app.care import rules
from app.care.models import ADMINISTRATION_STATUSES, DISEASES, SITES, CareTask, Vaccination, VaccinationStep, Vaccine
from app.core.actor import Actor, current_actor
from app.core.datamodel import CareTrailInterface
from app.core.errors import BadInput, CareTrailError
from app.core.extensions import db
from app.core.fields import FORM_CONTROL, LocalDateTimeField
from app.core.normalize import is_digits
from app.core.rules import RecordRules
from app.core.schemas import Instant
from app.core.timezone import today
from app.core.views import CareTrailModelView
from app.records.fields import PATIENT_SEARCH_FIELDS, PatientRecordInterface, PatientShownField, patient_picker
from app.records.models import Patient
from app.records.page import instant, json_rows, loaded, loaded_one, row_json
from app.security.policy import READ, may
from app.security.roles import (
    ADMINISTRATIONS,
    CARE_TASKS,
    VACCINATION_SCHEDULE,
    VACCINATIONS,
    VACCINES,
)


def _refused(refusal: CareTrailError) -> None:
    field = f"{refusal.field}: " if refusal.field else ""
    flash(f"{field}{refusal.message}", "danger")


def _instant(raw: str | None, field: str):
    from marshmallow import ValidationError

    try:
        return Instant()._deserialize(raw or "", field, {})
    except ValidationError:
        raise BadInput("Not a date and time.", field=field) from None


class CareWorklistView(BaseView):
    """The nurse's worklist: overdue occurrences of care tasks, checked off here."""

    route_base = "/care/worklist"
    default_view = "index"
    class_permission_name = CARE_TASKS
    method_permission_name = {"index": "read", "check": "read"}

    @expose("/")
    @has_access
    def index(self):
        overdue = rules.overdue_care(db.session, current_actor())
        return self.render_template("care/worklist.html", overdue=overdue)

    @expose("/check", methods=["POST"])
    @has_access
    def check(self):
        # The rule asks for the check-off permission (CareTaskCheck): a doctor reads, a nurse writes.
        try:
            task_id = int(request.form.get("care_task_id", ""))
            due_at = _instant(request.form.get("due_at"), "due_at")
            rules.check_care_task(db.session, current_actor(), task_id, due_at=due_at, note=request.form.get("note"))
            flash(_l("Checked off."), "success")
        except ValueError:
            flash(_l("No such care task."), "danger")
        except CareTrailError as refusal:
            _refused(refusal)
        return redirect(request.form.get("next") or url_for("CareWorklistView.index"))


class MedicationRoundView(BaseView):
    """A patient's planned doses of a day, and their outcomes."""

    route_base = "/care/rounds"
    default_view = "index"
    class_permission_name = ADMINISTRATIONS
    method_permission_name = {"index": "read", "record": "write"}

    @expose("/")
    @has_access
    def index(self):
        patient_id = request.args.get("patient_id", "")
        day_text = request.args.get("day") or today().isoformat()
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            raise BadInput("Not a date (YYYY-MM-DD).", field="day") from None
        doses = []
        if patient_id:
            if not is_digits(patient_id):
                raise BadInput("A patient is a number.", field="patient_id")
            doses = rules.planned_doses(db.session, current_actor(), int(patient_id), day)
        return self.render_template(
            "care/rounds.html", doses=doses, patient_id=patient_id, day=day, statuses=ADMINISTRATION_STATUSES
        )

    @expose("/record", methods=["POST"])
    @has_access
    def record(self):
        form = request.form
        try:
            rules.record_administration(
                db.session,
                current_actor(),
                prescription_item_id=int(form.get("prescription_item_id", "0") or 0),
                planned_at=_instant(form.get("planned_at"), "planned_at"),
                status=form.get("status", ""),
                reason=form.get("reason"),
                note=form.get("note"),
            )
            flash(_l("Recorded."), "success")
        except CareTrailError as refusal:
            _refused(refusal)
        return redirect(url_for("MedicationRoundView.index", patient_id=form.get("patient_id"), day=form.get("day")))


class CareTaskRules(RecordRules):
    """A care task planned from its screen: planned by the signed-in user."""

    def check(self, session, actor: Actor, item, *, deleting: bool = False) -> None:
        if item.planned_by_id is None:
            item.planned_by_id = actor.user_id


class CareTaskView(CareTrailModelView):
    datamodel = PatientRecordInterface(CareTask, rules=CareTaskRules(CARE_TASKS))
    class_permission_name = CARE_TASKS
    route_base = "/caretasks"
    patient_banner = True  # its patient's banner on the show and edit pages (app/home/banner.py)
    list_title = _l("Care tasks")
    show_title = _l("Care task")
    add_title = _l("Plan a care task")
    list_columns = ["patient", "description", "starts_at", "how_often", "ends_at", "status"]
    show_columns = [
        "patient",
        "description",
        "prescription_item",
        "starts_at",
        "every_hours",
        "ends_at",
        "status",
        "planned_by",
        "created_at",
        "updated_at",
    ]
    add_columns = ["patient", "description", "starts_at", "every_hours", "ends_at"]
    edit_columns = ["description", "ends_at", "status"]
    search_columns = ["patient", "status", "description"]
    base_order = ("starts_at", "desc")
    label_columns = {"every_hours": _l("Every (hours)"), "how_often": _l("How often")}
    description_columns = {"every_hours": _l("Empty: once")}
    # The patient is found by name, IPP or NIR, never picked from a select of every patient.
    search_form_extra_fields = PATIENT_SEARCH_FIELDS
    # Times typed as the hospital's local time, date and hour (FAB's date
    # picker on a datetime cleared what was typed: the form could not be sent).
    add_form_extra_fields = {
        "patient": patient_picker(datamodel, _l("Patient")),
        "starts_at": LocalDateTimeField("Starts At", validators=[DataRequired()], render_kw=FORM_CONTROL),
        "ends_at": LocalDateTimeField("Ends At", validators=[Optional()], render_kw=FORM_CONTROL),
    }
    edit_form_extra_fields = {"ends_at": add_form_extra_fields["ends_at"]}
    add_template = "pages/patient_picker_form.html"  # the picker's script


class VaccinationRules(RecordRules):
    """A vaccination recorded from its screen: given by the signed-in user, today or earlier."""

    def check(self, session, actor: Actor, item, *, deleting: bool = False) -> None:
        if deleting:
            return
        if item.given_by_id is None:
            item.given_by_id = actor.user_id
        if item.site not in SITES:
            from app.core.errors import ConstraintViolation

            raise ConstraintViolation("site", f"The site is one of: {', '.join(SITES)}.")


SITE_FIELD = SelectField(_l("Site"), choices=list(SITES.items()), render_kw={"class": "form-control"})


class VaccinationView(CareTrailModelView):
    datamodel = PatientRecordInterface(Vaccination, rules=VaccinationRules(VACCINATIONS))
    class_permission_name = VACCINATIONS
    route_base = "/vaccinations"
    patient_banner = True
    list_title = _l("Vaccinations")
    show_title = _l("Vaccination")
    add_title = _l("Record a vaccination")
    list_columns = ["patient", "vaccine", "dose_number", "given_on", "lot_number", "site", "given_by"]
    show_columns = [*list_columns, "notes", "created_at", "updated_at"]
    add_columns = edit_columns = ["patient", "vaccine", "dose_number", "given_on", "lot_number", "site", "notes"]
    search_columns = ["patient", "vaccine", "given_on"]
    base_order = ("given_on", "desc")
    label_columns = {"lot_number": _l("Lot"), "dose_number": _l("Dose")}
    search_form_extra_fields = PATIENT_SEARCH_FIELDS
    # The patient is found by name, IPP or NIR, never picked from a select of
    # every patient; a vaccination stays with its patient once recorded.
    add_form_extra_fields = {
        "patient": patient_picker(datamodel, _l("Patient")),
        "site": SITE_FIELD,
    }
    edit_form_extra_fields = {"patient": PatientShownField(_l("Patient")), "site": SITE_FIELD}
    add_template = "pages/patient_picker_form.html"  # the picker's script


class VaccineView(CareTrailModelView):
    datamodel = CareTrailInterface(Vaccine, rules=RecordRules(VACCINES))
    class_permission_name = VACCINES
    route_base = "/vaccines"
    list_title = _l("Vaccines (reference)")
    show_title = _l("Vaccine")
    list_columns = ["code", "name", "diseases_text", "manufacturer", "is_active"]
    show_columns = ["code", "name", "diseases_text", "manufacturer", "is_active", "created_at", "updated_at"]
    add_columns = edit_columns = ["code", "name", "manufacturer", "is_active"]
    search_columns = ["code", "name", "is_active"]
    base_order = ("name", "asc")
    label_columns = {"diseases_text": _l("Protects against")}


class VaccinationScheduleView(CareTrailModelView):
    datamodel = CareTrailInterface(VaccinationStep, rules=RecordRules(VACCINATION_SCHEDULE))
    class_permission_name = VACCINATION_SCHEDULE
    route_base = "/vaccination_calendar"
    list_title = _l("Vaccination calendar")
    show_title = _l("Calendar step")
    COLUMNS = [
        "code",
        "disease",
        "label",
        "due_age_months",
        "until_age_months",
        "repeat_every_months",
        "tolerance_months",
        "overdue_after_months",
        "is_active",
    ]
    list_columns = ["label", "disease", "due_age_months", "until_age_months", "repeat_every_months", "is_active"]
    show_columns = [*COLUMNS, "created_at", "updated_at"]
    add_columns = edit_columns = COLUMNS
    search_columns = ["disease", "code", "is_active"]
    base_order = ("due_age_months", "asc")
    label_columns = {
        "due_age_months": _l("Due at (months of age)"),
        "until_age_months": _l("Until (months of age)"),
        "repeat_every_months": _l("Repeat every (months)"),
    }


def care_page_params(patient_id: int, now: datetime) -> dict:
    """The values care_page_reads' overdue care reads: this patient's, as of now."""
    return rules.overdue_parameters(now, patient_id)


def care_page_reads(patient_id, actor: Actor) -> dict:
    """What the patient page's care section reads, with the other sections:
    the vaccinations given (with their vaccine) and the calendar in use, the
    overdue care with its task; each for who may read it."""
    reads = {}
    if may(actor, READ, VACCINATIONS):
        given = (
            sa.select(Vaccination, row_json(Vaccine.__table__).label("vaccine"))
            .join(Vaccine, Vaccine.id == Vaccination.vaccine_id)
            .where(Vaccination.patient_id == patient_id)
        )
        reads["vaccinations"] = json_rows(given, *rules.VACCINATION_ORDER)
        # Reference data, read with the rest: no cache to keep in step with the calendar's screen.
        reads["steps"] = json_rows(rules.ACTIVE_STEPS)
    if may(actor, READ, CARE_TASKS):
        due = rules.overdue_query().subquery()  # its parameters: care_page_params
        overdue = sa.select(row_json(CareTask.__table__).label("task"), due.c.at).join(
            CareTask, CareTask.id == due.c.id
        )
        reads["overdue"] = json_rows(overdue, due.c.at, due.c.id)
    return reads


def care_on_patient_page(patient_id: int, actor: Actor, read: dict) -> dict | None:
    """The patient page's care section: due and given vaccinations, overdue care."""
    section = {}
    if "vaccinations" in read:
        given = loaded(Vaccination, read["vaccinations"])
        # The patient as the page read it (held for the request: no query).
        patient = db.session.get(Patient, patient_id)
        section["vaccinations"] = given
        section["due"] = rules.vaccinations_still_due(
            patient, given, rules.steps_of(loaded(VaccinationStep, read["steps"]))
        )
    if "overdue" in read:
        section["overdue"] = [
            rules.Occurrence(loaded_one(CareTask, row["task"]), instant(row["at"])) for row in read["overdue"]
        ]
    if may(actor, READ, ADMINISTRATIONS):
        section["rounds"] = True
    return section or None


def given_of_prescription(prescription_id: int):
    """What was given of a prescription (its page): empty for who may not read administrations."""
    return rules.administrations_of_prescription(db.session, current_actor(), prescription_id)


def register_views(appbuilder) -> None:
    from flask import current_app

    from app.records.views import add_patient_section
    from app.security.roles import (
        CARE_MENU,
        CARE_WORKLIST_MENU,
        MAR_MENU,
        VACCINATION_SCHEDULE_MENU,
        VACCINATIONS_MENU,
        VACCINES_MENU,
    )

    appbuilder.add_view(
        CareWorklistView, CARE_WORKLIST_MENU, icon="fa-tasks", category=CARE_MENU, category_icon="fa-user-nurse"
    )
    appbuilder.add_view(MedicationRoundView, MAR_MENU, icon="fa-pills", category=CARE_MENU)
    appbuilder.add_view_no_menu(CareTaskView)
    appbuilder.add_view(VaccinationView, VACCINATIONS_MENU, icon="fa-syringe", category=CARE_MENU)
    appbuilder.add_view(VaccineView, VACCINES_MENU, icon="fa-vial", category=CARE_MENU)
    appbuilder.add_view(
        VaccinationScheduleView, VACCINATION_SCHEDULE_MENU, icon="fa-calendar-check", category=CARE_MENU
    )
    current_app.add_template_global(given_of_prescription, "care_given_of_prescription")
    current_app.add_template_global(DISEASES, "care_diseases")
    add_patient_section("care", "care/patient_care.html", care_on_patient_page, care_page_reads, care_page_params)
