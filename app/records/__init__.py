"""Patients, staff and rooms: who is cared for, who cares, and where."""


def register(appbuilder) -> None:
    from app.records.api import PatientApi, RoomApi, StaffApi
    from app.records.views import PatientView, RoomView, StaffView
    from app.security.roles import MENU_ITEMS, PATIENTS, RECORDS_MENU, ROOMS, STAFF

    # Menu names come from the role matrix, which grants menu_access on them.
    appbuilder.add_view(
        PatientView, MENU_ITEMS[PATIENTS][0], icon="fa-user", category=RECORDS_MENU, category_icon="fa-folder-open"
    )
    appbuilder.add_view(StaffView, MENU_ITEMS[STAFF][0], icon="fa-user-md", category=RECORDS_MENU)
    appbuilder.add_view(RoomView, MENU_ITEMS[ROOMS][0], icon="fa-door-open", category=RECORDS_MENU)
    appbuilder.add_api(PatientApi)
    appbuilder.add_api(StaffApi)
    appbuilder.add_api(RoomApi)
