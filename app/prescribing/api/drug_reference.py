"""REST APIs of the drug reference and of patient allergies:
/api/v1/medications/, /api/v1/drug_interactions/, /api/v1/allergies/.

The reference is written by administrators (or loaded with `flask drugs
import`), read by prescribers; allergies by the clinicians who see the
patient.  Database refusals come back as 422 field messages (CareTrailModelApi).
"""

from marshmallow import validate

from app.core.api import CareTrailModelApi
from app.core.datamodel import CareTrailInterface
from app.prescribing.models import (
    ALLERGY_SEVERITIES,
    ALLERGY_STATUSES,
    SEVERITIES,
    TERM_KINDS,
    DrugInteraction,
    Medication,
    PatientAllergy,
)
from app.prescribing.reference import ALLERGY_RULES, DRUG_INTERACTION_RULES, MEDICATION_RULES
from app.security.roles import ALLERGIES, DRUG_INTERACTIONS, MEDICATIONS

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


class MedicationApi(CareTrailModelApi):
    resource_name = "medications"
    datamodel = CareTrailInterface(Medication, rules=MEDICATION_RULES)
    class_permission_name = MEDICATIONS
    openapi_spec_tag = "Drug reference"
    list_columns = ["id", *MEDICATION_COLUMNS]
    show_columns = ["id", *MEDICATION_COLUMNS, "created_at", "updated_at"]
    add_columns = edit_columns = MEDICATION_COLUMNS
    order_columns = ["id", "code", "name", "atc_code"]
    search_columns = ["code", "name", "atc_code", "is_active", "is_narcotic"]
    base_order = ("name", "asc")
    validators_columns = {"code": validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$")}


INTERACTION_COLUMNS = ["a_kind", "a_value", "b_kind", "b_value", "severity", "message", "source"]


class DrugInteractionApi(CareTrailModelApi):
    resource_name = "drug_interactions"
    datamodel = CareTrailInterface(DrugInteraction, rules=DRUG_INTERACTION_RULES)
    class_permission_name = DRUG_INTERACTIONS
    openapi_spec_tag = "Drug reference"
    list_columns = ["id", *INTERACTION_COLUMNS]
    show_columns = ["id", *INTERACTION_COLUMNS, "created_at", "updated_at"]
    add_columns = edit_columns = INTERACTION_COLUMNS
    order_columns = ["id", "a_value", "b_value", "severity"]
    search_columns = ["a_kind", "a_value", "b_kind", "b_value", "severity"]
    validators_columns = {
        "a_kind": validate.OneOf(list(TERM_KINDS)),
        "b_kind": validate.OneOf(list(TERM_KINDS)),
        "severity": validate.OneOf(list(SEVERITIES)),
    }


ALLERGY_COLUMNS = ["patient_id", "substance", "atc_code", "description", "reaction", "severity", "status"]


class PatientAllergyApi(CareTrailModelApi):
    resource_name = "allergies"
    datamodel = CareTrailInterface(PatientAllergy, rules=ALLERGY_RULES)
    class_permission_name = ALLERGIES
    openapi_spec_tag = "Allergies"
    list_columns = ["id", *ALLERGY_COLUMNS, "source", "recorded_by_id", "recorded_at"]
    show_columns = [*list_columns, "created_at", "updated_at"]
    add_columns = ALLERGY_COLUMNS
    edit_columns = ALLERGY_COLUMNS[1:]  # an allergy stays with its patient
    order_columns = ["id", "patient_id", "recorded_at", "status"]
    search_columns = ["patient_id", "substance", "atc_code", "status"]
    validators_columns = {
        "severity": validate.OneOf(list(ALLERGY_SEVERITIES)),
        "status": validate.OneOf(list(ALLERGY_STATUSES)),
    }
