"""Make the roles in the database match app/security/roles.py."""

import logging
from collections import defaultdict
from dataclasses import dataclass, field

from app.security.permissions import MENU
from app.security.policy import wanted_permissions
from app.security.roles import ADMIN_ROLE, ROLE_MATRIX

log = logging.getLogger(__name__)


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        if not self.added and not self.removed:
            return "roles already in sync"
        return f"{len(self.added)} permission(s) granted, {len(self.removed)} revoked"


def sync_roles(appbuilder) -> SyncReport:
    """Create every screen/API permission, drop stale ones, then align each role.

    Needs an application context.  Safe to run any number of times.
    """
    sm = appbuilder.sm
    admin = sm.find_role(ADMIN_ROLE) or sm.add_role(ADMIN_ROLE)
    public = sm.find_role(sm.auth_role_public) or sm.add_role(sm.auth_role_public)
    report = SyncReport()
    _create_permissions(appbuilder, report)
    everything = set(sm.session.query(sm.permissionview_model).all())
    _align(sm, admin, everything, report)
    # No page or API answers anyone not signed in (the security manager
    # counts on it: it asks no database what Public may do).
    _align(sm, public, set(), report)

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


def _create_permissions(appbuilder, report: SyncReport) -> None:
    """Every resource's permissions and every menu entry's menu_access,
    granted to Admin; what no view or menu entry uses any more is dropped.

    FAB's add_permissions(update_perms=True) and security_cleanup() do this
    too, but warned about 16 times at every start (issue 15):
    - add_permissions takes one view at a time, and a screen and its API
      share one resource, each with part of its permissions (the API deletes
      nothing, the audit's restore screen only restores): the second view
      tried to delete what the first had just added, and was refused because
      Admin holds it.  Here a resource gets the union of its views'
      permissions (and menu_access when a menu entry has its name).
    - security_cleanup ends with security_converge, which moves grants from
      class-named permissions (PatientView.can_list) to those a view names
      itself: it then deletes the class names, which never existed here
      (CareTrail named its permissions from the start, and the role matrix
      grants them), with a warning each.  Nothing to converge: skipped.
    """
    sm = appbuilder.sm
    permissions_of: dict[str, set[str]] = defaultdict(set)
    for view in appbuilder.baseviews:
        permissions_of[view.class_permission_name].update(view.base_permissions or ())
    for category in appbuilder.menu.get_list():
        for name in (category.name, *(item.name for item in category.childs)):
            if name != "-":  # a separator
                permissions_of[name].add(MENU)
    for view_menu in sm.get_all_view_menu():
        wanted = permissions_of.get(view_menu.name, set())
        for pvm in sm.find_permissions_view_menu(view_menu):
            if pvm.permission is None or pvm.permission.name not in wanted:
                _drop(sm, pvm, report)
        if not wanted:
            sm.session.delete(view_menu)
    used = {pvm.permission_id for pvm in sm.session.query(sm.permissionview_model)}
    for permission in sm.session.query(sm.permission_model):
        if permission.id not in used:
            sm.session.delete(permission)
    sm.session.commit()
    for name, permissions in sorted(permissions_of.items()):
        sm.add_permissions_view(sorted(permissions), name)


def _drop(sm, pvm, report: SyncReport) -> None:
    for role in sm.get_all_roles():
        if pvm in role.permissions:
            report.removed.append(f"{role.name}: {pvm}")
            role.permissions.remove(pvm)
    sm.session.delete(pvm)
    sm.session.flush()


def _align(sm, role, wanted: set, report: SyncReport) -> None:
    # Changed in place and committed once by the caller, so a failed sync
    # leaves every role as it was (FAB's add_permission_role commits each grant).
    current = set(role.permissions)
    report.added += [f"{role.name}: {pvm}" for pvm in wanted - current]
    report.removed += [f"{role.name}: {pvm}" for pvm in current - wanted]
    role.permissions = sorted(wanted, key=lambda pvm: pvm.id)
