"""Whose agenda a user may change.

The role matrix gives Doctors and Radiologists the write permission on
appointments, hours and absences; this narrows it to their own agenda (the
staff row linked to their login).  Secretaries and admins manage every
agenda.  The agenda's rules (app/agenda/rules.py) ask here before every
write, so every door (screens, calendar, API, CLI) refuses the same way;
screens ask too, to offer only the buttons that will work.
"""

import functools
from collections.abc import Callable

import sqlalchemy as sa

from app.core.actor import Actor
from app.core.errors import Forbidden
from app.records.models import Staff
from app.security.roles import ADMIN_ROLE

MANAGES_EVERY_AGENDA = {ADMIN_ROLE, "Secretary"}
MANAGES_OWN_AGENDA = {"Doctor", "Radiologist"}
NOT_YOUR_AGENDA = "You may only change your own agenda."


def staff_id_of(session, actor: Actor) -> int | None:
    """The staff member linked to this login, if any; while acting for Dr X
    under a delegation, Dr X's (their agenda is the one being managed)."""
    if actor.own_records_user_id is None:
        return None
    return session.scalar(sa.select(Staff.id).where(Staff.user_id == actor.own_records_user_id))


def manages_every_agenda(actor: Actor) -> bool:
    return actor.is_system or bool(actor.roles & MANAGES_EVERY_AGENDA)


def may_write_agenda(session, actor: Actor, doctor_id: int | None) -> bool:
    return _may_write(actor, doctor_id, lambda: staff_id_of(session, actor))


def _may_write(actor: Actor, doctor_id: int | None, own_staff_id: Callable[[], int | None]) -> bool:
    if manages_every_agenda(actor):
        return True
    if actor.roles & MANAGES_OWN_AGENDA and doctor_id is not None:
        return own_staff_id() == doctor_id
    return False


def check_agenda_writer(session, actor: Actor, *doctor_ids: int | None) -> None:
    """Forbidden unless the actor may write each of these doctors' agendas
    (a move between two doctors touches both)."""
    for doctor_id in dict.fromkeys(doctor_ids):
        if not may_write_agenda(session, actor, doctor_id):
            raise Forbidden(NOT_YOUR_AGENDA)


def agenda_writer(session, actor: Actor):
    """may_write_agenda() for one actor, as a function of the doctor: what a
    screen asks to offer only the buttons that will work (the calendar's
    editable events); the rules still decide at the write.  The user's staff
    link is read once, when first needed: the calendar asks for each of the
    week's doctors (issue 22)."""
    own_staff_id = functools.cache(lambda: staff_id_of(session, actor))
    return lambda doctor_id: _may_write(actor, doctor_id, own_staff_id)
