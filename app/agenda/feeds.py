"""A doctor's agenda in a calendar app: iCalendar feeds at secret, revocable URLs.

The URL carries a random token (secrets.token_urlsafe(32), 256 bits); only
its SHA-256 is stored (calendar_feeds.token_hash), so neither the database
nor its audit log gives the address away.  The full URL is shown once, when
it is created; "regenerate" revokes the previous one; a revoked or unknown
token finds nothing (the screen answers 404).

PRIVACY: the feed carries PATIENT NAMES (and the type of appointment): it is
the doctor's own agenda, readable by whoever holds the URL, without a login.
It is private to the doctor; revoke it when a phone is lost.
"""

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

import icalendar
import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.agenda.access import check_agenda_writer
from app.agenda.models import INACTIVE_STATUSES, Appointment, CalendarFeed
from app.core.actor import Actor
from app.core.errors import NotFound
from app.core.extensions import db
from app.core.rules import run_and_commit
from app.records.models import Staff
from app.security.policy import WRITE, require
from app.security.roles import APPOINTMENTS

FEED_PAST = timedelta(days=30)
FEED_FUTURE = timedelta(days=365)
PRODID = "-//CareTrail//Agenda//EN"
UID_DOMAIN = "caretrail"


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def active_feeds(doctor_ids: list[int]) -> dict[int, CalendarFeed]:
    """The doctors' working feeds, by doctor, in one statement."""
    feeds = db.session.scalars(
        sa.select(CalendarFeed).where(CalendarFeed.doctor_id.in_(doctor_ids), CalendarFeed.revoked_at.is_(None))
    )
    return {feed.doctor_id: feed for feed in feeds}


def _feed_owner(session, actor: Actor, doctor_id: int) -> Staff:
    """The doctor whose feed the actor may manage (their own, or anyone's
    for a secretary or an admin)."""
    require(actor, WRITE, APPOINTMENTS)
    doctor = session.get(Staff, doctor_id)
    if doctor is None:
        raise NotFound(f"No doctor {doctor_id}.")
    check_agenda_writer(session, actor, doctor_id)
    return doctor


def create_feed(session, actor: Actor, doctor_id: int) -> tuple[Staff, str]:
    """A new feed for the doctor, revoking the current one in the same
    transaction; returns the token, which is not kept anywhere."""
    doctor = _feed_owner(session, actor, doctor_id)
    token = secrets.token_urlsafe(32)

    def change():
        _revoke(session, doctor_id)
        session.add(CalendarFeed(doctor_id=doctor_id, token_hash=hash_token(token)))

    run_and_commit(session, change)
    return doctor, token


def revoke_feed(session, actor: Actor, doctor_id: int) -> tuple[Staff, bool]:
    """Revoke the doctor's feed; False when there was none."""
    doctor = _feed_owner(session, actor, doctor_id)
    return doctor, run_and_commit(session, lambda: _revoke(session, doctor_id) > 0)


def _revoke(session, doctor_id: int) -> int:
    return session.execute(
        sa.update(CalendarFeed)
        .where(CalendarFeed.doctor_id == doctor_id, CalendarFeed.revoked_at.is_(None))
        .values(revoked_at=sa.func.now())
    ).rowcount


def doctor_of_token(token: str) -> Staff | None:
    """The doctor whose active feed this token opens, else None."""
    if not token or len(token) > 100:
        return None
    return db.session.scalar(
        sa.select(Staff)
        .join(CalendarFeed, CalendarFeed.doctor_id == Staff.id)
        .where(CalendarFeed.token_hash == hash_token(token), CalendarFeed.revoked_at.is_(None))
    )


def doctor_calendar(doctor: Staff, *, now: datetime | None = None) -> bytes:
    """The doctor's appointments from FEED_PAST ago to FEED_FUTURE ahead;
    those that no longer take place (cancelled, postponed, no-show) are
    marked STATUS:CANCELLED, so calendar apps drop them."""
    now = now or datetime.now(UTC)
    appointments = db.session.scalars(
        sa.select(Appointment)
        .where(
            Appointment.doctor_id == doctor.id,
            Appointment.starts_at < now + FEED_FUTURE,
            Appointment.ends_at > now - FEED_PAST,
        )
        .options(selectinload(Appointment.patient), selectinload(Appointment.type), selectinload(Appointment.room))
        .order_by(Appointment.starts_at, Appointment.id)
    )
    calendar = _calendar(f"CareTrail - {doctor.display_name}")
    calendar.add("refresh-interval", timedelta(minutes=15), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT15M")
    for appointment in appointments:
        calendar.add_component(appointment_event(appointment))
    return calendar.to_ical()


def appointment_calendar(appointment: Appointment) -> bytes:
    """One appointment as an .ics file (same UID as in the doctor's feed)."""
    calendar = _calendar(f"CareTrail - appointment {appointment.id}")
    calendar.add_component(appointment_event(appointment))
    return calendar.to_ical()


def appointment_uid(appointment: Appointment) -> str:
    return f"appointment-{appointment.id}@{UID_DOMAIN}"


def appointment_event(appointment: Appointment) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", appointment_uid(appointment))
    event.add("dtstamp", _utc(appointment.updated_at or datetime.now(UTC)))
    event.add("last-modified", _utc(appointment.updated_at or datetime.now(UTC)))
    event.add("dtstart", _utc(appointment.starts_at))
    event.add("dtend", _utc(appointment.ends_at))
    event.add("summary", f"{appointment.patient.full_name} - {appointment.type.name}")
    if appointment.room is not None:
        event.add("location", f"{appointment.room.code} - {appointment.room.name}")
    event.add("status", "CANCELLED" if appointment.status in INACTIVE_STATUSES else "CONFIRMED")
    event.add("description", f"{appointment.type.name}, status: {appointment.status.replace('_', '-')}")
    return event


def _calendar(name: str) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    return calendar


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
