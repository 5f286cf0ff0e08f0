"""Whose consultations a user may write, and who reads what.

The role matrix (app/security/roles.py, CLINICAL_GRANTS) gives the
permissions per resource; this narrows writing a consultation to its
clinician (an administrator prepares a draft for a doctor, who signs it:
signing is personal, like a prescription's).  An addendum is written by any
clinician allowed to write consultations, in their own name.  The rules ask
here; screens ask too, to offer only the buttons that will work.
"""

import sqlalchemy as sa

from app.core.actor import Actor
from app.records.models import Staff
from app.security.policy import READ, WRITE, may
from app.security.roles import ADMIN_ROLE, CONSULTATIONS, OBSERVATIONS, PROBLEMS

CLINICAL_RESOURCES = (CONSULTATIONS, PROBLEMS, OBSERVATIONS)


def is_admin(actor: Actor) -> bool:
    return actor.is_system or ADMIN_ROLE in actor.roles


def own_staff_id(session, actor: Actor, profession: str | None = None) -> int | None:
    """The active staff member linked to this login (of this profession when given)."""
    if actor.user_id is None:
        return None
    query = sa.select(Staff.id).where(Staff.user_id == actor.user_id, Staff.is_active)
    if profession:
        query = query.where(Staff.profession == profession)
    return session.scalar(query)


def may_read_any(actor: Actor) -> bool:
    """Whether the actor sees anything of the clinical record (the patient page's section, the PDF's summary)."""
    return any(may(actor, READ, resource) for resource in CLINICAL_RESOURCES)


def may_write_consultation(session, actor: Actor, consultation) -> bool:
    if not may(actor, WRITE, CONSULTATIONS):
        return False
    return is_admin(actor) or own_staff_id(session, actor) == consultation.clinician_id


def may_sign(session, actor: Actor, consultation) -> bool:
    return may(actor, WRITE, CONSULTATIONS) and own_staff_id(session, actor) == consultation.clinician_id


def may_add_addendum(session, actor: Actor) -> bool:
    return may(actor, WRITE, CONSULTATIONS) and own_staff_id(session, actor) is not None
