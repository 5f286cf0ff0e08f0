"""What each role's home shows (the page after login, and its JSON:
GET /api/v1/home/<kind>).  Each figure is read under its domain's own
permission, so a home never shows what its role may not read elsewhere.

- secretary: the next arrivals to check in, the waiting room (arrived and
  waiting since), each doctor's count of today's appointments with the next
  ones, and of tomorrow's; cancellations to rebook;
- doctor: my agenda of the day, my patients waiting, renewals due, my
  unsigned drafts, allergy alerts on my patients of the day;
- nurse: the patients here and the next expected, with their allergy flag,
  and the care tasks past their time that nobody checked off (app/care's
  worklist);
- oversight (administrators and auditors): alerts waiting, audit activity
  today (changes per hour, top users), background jobs that failed.
"""

from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app, url_for
from flask_appbuilder.security.sqla.models import User
from flask_babel import gettext
from sqlalchemy.orm import Bundle

from app.agenda.access import manages_every_agenda, staff_id_of
from app.agenda.models import INACTIVE_STATUSES, STATUSES, Appointment, status_label
from app.alerts.models import Alert
from app.care.rules import overdue_care
from app.core.actor import Actor
from app.core.errors import Forbidden, NotFound
from app.core.formatting import format_date, format_time_of_day
from app.core.list_rows import url_with_id
from app.core.timezone import local_midnight, now, today
from app.home.audit_activity import ACTIVITY_COUNTS, audit_today
from app.prescribing.models import PatientAllergy, Prescription
from app.prescribing.rules import renewals_due
from app.records.models import Patient, Staff
from app.security.policy import READ, WRITE, may, readable_fields
from app.security.roles import ADMIN_ROLE, ALERTS, APPOINTMENTS, AUDIT, CARE_TASKS, JOBS, PATIENTS, PRESCRIPTIONS

HOME_KINDS = ("secretary", "doctor", "nurse", "oversight")
SHOWN = 10
WAITING = ("arrived",)
TO_CHECK_IN = ("scheduled", "confirmed")


def home_kind(actor: Actor) -> str | None:
    """Which home a user lands on (the first of their roles that has one)."""
    roles = actor.roles
    if ADMIN_ROLE in roles or "Auditor" in roles:
        return "oversight"
    if roles & {"Doctor", "Radiologist"}:
        return "doctor"
    if "Secretary" in roles:
        return "secretary"
    if "Nurse" in roles:
        return "nurse"
    return None


def home_figures(session, actor: Actor, kind: str) -> dict:
    if kind not in HOME_KINDS:
        raise NotFound("There is no such home: secretary, doctor, nurse or oversight.")
    figures = {"secretary": secretary_home, "doctor": doctor_home, "nurse": nurse_home, "oversight": oversight_home}[
        kind
    ](session, actor)
    return {"kind": kind, "generated_at": now().isoformat(), **figures}


# --- Secretary


def secretary_home(session, actor: Actor) -> dict:
    """Bounded whatever the hospital's size: at 50 doctors a day holds some
    1,200 appointments, and listing them all (twice, with tomorrow's) made
    this page cost 175 times the login page (bench/request_instructions.py).
    The reception sees who is due now and what comes next for each doctor;
    the whole day of a doctor is one link away (its printable list)."""
    if not (may(actor, READ, APPOINTMENTS) and manages_every_agenda(actor)):
        raise Forbidden("This home is the reception's: your role does not manage every agenda.")
    day, tomorrow = today(), today() + timedelta(days=1)
    since = now() - LATE_ARRIVALS
    may_write = may(actor, WRITE, APPOINTMENTS)
    due, due_count = _due_to_check_in(session, day, since)
    return {
        "days": [_day_by_doctor(session, day, since=since), _day_by_doctor(session, tomorrow)],
        "to_check_in": [_check_in_row(a, p, d, may_check_in=may_write) for a, p, d in due],
        "to_check_in_count": due_count,
        "day_url": url_for("CalendarDayView.index", date=day.isoformat()),
        "waiting_room": _waiting_room(session, _arrived_today(session, day), may_call=may_write),
        "to_rebook": _to_rebook(session),
        "status_counts": _day_status_counts(session, day),
        "status_labels": _status_labels(),
    }


# Who may still be checked in: up to an hour late (later is a no-show the
# day's list shows); NEXT_PER_DOCTOR: what each doctor's card lists today;
# EXPECTED_SHOWN: the next patients the nurse's home lists.
LATE_ARRIVALS = timedelta(hours=1)
CHECK_IN_SHOWN = 20
NEXT_PER_DOCTOR = 3
EXPECTED_SHOWN = 30


def _day_range(day: date) -> tuple:
    return Appointment.starts_at >= local_midnight(day), Appointment.starts_at < local_midnight(day + timedelta(days=1))


def _due_to_check_in(session, day: date, since) -> tuple[list, int]:
    """The next arrivals to check in (from an hour late on, the soonest
    first, at most CHECK_IN_SHOWN), and how many of the day's remain in all."""
    waiting = (*_day_range(day), Appointment.status.in_(TO_CHECK_IN))
    count = session.scalar(sa.select(sa.func.count()).select_from(Appointment).where(*waiting))
    rows = session.execute(
        _joined()
        .where(*waiting, Appointment.starts_at >= since)
        .order_by(Appointment.starts_at, Appointment.id)
        .limit(CHECK_IN_SHOWN)
    ).all()
    return rows, count


def _day_by_doctor(session, day: date, *, since=None) -> dict:
    """Each doctor with appointments that day: how many, and a link to the
    whole day; from `since` on (today), the next NEXT_PER_DOCTOR too."""
    counts = session.execute(
        sa.select(Staff.id, Staff.last_name, sa.func.count())
        .join(Appointment, Appointment.doctor_id == Staff.id)
        .where(*_day_range(day))
        .group_by(Staff.id)
        .order_by(Staff.last_name, Staff.id)
    ).all()
    shown = _next_by_doctor(session, day, since) if since is not None else None
    doctors = [
        {
            "doctor": f"Dr {last_name}",
            "count": count,
            "appointments": None if shown is None else shown.get(doctor_id, []),
            "day_url": url_with_id("CalendarDayView.print_list", doctor_id, id_arg="doctor_id", date=day.isoformat()),
        }
        for doctor_id, last_name, count in counts
    ]
    return {"day": day.isoformat(), "label": format_date(day), "doctors": doctors}


def _next_by_doctor(session, day: date, since) -> dict[int, list[dict]]:
    """Each doctor's first NEXT_PER_DOCTOR appointments of the day from `since` on."""
    order = (Appointment.starts_at, Appointment.id)
    rank = sa.func.row_number().over(partition_by=Appointment.doctor_id, order_by=order)
    ranked = sa.select(Appointment.id, rank.label("rank")).where(*_day_range(day), Appointment.starts_at >= since)
    ranked = ranked.subquery()
    shown: dict[int, list] = {}
    rows = session.execute(
        _joined().join(ranked, ranked.c.id == Appointment.id).where(ranked.c.rank <= NEXT_PER_DOCTOR).order_by(*order)
    )
    for appointment, patient, doctor in rows:
        shown.setdefault(doctor.id, []).append(_row(appointment, patient, doctor))
    return shown


def _arrived_today(session, day: date) -> list:
    return session.execute(_joined().where(*_day_range(day), Appointment.status.in_(WAITING))).all()


def _day_status_counts(session, day: date) -> dict[str, int]:
    rows = session.execute(
        sa.select(Appointment.status, sa.func.count()).where(*_day_range(day)).group_by(Appointment.status)
    )
    return dict(rows.all())


# As appointments_needs_rebooking_idx says it (migration 0042): `IS TRUE` would not use it.
TO_REBOOK = (Appointment.needs_rebooking,)


def _to_rebook(session) -> dict:
    where = TO_REBOOK
    count = session.scalar(sa.select(sa.func.count()).select_from(Appointment).where(*where))
    rows = session.execute(_joined().where(*where).order_by(Appointment.starts_at).limit(SHOWN)).all()
    return {"count": count, "appointments": [_row(a, p, d) for a, p, d in rows]}


# --- Doctor


def doctor_home(session, actor: Actor) -> dict:
    own = staff_id_of(session, actor)
    if own is None or not may(actor, READ, APPOINTMENTS):
        raise Forbidden("This home is a doctor's: your login is linked to no doctor.")
    todays = _doctors_day(session, today(), own)
    figures = {
        "agenda": [_row(a, p, d) for a, p, d in todays],
        "waiting": _waiting_room(  # all the doctor's own: they may call each
            session, [(a, p, d) for a, p, d in todays if a.status in WAITING], may_call=may(actor, WRITE, APPOINTMENTS)
        ),
        "allergy_alerts": _allergy_alerts(session, actor, [p.id for _, p, _ in todays]),
        "status_counts": _status_counts(todays),
        "status_labels": _status_labels(),
    }
    if may(actor, READ, PRESCRIPTIONS):
        due = renewals_due(session, actor, prescriber_id=own)
        figures["renewals_due"] = [
            {
                "patient": _name(due_item.prescription.patient),
                "valid_until": format_date(due_item.prescription.valid_until),
                "days_left": due_item.days_left,
                "url": url_for("PrescriptionView.show", pk=due_item.prescription.id),
            }
            for due_item in due[:SHOWN]
        ]
        drafts = session.execute(
            sa.select(Prescription, Patient)
            .join(Patient, Patient.id == Prescription.patient_id)
            .where(Prescription.prescriber_id == own, Prescription.status == "draft")
            .order_by(Prescription.created_at)
            .limit(SHOWN)
        ).all()
        figures["unsigned_drafts"] = [
            {
                "patient": _name(p),
                "since": format_date(rx.created_at),
                "url": url_for("PrescriptionView.show", pk=rx.id),
            }
            for rx, p in drafts
        ]
    return figures


# --- Nurse


def nurse_home(session, actor: Actor) -> dict:
    """The patients here (arrived) and the next expected, from an hour late
    on (at most EXPECTED_SHOWN), with the count of the day's: the whole day
    was listed, 1,200 patients at 50 doctors (50 times the login page)."""
    if not (may(actor, READ, PATIENTS) and may(actor, READ, APPOINTMENTS)):
        raise Forbidden("This home is the care team's: your role does not read today's patients.")
    day = today()
    expected = (*_day_range(day), Appointment.status.in_(TO_CHECK_IN))
    todays = (
        _arrived_today(session, day)
        + session.execute(
            _joined()
            .where(*expected, Appointment.starts_at >= now() - LATE_ARRIVALS)
            .order_by(Appointment.starts_at, Appointment.id)
            .limit(EXPECTED_SHOWN)
        ).all()
    )
    todays.sort(key=lambda row: (row[0].starts_at, row[0].id))
    active = (*_day_range(day), Appointment.status.notin_(INACTIVE_STATUSES))
    count = session.scalar(sa.select(sa.func.count()).select_from(Appointment).where(*active))
    flagged = {row["patient_id"] for row in _allergy_alerts(session, actor, [p.id for _, p, _ in todays])}
    patients = []
    for appointment, patient, doctor in todays:
        row = _row(appointment, patient, doctor)
        row["allergy"] = patient.id in flagged
        patients.append(row)
    may_read_care = may(actor, READ, CARE_TASKS)
    tasks = _overdue_care_tasks(session, actor) if may_read_care else []
    return {
        "patients": patients,
        "patients_count": count,
        "day_url": url_for("CalendarDayView.index", date=day.isoformat()),
        "care_tasks": tasks,
        "care_tasks_available": may_read_care,
    }


def _overdue_care_tasks(session, actor: Actor) -> list[dict]:
    """The care worklist's overdue occurrences, the oldest first (at most SHOWN)."""
    return [
        {
            "patient": occurrence.task.patient.full_name,
            "task": occurrence.task.description,
            "due": format_time_of_day(occurrence.due_at),
            "url": url_for("CareWorklistView.index"),
        }
        for occurrence in overdue_care(session, actor)[:SHOWN]
    ]


# --- Administrators and auditors


def oversight_home(session, actor: Actor) -> dict:
    if not (may(actor, READ, AUDIT) or may(actor, READ, ALERTS)):
        raise Forbidden("This home is for administrators and auditors.")
    figures: dict = {}
    if may(actor, READ, ALERTS):
        waiting = session.scalars(
            sa.select(Alert).where(Alert.status == "new").order_by(Alert.id.desc()).limit(SHOWN)
        ).all()
        figures["alerts"] = {
            "count": session.scalar(sa.select(sa.func.count()).select_from(Alert).where(Alert.status == "new")),
            "latest": [
                {"severity": a.severity, "summary": a.summary, "at": format_time_of_day(a.occurred_at)} for a in waiting
            ],
            "url": url_for("AlertHistoryView.index", status="new"),
        }
    if may(actor, READ, AUDIT):
        figures["audit"] = audit_today(session, current_app.extensions[ACTIVITY_COUNTS])
    if may(actor, READ, JOBS):
        failed = session.execute(
            sa.text(
                "SELECT id, task_name, attempts FROM procrastinate_jobs"
                " WHERE status = 'failed' ORDER BY id DESC LIMIT :limit"
            ),
            {"limit": SHOWN},
        ).all()
        figures["failed_jobs"] = {
            "count": session.scalar(sa.text("SELECT count(*) FROM procrastinate_jobs WHERE status = 'failed'")),
            "latest": [{"id": j.id, "task": j.task_name, "attempts": j.attempts} for j in failed],
        }
    return figures


# --- Shared


# What a home shows of an appointment, its patient and its doctor: columns,
# not whole records (the reception's home reads 150 or so, and building
# each as ORM objects was an eighth of its instructions).  Each row unpacks as
# (appointment, patient, doctor), each with its columns as attributes.
_APPOINTMENT = Bundle(
    "appointment",
    Appointment.id,
    Appointment.starts_at,
    Appointment.status,
    Appointment.called_at,
    Appointment.called_by_id,
)
_PATIENT = Bundle("patient", Patient.id, Patient.last_name, Patient.first_name)
_DOCTOR = Bundle("doctor", Staff.id, Staff.last_name)


def _joined():
    return (
        sa.select(_APPOINTMENT, _PATIENT, _DOCTOR)
        .select_from(Appointment)
        .join(Patient, Patient.id == Appointment.patient_id)
        .join(Staff, Staff.id == Appointment.doctor_id)
    )


def _doctors_day(session, day: date, doctor_id: int) -> list:
    """One doctor's appointments that day (a day's agenda: a few dozen at most)."""
    query = _joined().where(*_day_range(day), Appointment.doctor_id == doctor_id)
    return session.execute(query.order_by(Appointment.starts_at)).all()


def _name(patient: Patient | sa.Row) -> str:
    return f"{patient.last_name.upper()} {patient.first_name}"


def _row(appointment: sa.Row, patient: sa.Row, doctor: sa.Row) -> dict:
    """A row of _joined() as the homes show it."""
    return {
        "id": appointment.id,
        "time": format_time_of_day(appointment.starts_at),
        "patient": _name(patient),
        "patient_id": patient.id,
        "patient_url": url_with_id("PatientView.show", patient.id),
        "doctor": f"Dr {doctor.last_name}",
        "status": appointment.status,
        "status_label": status_label(appointment.status),
        "url": url_with_id("AppointmentView.show", appointment.id),
    }


def _check_in_row(appointment: sa.Row, patient: sa.Row, doctor: sa.Row, *, may_check_in: bool) -> dict:
    """An arrival to check in, with its Check in button (AppointmentView.check_in:
    the booking rules' set_status decide in the end)."""
    row = _row(appointment, patient, doctor)
    row["may_check_in"] = may_check_in
    row["check_in_url"] = url_with_id("AppointmentView.check_in", appointment.id)
    return row


def _status_labels() -> dict[str, str]:
    """The statuses' names in the user's language, for the chart's legend (home.js)."""
    return {code: str(label) for code, label in STATUSES.items()}


def _status_counts(rows) -> dict[str, int]:
    counts: dict[str, int] = {}
    for appointment, _, _ in rows:
        counts[appointment.status] = counts.get(appointment.status, 0) + 1
    return counts


def _waiting_room(session, rows, *, may_call: bool = False) -> list[dict]:
    """Arrived patients, longest waiting first: the arrival is the audit's
    record of the status turning to arrived (no column of its own); the call
    is the appointment's own called_at and called_by (migration 0116)."""
    if not rows:
        return []
    arrived = dict(
        session.execute(
            sa.text(
                "SELECT row_pk, max(occurred_at) FROM audit_log"
                " WHERE table_name = 'public.appointments' AND row_pk = ANY(:ids)"
                " AND new_row->>'status' = 'arrived' AND old_row->>'status' IS DISTINCT FROM 'arrived'"
                " AND occurred_at >= :since GROUP BY row_pk"
            ),
            {"ids": [str(a.id) for a, _, _ in rows], "since": local_midnight(today())},
        ).all()
    )
    callers = _callers(session, {a.called_by_id for a, _, _ in rows if a.called_by_id is not None})
    moment = now()
    waiting = []
    for appointment, patient, doctor in rows:
        row = _row(appointment, patient, doctor)
        since = arrived.get(str(appointment.id))
        row["waiting_since"] = format_time_of_day(since) if since else ""
        row["waiting_minutes"] = int((moment - since).total_seconds() // 60) if since else None
        row["called"] = appointment.called_at is not None
        row["called_at"] = format_time_of_day(appointment.called_at) if appointment.called_at else ""
        row["called_by"] = callers.get(appointment.called_by_id, "")
        row["called_label"] = _called_label(row)
        row["may_call"] = may_call
        row["call_url"] = url_with_id("AppointmentView.call", appointment.id)
        waiting.append(row)
    return sorted(waiting, key=lambda r: (r["called"], -(r["waiting_minutes"] or 0)))


def _callers(session, user_ids: set[int]) -> dict[int, str]:
    """Who called, in one query: "Dr Martin" for a doctor, else the user's name."""
    if not user_ids:
        return {}
    rows = session.execute(
        sa.select(User.id, User.first_name, User.last_name, Staff.last_name, Staff.profession)
        .outerjoin(Staff, Staff.user_id == User.id)
        .where(User.id.in_(user_ids))
    ).all()
    return {
        user_id: f"Dr {staff_last}" if profession in ("doctor", "radiologist") else f"{first} {last}".strip()
        for user_id, first, last, staff_last, profession in rows
    }


def _called_label(row: dict) -> str:
    if not row["called"]:
        return ""
    if row["called_by"]:
        return gettext("called at %(time)s by %(who)s", time=row["called_at"], who=row["called_by"])
    return gettext("called at %(time)s", time=row["called_at"])


def _allergy_alerts(session, actor: Actor, patient_ids: list[int]) -> list[dict]:
    """Patients among these with an active allergy (recorded, or noted in
    free text): only for roles that read the medical fields."""
    if not patient_ids or "allergies" not in readable_fields(actor, PATIENTS):
        return []
    recorded = sa.select(PatientAllergy.patient_id).where(PatientAllergy.status == "active")
    rows = session.execute(
        sa.select(Patient.id, Patient.last_name, Patient.first_name)
        .where(Patient.id.in_(patient_ids))
        .where(sa.or_(Patient.id.in_(recorded), sa.func.coalesce(Patient.allergies, "") != ""))
        .order_by(Patient.last_name)
    ).all()
    return [
        {"patient_id": i, "patient": f"{last.upper()} {first}", "url": url_with_id("PatientView.show", i)}
        for i, last, first in rows
    ]
