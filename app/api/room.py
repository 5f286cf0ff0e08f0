"""REST API for rooms: /api/v1/rooms/."""

from marshmallow import validate

from app.api.base import CareTrailModelApi
from app.datamodel import CareTrailInterface
from app.models import ROOM_KINDS, Room
from app.security.roles import ROOMS
from app.validators import api_rule, room_code_rule

EDITABLE_COLUMNS = ["code", "name", "kind", "is_active"]


class RoomApi(CareTrailModelApi):
    resource_name = "rooms"
    datamodel = CareTrailInterface(Room)
    class_permission_name = ROOMS
    openapi_spec_tag = "Rooms"

    list_columns = ["id", *EDITABLE_COLUMNS]
    show_columns = ["id", *EDITABLE_COLUMNS, "created_at", "updated_at"]
    add_columns = edit_columns = EDITABLE_COLUMNS
    order_columns = ["id", "code", "name", "kind"]
    search_columns = ["code", "name", "kind", "is_active"]
    validators_columns = {
        "code": api_rule(room_code_rule),
        "kind": validate.OneOf(list(ROOM_KINDS)),
    }
