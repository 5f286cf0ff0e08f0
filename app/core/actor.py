"""Who is acting: the signed-in user of a request, the CLI's --as user, or
the system (a command or job run by the operator, with no one named).

Rules take an Actor rather than FAB's user object: the same rule serves a
screen, the API, the CLI and a job, and never needs a request to exist.
"""

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from flask import has_request_context

from app.core.request_locals import request_g, unproxied


@dataclass(frozen=True)
class Actor:
    username: str
    user_id: int | None = None
    roles: frozenset[str] = frozenset()
    # The operator behind a CLI command or a job with no --as: every rule's
    # permission check lets it through (it has the server already).
    is_system: bool = False
    # The username of the person this actor acts for under a delegation
    # ("act for Dr X"): the audit and the journal record it beside the actor.
    on_behalf_of: str | None = None
    # That person's user id: "my agenda", "my prescriptions" are theirs
    # while acting for them (app/agenda/access.py, app/prescribing/access.py).
    acting_for_user_id: int | None = None
    # The break-the-glass grant this actor reads one patient's record under
    # (app/security/glass.py): the journal records it with each read.
    break_glass_id: int | None = None

    @property
    def own_records_user_id(self) -> int | None:
        """Whose agenda and prescriptions count as this actor's own: the
        person acted for under a delegation, else the actor."""
        return self.acting_for_user_id if self.acting_for_user_id is not None else self.user_id

    @classmethod
    def of(cls, user, powers: "DelegatedPowers | None" = None, role_names: frozenset[str] | None = None) -> "Actor":
        """The Actor behind FAB's user object, with the delegations in force
        for it (app/security/delegation.py computes them once per request);
        `role_names`: the user's roles as the statement that loaded them
        read them, else read from the user (role_names_of)."""
        # The break-the-glass reading is lent for one patient's requests, never
        # held as a role, nor granted by a delegation.
        from app.security.roles import BREAK_GLASS_ROLE

        roles = (role_names if role_names is not None else role_names_of(user)) - {BREAK_GLASS_ROLE}
        if powers is None or powers.user_id != user.id:
            return cls(user.username, user.id, roles)
        return cls(
            user.username,
            user.id,
            roles | (powers.roles - {BREAK_GLASS_ROLE}),
            on_behalf_of=powers.on_behalf_of,
            acting_for_user_id=powers.acting_for_user_id,
        )


def role_names_of(user) -> frozenset[str]:
    """The names of a user's roles: their own, and those of their groups
    (FAB's groups grant their roles as a user's own roles do: its menus,
    its permission checks)."""
    own = {role.name for role in user.roles or ()}
    return frozenset(own.union(role.name for group in user.groups or () for role in group.roles or ()))


@dataclass(frozen=True)
class DelegatedPowers:
    """What a user's delegations in force add for one request (or one
    command): the roles granted, and whom the user acts for, if they chose
    to.  `may_act_for` lists whom they could act for right now."""

    user_id: int
    roles: frozenset[str] = frozenset()
    on_behalf_of: str | None = None
    acting_for_user_id: int | None = None
    may_act_for: tuple[str, ...] = ()


# Where the request's delegation layer keeps its DelegatedPowers (g.<this>).
DELEGATED_POWERS = "caretrail_delegated_powers"
# Where the security layer keeps (user id, role names) of the request's user,
# as the statement that loaded the user read them (g.<this>): no role is
# loaded as an object on a page (app/security/manager.py).
USER_ROLE_NAMES = "caretrail_user_role_names"


SYSTEM = Actor("system", is_system=True)
# The demo loader (`make run`, `flask seed-demo`): the records it creates are
# attributed to it, and the alert engine does not take its loading for
# activity (hundreds of "new patient" alerts on a fresh start).  A user who
# happened to be called so would still be alerted on: their entries carry
# their user id, the loader's none.
DEMO_LOADER = Actor("demo-loader", is_system=True)
# The start-up steps (role sync, first administrator) when no user is named:
# the operator's own bookkeeping, not a person at work off-hours.
SETUP = Actor("setup", is_system=True)
# The background worker's jobs (app/jobs).
WORKER = Actor("worker", is_system=True)
ANONYMOUS = Actor("anonymous")

_acting: ContextVar[Actor | None] = ContextVar("caretrail_actor", default=None)


@contextmanager
def acting_as(actor: Actor):
    """Run the block as this actor (CLI --as, jobs): rules and the audit both see it."""
    token = _acting.set(actor)
    try:
        yield actor
    finally:
        _acting.reset(token)


def explicit_actor() -> Actor | None:
    """The actor set by acting_as(), if any."""
    return _acting.get()


def current_actor() -> Actor:
    """acting_as()'s actor, else the request's signed-in user, else SYSTEM
    outside a request (anonymous inside one)."""
    actor = _acting.get()
    if actor is not None:
        return actor
    if not has_request_context():
        return SYSTEM
    request_globals = request_g()  # not the proxy: rules and templates ask dozens of times a page
    user = unproxied(request_globals.get("user"))
    if user is None or not getattr(user, "is_authenticated", False) or getattr(user, "id", None) is None:
        return ANONYMOUS
    cached = request_globals.get("caretrail_actor")
    if cached is None or cached.user_id != user.id:
        loaded = request_globals.get(USER_ROLE_NAMES)
        role_names = loaded[1] if loaded is not None and loaded[0] == user.id else None
        cached = request_globals.caretrail_actor = Actor.of(user, request_globals.get(DELEGATED_POWERS), role_names)
    return cached
