"""Who may do what: the role matrix (app/security/roles.py) read in Python.

The domains' rules ask `may()` / `require()`, so a rule refuses the same way
whichever door called it (screen, API, CLI, job); FAB's own route and menu
checks (@has_access, @protect, the menu) ask `role_may()` through the
security manager.  Both read the pairs `roles sync` writes to the database
from the same matrix (`wanted_permissions`), so neither needs a query: FAB
alone ran one per menu entry and button (46 on the patient list).
"""

import functools
from collections.abc import Iterable

from app.core.actor import Actor
from app.core.errors import Forbidden
from app.security.permissions import DELETE, MENU, READ, RESTORE, WRITE
from app.security.roles import ADMIN_ROLE, MENU_CATEGORIES, MENU_ITEMS, ROLE_MATRIX, SELF_SERVICE

__all__ = ["DELETE", "READ", "RESTORE", "WRITE", "may", "require", "role_may", "wanted_permissions"]


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


@functools.cache
def _role_pairs(role: str) -> frozenset[tuple[str, str]]:
    return frozenset(wanted_permissions(ROLE_MATRIX.get(role, {})))


def knows_roles(roles: Iterable[str]) -> bool:
    """Whether the matrix describes every one of these roles (a role made by
    hand in the screens is not, until `roles sync` takes its permissions away)."""
    return all(role == ADMIN_ROLE or role in ROLE_MATRIX for role in roles)


def role_may(roles: Iterable[str], permission: str, view_menu: str) -> bool:
    """What FAB would find in the database after `roles sync`: Admin holds everything."""
    roles = frozenset(roles)
    return ADMIN_ROLE in roles or any((permission, view_menu) in _role_pairs(role) for role in roles)


def may(actor: Actor, permission: str, resource: str) -> bool:
    return actor.is_system or role_may(actor.roles, permission, resource)


def require(actor: Actor, permission: str, resource: str, message: str | None = None) -> None:
    """Forbidden (403) unless the actor's roles grant `permission` on `resource`."""
    if not may(actor, permission, resource):
        raise Forbidden(message or "Your role may not do this.")
