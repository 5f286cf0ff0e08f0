"""Staff screens."""

from wtforms.validators import Email, Optional

from app.datamodel import CareTrailInterface
from app.models import PROFESSIONS, Staff
from app.security.roles import STAFF
from app.validators import FormRule, phone_rule, rpps_rule
from app.views.base import CareTrailModelView
from app.views.choices import code_select, yes_no

EDITABLE_COLUMNS = ["last_name", "first_name", "profession", "specialty", "rpps", "email", "phone", "is_active", "user"]


class StaffView(CareTrailModelView):
    datamodel = CareTrailInterface(Staff)
    class_permission_name = STAFF
    route_base = "/staff"
    list_template = "pages/person_list.html"
    extra_args = {"quick_search_placeholder": "Find a staff member by name"}

    list_title = "Staff"
    show_title = "Staff member"
    add_title = "New staff member"
    edit_title = "Edit staff member"

    list_columns = ["last_name", "first_name", "profession", "specialty", "rpps", "phone", "is_active"]
    order_columns = ["last_name", "first_name", "profession", "specialty"]
    base_order = ("last_name", "asc")
    search_columns = ["last_name", "first_name", "profession", "specialty", "rpps", "is_active"]
    show_columns = [*EDITABLE_COLUMNS, "created_at", "updated_at"]
    add_columns = edit_columns = EDITABLE_COLUMNS
    label_columns = {
        "last_name": "Last name",
        "first_name": "First name",
        "rpps": "RPPS number",
        "is_active": "Active",
        "user": "Login",
        "created_at": "Created",
        "updated_at": "Last changed",
    }
    description_columns = {
        "rpps": "11 digits (Répertoire partagé des professionnels de santé)",
        "user": "The CareTrail login of this person, if any",
        "is_active": "Untick when the person leaves: past appointments and prescriptions keep their name",
    }
    validators_columns = {
        "rpps": [FormRule(rpps_rule)],
        "phone": [FormRule(phone_rule)],
        "email": [Optional(), Email()],
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "profession": code_select("Profession", PROFESSIONS),
        "is_active": yes_no("Active", default=True),
    }
