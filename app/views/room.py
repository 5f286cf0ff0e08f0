"""Room screens."""

from app.datamodel import CareTrailInterface
from app.models import ROOM_KINDS, Room
from app.security.roles import ROOMS
from app.validators import FormRule, room_code_rule
from app.views.base import CareTrailModelView
from app.views.choices import code_select, yes_no

EDITABLE_COLUMNS = ["code", "name", "kind", "is_active"]


class RoomView(CareTrailModelView):
    datamodel = CareTrailInterface(Room)
    class_permission_name = ROOMS
    route_base = "/rooms"

    list_title = "Rooms"
    show_title = "Room"
    add_title = "New room"
    edit_title = "Edit room"

    list_columns = ["code", "name", "kind", "is_active"]
    order_columns = ["code", "name", "kind"]
    base_order = ("code", "asc")
    search_columns = ["code", "name", "kind", "is_active"]
    show_columns = [*EDITABLE_COLUMNS, "created_at", "updated_at"]
    add_columns = edit_columns = EDITABLE_COLUMNS
    label_columns = {"is_active": "Active", "created_at": "Created", "updated_at": "Last changed"}
    description_columns = {
        "code": "Short unique code shown on schedules, e.g. CONS-1",
        "is_active": "Untick to stop booking it: past appointments keep it",
    }
    validators_columns = {"code": [FormRule(room_code_rule)]}
    add_form_extra_fields = edit_form_extra_fields = {
        "kind": code_select("Kind", ROOM_KINDS),
        "is_active": yes_no("Active", default=True),
    }
