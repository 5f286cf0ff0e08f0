"""Patient screens."""

from wtforms.validators import Email, Optional

from app.datamodel import CareTrailInterface
from app.models import BLOOD_GROUPS, SEXES, Patient
from app.security.roles import PATIENTS
from app.validators import FormRule, birth_date_rule, nir_rule, phone_rule
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


class PatientView(CareTrailModelView):
    datamodel = CareTrailInterface(Patient)
    class_permission_name = PATIENTS
    route_base = "/patients"
    show_template = "pages/patient_show.html"
    list_template = "pages/person_list.html"
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
