"""Who may do what, asked by the domains' rules: the role matrix
(app/security/roles.py) read in Python, so a rule refuses the same way
whichever door called it (screen, API, CLI, job), with no query.

FAB's own decorators (@has_access, @protect) still guard each route with
the permissions `roles sync` wrote from the same matrix; this is the check
that travels with the rule.
"""

from app.core.actor import Actor
from app.core.errors import Forbidden
from app.security.permissions import DELETE, READ, RESTORE, WRITE
from app.security.roles import ADMIN_ROLE, ROLE_MATRIX

__all__ = ["DELETE", "READ", "RESTORE", "WRITE", "may", "require"]


def may(actor: Actor, permission: str, resource: str) -> bool:
    if actor.is_system or ADMIN_ROLE in actor.roles:
        return True
    return any(permission in ROLE_MATRIX.get(role, {}).get(resource, ()) for role in actor.roles)


def require(actor: Actor, permission: str, resource: str, message: str | None = None) -> None:
    """Forbidden (403) unless the actor's roles grant `permission` on `resource`."""
    if not may(actor, permission, resource):
        raise Forbidden(message or "Your role may not do this.")
