"""One permission vocabulary for screens and APIs.

FAB names a permission after the method it guards (can_list, can_show,
can_get, can_post ...).  Mapping them onto read / write / delete, and giving a
screen and its API the same resource name, keeps the role matrix to one short
line per role and resource (the idea comes from Superset's
MODEL_API_RW_METHOD_PERMISSION_MAP).
"""

READ = "can_read"
WRITE = "can_write"
DELETE = "can_delete"
RESTORE = "can_restore"  # put back an audited version or a deleted row (Admin)
HISTORY = "can_history"  # a patient's history of changes (the audit of one record)
MENU = "menu_access"

METHOD_PERMISSION_MAP = {
    # ModelView (screens)
    "list": "read",
    "show": "read",
    "download": "read",
    "add": "write",
    "edit": "write",
    "delete": "delete",
    "action": "write",
    "action_post": "write",
    # ModelRestApi
    "get_list": "read",
    "get": "read",
    "info": "read",
    "post": "write",
    "put": "write",
}
