"""Patient screens.

Deleting a patient goes through a confirmation page (who, what goes with
it, an optional reason kept in the audit) rather than FAB's JavaScript
confirm: the list's and the patient page's delete buttons lead to it.
FAB's own delete route stays as it was (POST with a CSRF token only).
"""

from flask import flash, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.widgets import ListWidget, ShowWidget
from markupsafe import Markup
from wtforms.validators import Email, Optional

from app.datamodel import CareTrailInterface
from app.db_context import REASON_MAX_LENGTH, audit_reason, clean_reason
from app.exceptions import CareTrailError
from app.models import BLOOD_GROUPS, SEXES, STATUSES, Patient
from app.security.permissions import METHOD_PERMISSION_MAP
from app.security.roles import APPOINTMENTS, AUDIT, PATIENTS
from app.services.patient_appointments import patient_appointments
from app.services.patient_deletion import dependent_rows
from app.validators import FormRule, birth_date_rule, nir_rule, phone_rule
from app.views.agenda_fields import local_time
from app.views.base import CareTrailModelView
from app.views.choices import code_select

PATIENT_LABELS = {
    "mrn": "Hospital no. (IPP)",
    "nir": "NIR (social security no.)",
    "last_name": "Last name",
    "first_name": "First name",
    "birth_name": "Birth name",
    "birth_date": "Date of birth",
    "blood_group": "Blood group",
    "postal_code": "Postal code",
    "emergency_contact_name": "Emergency contact",
    "emergency_contact_phone": "Emergency contact phone",
    "created_at": "Created",
    "updated_at": "Last changed",
}

# The patient's fields in the groups screens show them in.
IDENTITY_FIELDS = ["last_name", "first_name", "birth_name", "birth_date", "sex", "nir"]
CONTACT_FIELDS = [
    "phone",
    "email",
    "address",
    "postal_code",
    "city",
    "emergency_contact_name",
    "emergency_contact_phone",
]
MEDICAL_FIELDS = ["blood_group", "allergies", "notes"]
EDITABLE_COLUMNS = IDENTITY_FIELDS + CONTACT_FIELDS + MEDICAL_FIELDS


class PatientListWidget(ListWidget):
    template = "pages/patient_list_widget.html"


class PatientShowWidget(ShowWidget):
    template = "pages/patient_show_widget.html"


class PatientView(CareTrailModelView):
    datamodel = CareTrailInterface(Patient)
    class_permission_name = PATIENTS
    method_permission_name = {**METHOD_PERMISSION_MAP, "confirm_delete": "delete"}
    route_base = "/patients"
    show_template = "pages/patient_show.html"
    list_template = "pages/person_list.html"
    list_widget = PatientListWidget
    show_widget = PatientShowWidget
    extra_args = {"quick_search_placeholder": "Find a patient: name, hospital number (IPP) or NIR"}

    list_title = "Patients"
    show_title = "Patient"
    add_title = "New patient"
    edit_title = "Edit patient"

    list_columns = ["mrn", "last_name", "first_name", "birth_date", "sex", "phone", "city"]
    order_columns = ["mrn", "last_name", "first_name", "birth_date", "city"]
    base_order = ("last_name", "asc")
    search_columns = ["last_name", "first_name", "birth_name", "mrn", "nir", "birth_date", "city", "phone"]
    label_columns = PATIENT_LABELS

    show_fieldsets = [
        ("Identity", {"fields": ["mrn", *IDENTITY_FIELDS]}),
        ("Contact", {"fields": CONTACT_FIELDS}),
        ("Medical", {"fields": MEDICAL_FIELDS}),
        ("Record", {"fields": ["created_at", "updated_at"], "expanded": False}),
    ]
    add_columns = edit_columns = EDITABLE_COLUMNS
    add_fieldsets = edit_fieldsets = [
        ("Identity", {"fields": IDENTITY_FIELDS}),
        ("Contact", {"fields": CONTACT_FIELDS}),
        ("Medical", {"fields": MEDICAL_FIELDS}),
    ]
    description_columns = {
        "nir": "15 characters, spaces allowed: 1 85 05 78 006 084 91",
        "phone": "French or international number; stored as +33…",
        "birth_name": "Name at birth, when different (nom de naissance)",
    }
    validators_columns = {
        "nir": [FormRule(nir_rule)],
        "birth_date": [FormRule(birth_date_rule)],
        "phone": [FormRule(phone_rule)],
        "emergency_contact_phone": [FormRule(phone_rule)],
        "email": [Optional(), Email()],
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "sex": code_select("Sex", SEXES),
        "blood_group": code_select("Blood group", {g: g for g in BLOOD_GROUPS}, required=False),
    }

    def show_extras(self, pk) -> dict:
        """The patient's upcoming and past appointments, for those who may read appointments."""
        appointments = None
        if self.appbuilder.sm.has_access("can_read", APPOINTMENTS):
            appointments = patient_appointments(int(pk))
        return {"appointments": appointments, "local_time": local_time, "statuses": STATUSES}

    @expose("/delete/<int:pk>/confirm", methods=["GET", "POST"])
    @has_access
    def confirm_delete(self, pk: int):
        """Who is deleted and what goes with it; the POST deletes, with the
        reason stamped on every audit entry of the transaction (cascades too)."""
        patient = self.datamodel.get(pk, self._base_filters)
        if patient is None:
            flash(f"Patient #{pk} does not exist (already deleted?).", "warning")
            return redirect(url_for(f"{self.endpoint}.list"))
        reason, error = "", None
        if request.method == "POST":
            reason = request.form.get("reason", "")
            who = f"{patient.full_name} ({patient.mrn})"
            try:
                with audit_reason(clean_reason(reason)):
                    self.datamodel.delete(patient)
            except CareTrailError as problem:
                error = problem.message
            else:
                flash(self._deleted_message(who), "success")
                return redirect(url_for(f"{self.endpoint}.list"))
        return self.render_template(
            "pages/patient_delete.html",
            patient=patient,
            dependents=dependent_rows(pk),
            reason=reason,
            reason_max_length=REASON_MAX_LENGTH,
            error=error,
        ), (400 if error else 200)

    def _deleted_message(self, who: str) -> Markup:
        if not self.appbuilder.sm.has_access("can_read", AUDIT):
            return Markup("Patient {} deleted.").format(who)
        return Markup('Patient {} deleted. It can be restored from <a href="{}">Audit → Deleted patients</a>.').format(
            who, url_for("DeletedPatientsView.index")
        )
