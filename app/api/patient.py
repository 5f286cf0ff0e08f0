"""REST API for patients: /api/v1/patients/."""

from marshmallow import validate

from app.api.base import CareTrailModelApi
from app.datamodel import CareTrailInterface
from app.models import BLOOD_GROUPS, SEXES, Patient
from app.security.roles import PATIENTS
from app.validators import api_rule, birth_date_rule, nir_rule, phone_rule
from app.views.patient import EDITABLE_COLUMNS

READ_COLUMNS = ["id", "mrn", *EDITABLE_COLUMNS, "created_at", "updated_at"]


class PatientApi(CareTrailModelApi):
    resource_name = "patients"
    datamodel = CareTrailInterface(Patient)
    class_permission_name = PATIENTS
    openapi_spec_tag = "Patients"

    list_columns = ["id", "mrn", "last_name", "first_name", "birth_name", "birth_date", "sex", "phone", "city"]
    show_columns = READ_COLUMNS
    add_columns = edit_columns = EDITABLE_COLUMNS
    order_columns = ["id", "mrn", "last_name", "first_name", "birth_date", "city", "updated_at"]
    search_columns = ["last_name", "first_name", "birth_name", "mrn", "nir", "birth_date", "city", "phone"]
    validators_columns = {
        "nir": api_rule(nir_rule),
        "birth_date": api_rule(birth_date_rule),
        "phone": api_rule(phone_rule),
        "emergency_contact_phone": api_rule(phone_rule),
        "email": validate.Email(),
        "sex": validate.OneOf(list(SEXES)),
        "blood_group": validate.OneOf(BLOOD_GROUPS),
    }
