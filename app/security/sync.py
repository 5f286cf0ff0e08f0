"""Make the roles in the database match app/security/roles.py."""

import logging
from dataclasses import dataclass, field

from app.security.permissions import MENU, READ
from app.security.roles import ADMIN_ROLE, MENU_CATEGORIES, MENU_ITEMS, ROLE_MATRIX, SELF_SERVICE

log = logging.getLogger(__name__)


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        if not self.added and not self.removed:
            return "roles already in sync"
        return f"{len(self.added)} permission(s) granted, {len(self.removed)} revoked"


def wanted_permissions(grants: dict[str, tuple[str, ...]]) -> set[tuple[str, str]]:
    """(permission, view_menu) pairs a matrix row stands for, menus and self-service included."""
    pairs = set(SELF_SERVICE)
    for resource, permissions in grants.items():
        pairs.update((permission, resource) for permission in permissions)
        if READ in permissions:
            pairs.update((MENU, menu_item) for menu_item in MENU_ITEMS[resource])
            if resource in MENU_CATEGORIES:
                pairs.add((MENU, MENU_CATEGORIES[resource]))
    return pairs


def sync_roles(appbuilder) -> SyncReport:
    """Create every screen/API permission, drop stale ones, then align each role.

    Needs an application context.  Safe to run any number of times.
    """
    sm = appbuilder.sm
    admin = sm.find_role(ADMIN_ROLE) or sm.add_role(ADMIN_ROLE)
    sm.add_role(sm.auth_role_public)
    # FAB creates the permissions of every registered view and menu item and
    # grants them to the Admin role; security_cleanup drops those of views
    # that no longer exist.
    appbuilder.add_permissions(update_perms=True)
    # Its "refused to delete view menu <ClassName>" warnings are expected:
    # our views use resource names, not class names.
    fab_log = logging.getLogger("flask_appbuilder.security.sqla.manager")
    previous_level = fab_log.level
    fab_log.setLevel(logging.ERROR)
    try:
        sm.security_cleanup(appbuilder.baseviews, appbuilder.menu)
    finally:
        fab_log.setLevel(previous_level)

    report = SyncReport()
    everything = set(sm.session.query(sm.permissionview_model).all())
    _align(sm, admin, everything, report)

    for role_name, grants in ROLE_MATRIX.items():
        role = sm.find_role(role_name) or sm.add_role(role_name)
        wanted = set()
        for permission, view_menu in sorted(wanted_permissions(grants)):
            pvm = sm.find_permission_view_menu(permission, view_menu)
            if pvm is None:
                # A typo in the matrix must fail loudly, not leave a role short.
                raise LookupError(f"role {role_name}: no permission {permission} on {view_menu}")
            wanted.add(pvm)
        _align(sm, role, wanted, report)
    sm.session.commit()
    log.info("role sync: %s", report)
    return report


def _align(sm, role, wanted: set, report: SyncReport) -> None:
    # Changed in place and committed once by the caller, so a failed sync
    # leaves every role as it was (FAB's add_permission_role commits each grant).
    current = set(role.permissions)
    report.added += [f"{role.name}: {pvm}" for pvm in wanted - current]
    report.removed += [f"{role.name}: {pvm}" for pvm in current - wanted]
    role.permissions = sorted(wanted, key=lambda pvm: pvm.id)
