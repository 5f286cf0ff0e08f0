"""What each role's home shows (the page after login, and its JSON:
GET /api/v1/home/<kind>).  Each figure is read under its domain's own
permission, so a home never shows what its role may not read elsewhere.

- secretary: today's and tomorrow's appointments by doctor with their
  status, the waiting room (to check in, arrived and waiting since),
  cancellations to rebook;
- doctor: my agenda of the day, my patients waiting, renewals due, my
  unsigned drafts, allergy alerts on my patients of the day;
- nurse: today's patients with their allergy flag, and the care tasks past
  their time that nobody checked off (app/care's worklist);
- oversight (administrators and auditors): alerts waiting, audit activity
  today (changes per hour, top users), background jobs that failed.
"""

from datetime import date, timedelta

import sqlalchemy as sa
from flask import url_for
from flask_appbuilder.security.sqla.models import User
from flask_babel import gettext

from app.agenda.access import manages_every_agenda, staff_id_of
from app.agenda.models import INACTIVE_STATUSES, STATUSES, Appointment
from app.alerts.models import Alert
from app.care.rules import overdue_care
from app.core.actor import Actor
from app.core.errors import Forbidden, NotFound
from app.core.formatting import format_date, format_time_of_day
from app.core.timezone import hospital_zone, local_midnight, now, today
from app.prescribing.models import PatientAllergy, Prescription
from app.prescribing.rules import renewals_due
from app.records.models import Patient, Staff
from app.security.policy import READ, WRITE, may, readable_fields
from app.security.roles import ADMIN_ROLE, ALERTS, APPOINTMENTS, AUDIT, CARE_TASKS, JOBS, PATIENTS, PRESCRIPTIONS

HOME_KINDS = ("secretary", "doctor", "nurse", "oversight")
SHOWN = 10
TOP_USERS = 5
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
    session.rollback()  # read-only: end the transaction the reads opened
    return {"kind": kind, "generated_at": now().isoformat(), **figures}


# --- Secretary


def secretary_home(session, actor: Actor) -> dict:
    if not (may(actor, READ, APPOINTMENTS) and manages_every_agenda(actor)):
        raise Forbidden("This home is the reception's: your role does not manage every agenda.")
    day, tomorrow = today(), today() + timedelta(days=1)
    todays = _appointments(session, day)  # read once: the day's columns, the check-ins and the waiting room
    days = [
        {"day": when.isoformat(), "label": format_date(when), "doctors": _by_doctor(rows)}
        for when, rows in ((day, todays), (tomorrow, _appointments(session, tomorrow)))
    ]
    return {
        "days": days,
        "to_check_in": [
            _check_in_row(a, p, d, may_check_in=may(actor, WRITE, APPOINTMENTS))
            for a, p, d in todays
            if a.status in TO_CHECK_IN
        ],
        "waiting_room": _waiting_room(
            session, [(a, p, d) for a, p, d in todays if a.status in WAITING], may_call=may(actor, WRITE, APPOINTMENTS)
        ),
        "to_rebook": _to_rebook(session),
        "status_counts": _status_counts(todays),
        "status_labels": _status_labels(),
    }


def _by_doctor(rows) -> list[dict]:
    doctors: dict[int, dict] = {}
    for appointment, patient, doctor in rows:
        entry = doctors.setdefault(doctor.id, {"doctor": f"Dr {doctor.last_name}", "appointments": []})
        entry["appointments"].append(_row(appointment, patient, doctor))
    return list(doctors.values())


# As appointments_to_rebook_idx says it (migration 0121): `IS TRUE` would not use it.
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
    todays = _appointments(session, today(), doctor_id=own)
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
    if not (may(actor, READ, PATIENTS) and may(actor, READ, APPOINTMENTS)):
        raise Forbidden("This home is the care team's: your role does not read today's patients.")
    day = today()
    todays = [(a, p, d) for a, p, d in _appointments(session, day) if a.status not in INACTIVE_STATUSES]
    flagged = {row["patient_id"] for row in _allergy_alerts(session, actor, [p.id for _, p, _ in todays])}
    patients = []
    for appointment, patient, doctor in todays:
        row = _row(appointment, patient, doctor)
        row["allergy"] = patient.id in flagged
        patients.append(row)
    may_read_care = may(actor, READ, CARE_TASKS)
    tasks = _overdue_care_tasks(session, actor) if may_read_care else []
    return {"patients": patients, "care_tasks": tasks, "care_tasks_available": may_read_care}


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
        figures["audit"] = _audit_today(session)
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


def _audit_today(session) -> dict:
    start = local_midnight(today())
    params = {"start": start, "end": start + timedelta(days=1), "tz": hospital_zone().key}
    period = "occurred_at >= :start AND occurred_at < :end"
    per_hour = [0] * 24
    for hour, count in session.execute(
        sa.text(
            f"SELECT extract(hour FROM occurred_at AT TIME ZONE :tz)::int, count(*) FROM audit_log"
            f" WHERE {period} GROUP BY 1"
        ),
        params,
    ):
        per_hour[hour] = count
    top = session.execute(
        sa.text(
            f"SELECT coalesce(app_username, 'db:' || db_user) AS who, count(*) AS n FROM audit_log"
            f" WHERE {period} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {TOP_USERS}"
        ),
        params,
    ).all()
    return {"per_hour": per_hour, "total": sum(per_hour), "top_users": [{"user": w, "count": n} for w, n in top]}


# --- Shared


def _joined():
    return (
        sa.select(Appointment, Patient, Staff)
        .join(Patient, Patient.id == Appointment.patient_id)
        .join(Staff, Staff.id == Appointment.doctor_id)
    )


def _appointments(session, day: date, *, doctor_id: int | None = None) -> list:
    start = local_midnight(day)
    query = _joined().where(
        Appointment.starts_at >= start, Appointment.starts_at < local_midnight(day + timedelta(days=1))
    )
    if doctor_id is not None:
        query = query.where(Appointment.doctor_id == doctor_id)
    return session.execute(query.order_by(Staff.last_name, Staff.id, Appointment.starts_at)).all()


def _name(patient: Patient) -> str:
    return f"{patient.last_name.upper()} {patient.first_name}"


def _row(appointment: Appointment, patient: Patient, doctor: Staff) -> dict:
    return {
        "id": appointment.id,
        "time": format_time_of_day(appointment.starts_at),
        "patient": _name(patient),
        "patient_id": patient.id,
        "patient_url": url_for("PatientView.show", pk=patient.id),
        "doctor": f"Dr {doctor.last_name}",
        "status": appointment.status,
        "status_label": appointment.status_label,
        "url": url_for("AppointmentView.show", pk=appointment.id),
    }


def _check_in_row(appointment: Appointment, patient: Patient, doctor: Staff, *, may_check_in: bool) -> dict:
    """An arrival to check in, with its Check in button (AppointmentView.check_in:
    the booking rules' set_status decide in the end)."""
    row = _row(appointment, patient, doctor)
    row["may_check_in"] = may_check_in
    row["check_in_url"] = url_for("AppointmentView.check_in", pk=appointment.id)
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
        row["call_url"] = url_for("AppointmentView.call", pk=appointment.id)
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
        {"patient_id": i, "patient": f"{last.upper()} {first}", "url": url_for("PatientView.show", pk=i)}
        for i, last, first in rows
    ]
