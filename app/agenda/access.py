"""Whose agenda a user may change.

The role matrix gives Doctors and Radiologists the write permission on
appointments, hours and absences; this narrows it to their own agenda (the
staff row linked to their login).  Secretaries and admins manage every
agenda.  Screens, the calendar and the API all ask here before a write.
"""

import sqlalchemy as sa

from app.core.extensions import db
from app.records.models import Staff
from app.security.roles import ADMIN_ROLE

MANAGES_EVERY_AGENDA = {ADMIN_ROLE, "Secretary"}
MANAGES_OWN_AGENDA = {"Doctor", "Radiologist"}


def staff_id_of(user) -> int | None:
    """The staff member linked to this login, if any."""
    if user is None or getattr(user, "id", None) is None:
        return None
    return db.session.scalar(sa.select(Staff.id).where(Staff.user_id == user.id))


def may_write_agenda(user, doctor_id: int | None) -> bool:
    roles = {role.name for role in getattr(user, "roles", None) or ()}
    if roles & MANAGES_EVERY_AGENDA:
        return True
    if roles & MANAGES_OWN_AGENDA and doctor_id is not None:
        return staff_id_of(user) == doctor_id
    return False
