"""Hospitalisation reports (comptes rendus d'hospitalisation): written by
doctors, read by nurses (never by secretaries: no clinical document).

Who writes which report: app/documents/reports.py (the rules, for every
door); this screen offers the author picker to administrators only and
shows someone else's report read-only.  "Print" issues the report as a PDF
document (app/documents/views/issue.py).
"""

import sqlalchemy as sa
from flask import abort, flash, redirect, url_for
from flask_appbuilder import expose
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.security.decorators import has_access
from wtforms import DateField, TextAreaField
from wtforms.validators import DataRequired

from app.core.actor import current_actor
from app.core.errors import CareTrailError
from app.core.extensions import db
from app.core.fields import FORM_CONTROL
from app.core.timezone import local_time
from app.core.views import CareTrailModelView
from app.documents.access import may_issue
from app.documents.models import HospitalisationReport
from app.documents.reports import REPORT_RULES, check_may_write_report
from app.prescribing.access import is_admin, own_doctor_id
from app.records.fields import PATIENT_SEARCH_FIELDS, PatientRecordInterface, patient_picker
from app.records.models import Staff
from app.security.roles import HOSPITALISATION_REPORTS

REPORT_FIELDS = [
    "service",
    "admitted_on",
    "discharged_on",
    "reason",
    "summary",
    "discharge_treatment",
    "follow_up",
]


def author_choices():
    """An administrator picks among the active doctors; a doctor is the author."""
    actor = current_actor()
    query = sa.select(Staff).where(Staff.profession == "doctor", Staff.is_active).order_by(Staff.last_name)
    if not is_admin(actor):
        query = query.where(Staff.id == own_doctor_id(db.session, actor))
    return db.session.scalars(query).all()


def own_doctor():
    own = own_doctor_id(db.session, current_actor())
    return db.session.get(Staff, own) if own is not None else None


def _text_area(label: str, rows: int, required: bool = False) -> TextAreaField:
    return TextAreaField(
        label,
        validators=[DataRequired()] if required else [],
        filters=[lambda value: value.strip() or None if isinstance(value, str) else value],
        render_kw={**FORM_CONTROL, "rows": rows},
    )


class HospitalisationReportView(CareTrailModelView):
    """Opened from the patient's page: /hospitalisation-reports/add?_flt_0_patient=<id> fills the patient in."""

    datamodel = PatientRecordInterface(HospitalisationReport, rules=REPORT_RULES)
    class_permission_name = HOSPITALISATION_REPORTS
    route_base = "/hospitalisation-reports"
    patient_banner = True  # its patient's banner on the show and edit pages (app/home/banner.py)
    add_template = "pages/patient_picker_form.html"  # FAB's form with the patient picker's script
    show_template = "pages/document_report_show.html"
    list_title = "Hospitalisation reports"
    show_title = "Hospitalisation report"
    add_title = "New hospitalisation report"
    edit_title = "Edit hospitalisation report"

    list_columns = ["patient", "service", "admitted_on", "discharged_on", "author"]
    order_columns = ["admitted_on", "discharged_on", "service"]
    base_order = ("discharged_on", "desc")
    search_columns = ["patient", "author", "service", "admitted_on", "discharged_on"]
    search_form_extra_fields = PATIENT_SEARCH_FIELDS
    show_columns = ["patient", "author", *REPORT_FIELDS, "created_at", "updated_at"]
    add_columns = ["patient", "author", *REPORT_FIELDS]
    edit_columns = ["author", *REPORT_FIELDS]
    label_columns = {
        "admitted_on": "Admitted on",
        "discharged_on": "Discharged on",
        "reason": "Reason for admission",
        "summary": "Summary of the stay",
        "discharge_treatment": "Treatment at discharge",
        "follow_up": "Follow-up",
        "created_at": "Created",
        "updated_at": "Last changed",
    }
    description_columns = {
        "author": "A doctor writes their own reports; an administrator names the doctor",
        "service": "The ward or department, e.g. Cardiology",
    }
    formatters_columns = {"created_at": local_time, "updated_at": local_time}
    _common_fields = {
        "author": QuerySelectField(
            "Author",
            query_func=author_choices,
            get_pk_func=lambda staff: staff.id,
            get_label=lambda staff: staff.display_name,
            default=own_doctor,
            validators=[DataRequired()],
            widget=Select2Widget(),
        ),
        "admitted_on": DateField(
            "Admitted on", validators=[DataRequired()], render_kw={**FORM_CONTROL, "type": "date"}
        ),
        "discharged_on": DateField(
            "Discharged on", validators=[DataRequired()], render_kw={**FORM_CONTROL, "type": "date"}
        ),
        "reason": _text_area("Reason for admission", 2, required=True),
        "summary": _text_area("Summary of the stay", 8, required=True),
        "discharge_treatment": _text_area("Treatment at discharge", 4),
        "follow_up": _text_area("Follow-up", 3),
    }
    add_form_extra_fields = {
        "patient": patient_picker(datamodel),
        **_common_fields,
    }
    edit_form_extra_fields = _common_fields

    def show_extras(self, pk) -> dict:
        """Print, for who may issue the report's document."""
        return {"may_print": may_issue(current_actor(), "hospitalisation_report")}

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        """Someone else's report is read, not edited (an admin edits any): the
        editor asks the rule every save asks, and only answers its refusal."""
        report = self.datamodel.get(pk)
        if report is None:
            abort(404)
        try:
            check_may_write_report(db.session, current_actor(), report)
        except CareTrailError as refused:
            flash(refused.message, "danger")
            return redirect(url_for(f"{self.endpoint}.show", pk=report.id))
        return super().edit(pk)
