"""An absence over booked appointments: never silent.

Adding an absence (or moving one to another period or doctor) that covers
appointments still to be seen (scheduled or confirmed) is refused until the
user decided, for each of them: keep it as an exception, with a reason, or
mark it to be rebooked (it then shows on the secretaries' list "To be
rebooked" until it is postponed or cancelled).  The absence and the
decisions are written in one transaction.  Every door (the absence screens,
the REST API, a job) goes through ABSENCE_RULES; the database refuses the
same at commit (trigger doctor_absence_covers_appointments, migration 0042).

Decisions: {appointment id: ("keep", reason) or ("rebook", None)}, carried
by the absence being saved (DoctorAbsence.decisions, not a column).
"""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.agenda.models import Appointment, AppointmentType, DoctorAbsence
from app.agenda.rules import AgendaRowRules, patient_label
from app.core.actor import Actor
from app.core.errors import Conflict, ConstraintViolation
from app.core.timezone import aware, hospital_zone, local_time
from app.security.roles import ABSENCES

KEEP, REBOOK = "keep", "rebook"
DECISIONS = (KEEP, REBOOK)
# Appointments an absence may cover only with a decision.
STILL_TO_BE_SEEN = ("scheduled", "confirmed")
REASON_LENGTH = 500


class AbsenceCoversAppointments(Conflict):
    """The absence covers appointments with no decision yet (409); `appointments`
    (also in the JSON answer) lists every appointment it covers."""

    def __init__(self, message: str, appointments: list[dict]):
        super().__init__(message, field="decisions", appointments=appointments)


class AbsenceDecisionRefused(ConstraintViolation):
    """A decision that cannot stand (keeping without a reason...), 422; the
    covered appointments come along so the form can show them again."""

    def __init__(self, message: str, appointments: list[dict]):
        super().__init__("decisions", message, appointments=appointments)


def covered_appointments(session, doctor_id: int | None, starts_at, ends_at, *, undecided_only=True):
    """Appointments still to be seen of this doctor that [starts_at, ends_at)
    covers (by default, those with no decision yet), earliest first.  The
    same rule as the database's appointments_covered_without_decision()."""
    if doctor_id is None or starts_at is None or ends_at is None:
        return []
    starts_at, ends_at = aware(starts_at), aware(ends_at)
    if ends_at <= starts_at:
        return []
    query = (
        sa.select(Appointment)
        .join(AppointmentType, AppointmentType.id == Appointment.type_id)
        .where(
            Appointment.doctor_id == doctor_id,
            Appointment.status.in_(STILL_TO_BE_SEEN),
            Appointment.starts_at < ends_at,
            Appointment.ends_at > starts_at,
            ~sa.and_(
                AppointmentType.is_emergency, sa.func.btrim(sa.func.coalesce(Appointment.override_reason, "")) != ""
            ),
        )
        .options(selectinload(Appointment.patient), selectinload(Appointment.type))
        .order_by(Appointment.starts_at, Appointment.id)
    )
    if undecided_only:
        query = query.where(~Appointment.needs_rebooking, Appointment.absence_exception_reason.is_(None))
    return list(session.scalars(query))


def _given(column):
    return sa.func.btrim(sa.func.coalesce(column, "")) != ""


def covered_summary(appointment: Appointment) -> dict:
    """A covered appointment as the form and the API list it."""
    start = appointment.starts_at.astimezone(hospital_zone())
    patient = appointment.patient
    return {
        "id": appointment.id,
        "starts_at": appointment.starts_at.isoformat(),
        "ends_at": appointment.ends_at.isoformat(),
        "when": local_time(start),
        "patient_id": appointment.patient_id,
        "patient": f"{patient.last_name.upper()} {patient.first_name}",
        "mrn": patient.mrn,
        "type": appointment.type.name,
        "status": appointment.status,
    }


def _as_decisions(given) -> dict:
    """Decisions as a dict; the API gives a list [{"appointment_id", "decision",
    "reason"}] (read by app/agenda/schemas.py, AbsenceDecisionSchema)."""
    if not given:
        return {}
    if isinstance(given, dict):
        return given
    return {entry["appointment_id"]: (entry["decision"], entry.get("reason")) for entry in given}


class AbsenceRules(AgendaRowRules):
    """An absence: the agenda's owner (AgendaRowRules), then a decision for
    each appointment it covers, applied in the absence's own transaction."""

    def check(self, session, actor: Actor, item: DoctorAbsence, *, deleting: bool = False) -> None:
        super().check(session, actor, item, deleting=deleting)
        if deleting:
            return
        doctor_id = item.doctor.id if getattr(item, "doctor", None) is not None else item.doctor_id
        if item.id is not None and not _period_changed(session, item, doctor_id):
            return  # its reason changed, not what it covers
        covered = covered_appointments(session, doctor_id, item.starts_at, item.ends_at)
        if not covered:
            return
        decisions = _as_decisions(item.decisions)
        summaries = [covered_summary(appointment) for appointment in covered]
        undecided = [appointment for appointment in covered if appointment.id not in decisions]
        if undecided:
            raise AbsenceCoversAppointments(_covers_message(undecided), summaries)
        chosen = []
        for appointment in covered:  # every decision checked before any is applied
            decision, reason = decisions[appointment.id]
            reason = (reason or "").strip() or None
            if decision not in DECISIONS:
                raise AbsenceDecisionRefused("Keep the appointment or mark it to be rebooked.", summaries)
            if decision == KEEP and reason is None:
                raise AbsenceDecisionRefused(
                    f"Say why {_label(appointment)} is kept during the absence (or mark it to be rebooked).",
                    summaries,
                )
            if reason is not None and len(reason) > REASON_LENGTH:
                raise AbsenceDecisionRefused(f"A reason has {REASON_LENGTH} characters at most.", summaries)
            chosen.append((appointment, decision, reason))
        for appointment, decision, reason in chosen:
            appointment.needs_rebooking = decision == REBOOK
            appointment.absence_exception_reason = reason if decision == KEEP else None


def _period_changed(session, item: DoctorAbsence, doctor_id: int | None) -> bool:
    stored = session.execute(
        sa.select(DoctorAbsence.doctor_id, DoctorAbsence.starts_at, DoctorAbsence.ends_at).where(
            DoctorAbsence.id == item.id
        )
    ).one_or_none()
    if stored is None:
        return True
    new = (doctor_id, aware(item.starts_at) if item.starts_at else None, aware(item.ends_at) if item.ends_at else None)
    return tuple(stored) != new


def _label(appointment: Appointment) -> str:
    start = appointment.starts_at.astimezone(hospital_zone())
    return f"the appointment of {patient_label(appointment.patient)} on {start:%d/%m/%Y} at {start:%H:%M}"


def _covers_message(undecided: list[Appointment]) -> str:
    count = len(undecided)
    which = _label(undecided[0]) if count == 1 else f"{count} booked appointments"
    return (
        f"This absence covers {which}: for each, keep it as an exception (with a reason) "
        "or mark it to be rebooked, then save again."
    )


ABSENCE_RULES = AbsenceRules(ABSENCES)
