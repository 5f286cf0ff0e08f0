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
from app.security.permissions import DELETE, HISTORY, MENU, READ, RESTORE, WRITE
from app.security.roles import (
    ADMIN_ROLE,
    BREAK_GLASS_FIELDS,
    BREAK_GLASS_GRANTS,
    BREAK_GLASS_ROLE,
    FIELD_GROUPS,
    FIELD_MATRIX,
    MENU_CATEGORIES,
    MENU_ITEMS,
    RECORD_KEEPING_FIELDS,
    ROLE_MATRIX,
    SELF_SERVICE,
)

__all__ = [
    "DELETE",
    "HISTORY",
    "READ",
    "RESTORE",
    "WRITE",
    "may",
    "readable_fields",
    "require",
    "require_writable",
    "role_may",
    "wanted_permissions",
    "writable_fields",
]


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


def _matrix_row(role: str) -> dict[str, tuple[str, ...]]:
    """A role's row; the break-the-glass reading is added to an actor for
    one patient's requests only (app/security/glass.py), never held."""
    return BREAK_GLASS_GRANTS if role == BREAK_GLASS_ROLE else ROLE_MATRIX.get(role, {})


def _field_row(resource: str, role: str) -> dict[str, tuple[str, ...]]:
    if role == BREAK_GLASS_ROLE:
        return BREAK_GLASS_FIELDS.get(resource, {})
    return FIELD_MATRIX[resource].get(role, {})


@functools.cache
def _role_pairs(role: str) -> frozenset[tuple[str, str]]:
    return frozenset(wanted_permissions(_matrix_row(role)))


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


def _all_fields(resource: str) -> frozenset[str]:
    return frozenset(field for fields in FIELD_GROUPS[resource].values() for field in fields)


def grouped_fields(resource: str) -> frozenset[str]:
    """Every field of `resource` that belongs to a group (what the matrix narrows)."""
    return _all_fields(resource)


@functools.cache
def _role_fields(roles: frozenset[str], resource: str, action: str) -> frozenset[str]:
    if ADMIN_ROLE in roles:
        return _all_fields(resource)
    fields: set[str] = set()
    for role in roles:
        for group, actions in _field_row(resource, role).items():
            if action in actions:
                fields.update(FIELD_GROUPS[resource][group])
    return frozenset(fields)


def field_groups_of(actor: Actor, resource: str, action: str = READ) -> list[str]:
    """The groups of `resource`'s fields the actor may read (or write), in the matrix's order."""
    if actor.is_system:
        return list(FIELD_GROUPS[resource])
    fields = _role_fields(actor.roles, resource, action)
    return [group for group, names in FIELD_GROUPS[resource].items() if set(names) <= fields]


def readable_fields(actor: Actor, resource: str) -> frozenset[str]:
    """The fields of `resource` the actor may see, bookkeeping included; a
    resource without field groups is read whole."""
    if resource not in FIELD_GROUPS:
        raise KeyError(resource)
    if actor.is_system:
        return _all_fields(resource) | frozenset(RECORD_KEEPING_FIELDS)
    return _role_fields(actor.roles, resource, READ) | frozenset(RECORD_KEEPING_FIELDS)


def writable_fields(actor: Actor, resource: str) -> frozenset[str]:
    """The fields of `resource` the actor may set (on top of WRITE on the resource)."""
    if actor.is_system:
        return _all_fields(resource)
    return _role_fields(actor.roles, resource, WRITE)


def require_writable(actor: Actor, resource: str, names: Iterable[str], labels: dict[str, str] | None = None) -> None:
    """Forbidden (403) on the first of `names` the actor may not write,
    whether or not it would change the value (a refusal that depended on
    the value would tell what the field holds)."""
    allowed = writable_fields(actor, resource)
    known = _all_fields(resource)
    for name in sorted(names):
        if name in known and name not in allowed:
            label = (labels or {}).get(name, name.replace("_", " "))
            raise Forbidden(f"Your role may not change this field ({label}).", field=name)


def require_readable(actor: Actor, resource: str, names: Iterable[str]) -> None:
    """Forbidden (403) on a filter or an order on a field the actor may not
    read (filtering on it would tell what it holds)."""
    allowed = readable_fields(actor, resource)
    for name in sorted(names):
        if name in _all_fields(resource) and name not in allowed:
            raise Forbidden("Your role may not search on this field.", field=name)
