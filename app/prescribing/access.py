"""Whose prescriptions a user may write.

The role matrix gives Doctors (and Admins) the write permission on
prescriptions; this narrows it: a doctor writes, cancels and corrects only
the prescriptions they are the prescriber of, and may renew anyone's (the
renewal is theirs).  Signing is personal: only the prescriber's own login
signs, administrators included (an admin prepares a draft for a doctor, who
signs it).  The prescribing rules ask here; screens ask too, to offer only
the buttons that will work.

Acting for Dr X under a delegation (app/security/delegation.py), Dr X is
"own doctor": the grantee prepares Dr X's drafts and renewals in Dr X's
name, and never signs them (signing stays Dr X's own act).
"""

import sqlalchemy as sa
from flask import g, has_request_context

from app.core.actor import Actor
from app.prescribing.models import Prescription
from app.records.models import Staff
from app.security.policy import WRITE, may
from app.security.roles import ADMIN_ROLE, PRESCRIPTIONS


def is_admin(actor: Actor) -> bool:
    return ADMIN_ROLE in actor.roles


# This request's answers of own_doctor_id, by login: a page asks it for each
# button it offers (the banner's "Prescribe", a prescription's "Sign"...).
OWN_DOCTOR_IDS = "ct_own_doctor_ids"


def own_doctor_query(actor: Actor, user_id=None) -> sa.Select | None:
    """The active doctor linked to this login (or to the doctor acted for
    under a delegation): a query of one value, or None for no login.
    `user_id`: that login as SQL (a parameter of a statement built once for
    every user, the patient's page), else the actor's own value."""
    if actor.own_records_user_id is None:
        return None
    login = user_id if user_id is not None else actor.own_records_user_id
    return sa.select(Staff.id).where(Staff.user_id == login, Staff.profession == "doctor", Staff.is_active)


def own_doctor_id(session, actor: Actor) -> int | None:
    """The active doctor linked to this login, if any: read once per request."""
    query = own_doctor_query(actor)
    if query is None:
        return None
    known = g.setdefault(OWN_DOCTOR_IDS, {}) if has_request_context() else {}
    if actor.own_records_user_id not in known:
        known[actor.own_records_user_id] = session.scalar(query)
    return known[actor.own_records_user_id]


def remember_own_doctor_id(actor: Actor, staff_id: int | None) -> None:
    """own_doctor_id's answer read along with something else (the patient's page)."""
    if has_request_context() and actor.own_records_user_id is not None:
        g.setdefault(OWN_DOCTOR_IDS, {})[actor.own_records_user_id] = staff_id


def may_write(session, actor: Actor, prescription: Prescription) -> bool:
    """Edit a draft, cancel, correct: an admin, or the prescriber."""
    if not may(actor, WRITE, PRESCRIPTIONS):
        return False
    return is_admin(actor) or own_doctor_id(session, actor) == prescription.prescriber_id


def may_sign(session, actor: Actor, prescription: Prescription) -> bool:
    """Only the prescriber, in person: never on someone's behalf."""
    if actor.on_behalf_of is not None:
        return False
    return may(actor, WRITE, PRESCRIPTIONS) and own_doctor_id(session, actor) == prescription.prescriber_id


def may_renew(session, actor: Actor) -> bool:
    """A doctor renews anyone's prescription (the renewal is theirs); an admin prepares one."""
    return may(actor, WRITE, PRESCRIPTIONS) and (is_admin(actor) or own_doctor_id(session, actor) is not None)


def may_choose_prescriber(actor: Actor) -> bool:
    """An admin names the prescriber of a draft; a doctor prescribes in their own name."""
    return is_admin(actor)


def prescriber_for(session, actor: Actor, requested: int | None, *, default: int | None = None) -> int | None:
    """Who prescribes a new prescription: a doctor always themselves, an
    admin whom they name (or `default`, e.g. the renewed prescription's)."""
    own = own_doctor_id(session, actor)
    if own is not None and not is_admin(actor):
        return own
    return requested or own or default
