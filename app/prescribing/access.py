"""Whose prescriptions a user may write.

The role matrix gives Doctors (and Admins) the write permission on
prescriptions; this narrows it: a doctor writes, cancels and corrects only
the prescriptions they are the prescriber of, and may renew anyone's (the
renewal is theirs).  Signing is personal: only the prescriber's own login
signs, administrators included (an admin prepares a draft for a doctor, who
signs it).  Screens and the API both ask here.
"""

import sqlalchemy as sa

from app.core.extensions import db
from app.prescribing.models import Prescription
from app.records.models import Staff
from app.security.roles import ADMIN_ROLE


def role_names(user) -> set[str]:
    return {role.name for role in getattr(user, "roles", None) or ()}


def is_admin(user) -> bool:
    return ADMIN_ROLE in role_names(user)


def own_doctor_id(user) -> int | None:
    """The active doctor linked to this login, if any."""
    if user is None or getattr(user, "id", None) is None:
        return None
    return db.session.scalar(
        sa.select(Staff.id).where(Staff.user_id == user.id, Staff.profession == "doctor", Staff.is_active)
    )


def may_write(user, prescription: Prescription) -> bool:
    """Edit a draft, cancel, correct: an admin, or the prescriber."""
    return is_admin(user) or own_doctor_id(user) == prescription.prescriber_id


def may_sign(user, prescription: Prescription) -> bool:
    return own_doctor_id(user) == prescription.prescriber_id


def prescriber_for(user, requested: int | None, *, default: int | None = None) -> int | None:
    """Who prescribes a new prescription: a doctor always themselves, an
    admin whom they name (or `default`, e.g. the renewed prescription's)."""
    own = own_doctor_id(user)
    if own is not None and not is_admin(user):
        return own
    return requested or own or default
