"""REST API for staff: /api/v1/staff/."""

from marshmallow import validate

from app.api.base import CareTrailModelApi
from app.datamodel import CareTrailInterface
from app.models import PROFESSIONS, Staff
from app.security.roles import STAFF
from app.validators import api_rule, phone_rule, rpps_rule

EDITABLE_COLUMNS = [
    "last_name",
    "first_name",
    "profession",
    "specialty",
    "rpps",
    "email",
    "phone",
    "is_active",
    "user_id",
]


class StaffApi(CareTrailModelApi):
    resource_name = "staff"
    datamodel = CareTrailInterface(Staff)
    class_permission_name = STAFF
    openapi_spec_tag = "Staff"

    list_columns = ["id", "last_name", "first_name", "profession", "specialty", "rpps", "is_active"]
    show_columns = ["id", *EDITABLE_COLUMNS, "created_at", "updated_at"]
    add_columns = edit_columns = EDITABLE_COLUMNS
    order_columns = ["id", "last_name", "first_name", "profession", "specialty"]
    search_columns = ["last_name", "first_name", "profession", "specialty", "rpps", "is_active"]
    validators_columns = {
        "rpps": api_rule(rpps_rule),
        "phone": api_rule(phone_rule),
        "email": validate.Email(),
        "profession": validate.OneOf(list(PROFESSIONS)),
    }
