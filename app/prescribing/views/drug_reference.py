"""Screens of the drug reference (medications, interactions: written by
administrators, read by prescribers), patient allergies (recorded from the
patient's page), and the medication finder the prescription editor asks
as you type (/medication-lookup/?q=amox)."""

import sqlalchemy as sa
from flask import jsonify, request
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access_api
from wtforms import StringField, TextAreaField

from app.core.datamodel import CareTrailInterface
from app.core.extensions import db
from app.core.fields import code_select, yes_no
from app.core.search import folded
from app.core.timezone import local_time
from app.core.views import CareTrailModelView
from app.prescribing.models import (
    ALLERGY_SEVERITIES,
    ALLERGY_SOURCES,
    ALLERGY_STATUSES,
    SEVERITIES,
    TERM_KINDS,
    DrugInteraction,
    Medication,
    PatientAllergy,
)
from app.prescribing.reference import ALLERGY_RULES, DRUG_INTERACTION_RULES, MEDICATION_RULES
from app.records.fields import PATIENT_SEARCH_FIELDS, PatientRecordInterface, patient_picker
from app.security.roles import ALLERGIES, DRUG_INTERACTIONS, MEDICATIONS

LOOKUP_LIMIT = 15


class SubstancesField(StringField):
    """Active substances typed on one line: "amoxicillin + clavulanic acid"."""

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return " + ".join(self.data) if isinstance(self.data, list | tuple) else (self.data or "")


MEDICATION_COLUMNS = [
    "code",
    "name",
    "substances",
    "atc_code",
    "form",
    "strength",
    "route",
    "is_narcotic",
    "needs_secure_prescription",
    "is_active",
]


class MedicationView(CareTrailModelView):
    datamodel = CareTrailInterface(Medication, rules=MEDICATION_RULES)
    class_permission_name = MEDICATIONS
    route_base = "/medications"
    list_title = "Medications (drug reference)"
    show_title = "Medication"
    add_title = "New medication"
    edit_title = "Edit medication"
    list_columns = ["code", "name", "substances_text", "atc_code", "form", "strength", "is_narcotic", "is_active"]
    order_columns = ["code", "name", "atc_code"]
    base_order = ("name", "asc")
    search_columns = ["name", "code", "atc_code", "is_active", "is_narcotic"]
    show_columns = [*MEDICATION_COLUMNS, "created_at", "updated_at"]
    add_columns = edit_columns = MEDICATION_COLUMNS
    label_columns = {
        "substances_text": "Active substances",
        "substances": "Active substances",
        "atc_code": "ATC code",
        "is_narcotic": "Narcotic",
        "needs_secure_prescription": "Secure prescription",
        "is_active": "In use",
    }
    formatters_columns = {"substances": lambda value: " + ".join(value or ())}
    description_columns = {
        "code": "The CIS code when known, else the pharmacy's own code",
        "substances": "International non-proprietary names, separated by + (amoxicillin + clavulanic acid)",
        "atc_code": "WHO ATC code, level 5 (J01CA04) or 4",
        "is_active": "Untick to withdraw it: it stays on past prescriptions, new ones cannot use it",
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "substances": SubstancesField("Active substances", render_kw={"class": "form-control"}),
        "is_narcotic": yes_no("Narcotic", default=False),
        "needs_secure_prescription": yes_no("Secure prescription", default=False),
        "is_active": yes_no("In use", default=True),
    }


INTERACTION_FIELDS = ["a_kind", "a_value", "b_kind", "b_value", "severity", "message", "source"]


class DrugInteractionView(CareTrailModelView):
    datamodel = CareTrailInterface(DrugInteraction, rules=DRUG_INTERACTION_RULES)
    class_permission_name = DRUG_INTERACTIONS
    route_base = "/drug-interactions"
    list_title = "Drug interactions"
    show_title = "Drug interaction"
    add_title = "New drug interaction"
    edit_title = "Edit drug interaction"
    list_columns = ["pair", "severity", "message", "source"]
    order_columns = ["severity"]
    search_columns = ["a_value", "b_value", "severity", "source"]
    show_columns = [*INTERACTION_FIELDS, "created_at", "updated_at"]
    add_columns = edit_columns = INTERACTION_FIELDS
    label_columns = {
        "a_kind": "First: kind",
        "a_value": "First: substance or ATC class",
        "b_kind": "Second: kind",
        "b_value": "Second: substance or ATC class",
    }
    description_columns = {
        "a_value": "A substance (warfarin) or an ATC class of any level (M01A: NSAIDs); the order does not matter",
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "a_kind": code_select("First: kind", TERM_KINDS),
        "b_kind": code_select("Second: kind", TERM_KINDS),
        "severity": code_select("Severity", SEVERITIES),
        "message": TextAreaField("Message", render_kw={"class": "form-control", "rows": 3}),
    }


ALLERGY_FIELDS = ["patient", "substance", "atc_code", "description", "reaction", "severity", "status"]


class PatientAllergyView(CareTrailModelView):
    """Open from the patient's page (/allergies/add?_flt_0_patient=<id> fills the patient in)."""

    datamodel = PatientRecordInterface(PatientAllergy, rules=ALLERGY_RULES)
    class_permission_name = ALLERGIES
    route_base = "/allergies"
    list_title = "Allergies"
    show_title = "Allergy"
    add_title = "New allergy"
    edit_title = "Edit allergy"
    list_columns = ["patient", "agent", "reaction", "severity", "status", "source", "recorded_at"]
    order_columns = ["recorded_at", "status"]
    base_order = ("recorded_at", "desc")
    search_columns = ["patient", "substance", "atc_code", "status", "source"]
    show_columns = [*ALLERGY_FIELDS, "source", "recorded_by", "recorded_at", "updated_at"]
    add_columns = ALLERGY_FIELDS
    edit_columns = ALLERGY_FIELDS[1:]
    label_columns = {
        "agent": "Allergic to",
        "atc_code": "ATC class",
        "recorded_by": "Recorded by",
        "recorded_at": "Recorded",
        "updated_at": "Last changed",
    }
    description_columns = {
        "substance": "An active substance (INN) of the drug reference, e.g. amoxicillin",
        "atc_code": "Or a class, at any ATC level: J01C (penicillins) matches amoxicillin J01CA04",
        "description": "Anything else (latex, a food, a drug not in the reference): shown at every prescription",
    }
    formatters_columns = {"recorded_at": local_time, "source": lambda value: ALLERGY_SOURCES.get(value, value)}
    search_form_extra_fields = PATIENT_SEARCH_FIELDS
    edit_form_extra_fields = {
        "severity": code_select("Severity", ALLERGY_SEVERITIES),
        "status": code_select("Status", ALLERGY_STATUSES),
    }
    # The patient is found by name, IPP or NIR, never picked from a select of every patient.
    add_form_extra_fields = {
        **edit_form_extra_fields,
        "patient": patient_picker(datamodel),
    }
    add_template = "pages/patient_picker_form.html"  # the picker's script


class MedicationLookupView(BaseView):
    """Active medications whose name or code matches what is typed (JSON)."""

    route_base = "/medication-lookup"
    class_permission_name = MEDICATIONS
    method_permission_name = {"search": "read"}

    @expose("/")
    @has_access_api
    def search(self):
        text = (request.args.get("q") or "").strip()
        if len(text) < 2:
            return jsonify([])
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        medications = db.session.scalars(
            sa.select(Medication)
            .where(
                Medication.is_active,
                sa.or_(
                    folded(Medication.name).like(folded(sa.literal(pattern)), escape="\\"),
                    Medication.code.ilike(pattern, escape="\\"),
                ),
            )
            .order_by(Medication.name)
            .limit(LOOKUP_LIMIT)
        )
        return jsonify(
            [
                {"id": m.id, "label": m.label, "substances": m.substances_text, "route": m.route or ""}
                for m in medications
            ]
        )
