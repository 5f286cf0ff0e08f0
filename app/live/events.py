"""What a notification means to one user: the domain's rules decide.

The database says only "alert 42" or "appointment 7 booked"; here each open
page's user gets an event if, and only if, the rules let them see it:
alerts to those who may read alerts (with the bell's new count),
appointments booked or arrivals to the doctor whose agenda it is; an
arrival or a patient called in, quietly (no toast: the page refreshes its
waiting room), to the reception, who manages every agenda.
Nothing else leaves the server.
"""

import sqlalchemy as sa
from flask_babel import gettext

from app.agenda.access import manages_every_agenda, staff_id_of
from app.agenda.models import Appointment
from app.agenda.rules import patient_label
from app.alerts.models import Alert
from app.alerts.rules import unread_count
from app.alerts.wording import alert_summary
from app.core.actor import Actor
from app.core.formatting import format_datetime
from app.security.policy import READ, may
from app.security.roles import ALERTS, APPOINTMENTS, PATIENTS


def bell(session, actor: Actor) -> dict | None:
    count = unread_count(session, actor)
    return None if count is None else {"count": count}


def event_for(session, actor: Actor, news: dict) -> dict | None:
    """The event this user may see for this notification, or None."""
    kind = news["kind"]
    if kind == "alert":
        return _alert_event(session, actor, news["id"])
    if kind in ("appointment_booked", "patient_arrived", "patient_called"):
        return _appointment_event(session, actor, news["id"], kind)
    return None


def _alert_event(session, actor: Actor, alert_id: int) -> dict | None:
    if actor.is_system or not may(actor, READ, ALERTS):
        return None
    alert = session.get(Alert, alert_id)
    if alert is None:
        return None
    return {
        "type": "alert",
        "id": alert.id,
        "severity": alert.severity,
        "title": gettext("New alert"),
        "text": alert_summary(alert.summary),  # stored as written, read in the user's language
        "url": "/alerts/?status=new",
        "bell": unread_count(session, actor),
    }


def _appointment_event(session, actor: Actor, appointment_id: int, kind: str) -> dict | None:
    if actor.is_system or not may(actor, READ, APPOINTMENTS):
        return None
    quiet = {"type": kind, "id": appointment_id, "quiet": True, "refresh": "home"}
    reception = manages_every_agenda(actor)
    my_staff_id = staff_id_of(session, actor)
    if my_staff_id is None:
        return quiet if reception and kind != "appointment_booked" else None
    appointment = session.execute(
        sa.select(Appointment).where(Appointment.id == appointment_id, Appointment.doctor_id == my_staff_id)
    ).scalar_one_or_none()
    if appointment is None:
        return quiet if reception and kind != "appointment_booked" else None
    if kind == "patient_called":
        return quiet  # the doctor's own "my patients waiting" follows; no toast for a call
    who = patient_label(appointment.patient) if may(actor, READ, PATIENTS) else ""
    when = format_datetime(appointment.starts_at)
    if kind == "patient_arrived":
        title = gettext("Patient arrived")
        text = gettext("%(patient)s has arrived (appointment at %(when)s).", patient=who, when=when)
    else:
        title = gettext("Appointment booked for you")
        text = gettext("%(patient)s, %(when)s.", patient=who, when=when)
    return {
        "type": kind,
        "id": appointment.id,
        "title": title,
        "text": text,
        "url": f"/appointments/show/{appointment.id}",
        "refresh": "home",
    }
