"""The care domain's rules: planning and checking off care tasks, recording
doses, recording vaccinations, and what each role may read of them.

The database decides (sql/versions/0095_care.py, triggers/0095/): one
outcome per planned dose, never two doses given within a window, a reason
for a refused or held dose, a check-off only at a time its task plans,
records never changed.  These functions check first for plain-words
refusals naming the field, then write and commit, and turn what the
database still refuses (two nurses at once) into the same answers.
Screens, the REST API, the CLI and jobs all go through here.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import Range
from sqlalchemy.orm import joinedload

from app.care import messages  # noqa: F401  (the constraints' messages)
from app.care.dosing import Slot, slots_on
from app.care.due import Dose, DueVaccination, Step, due_vaccinations
from app.care.models import (
    ADMINISTRATION_STATUSES,
    SITES,
    CareTask,
    CareTaskCheck,
    MedicationAdministration,
    Vaccination,
    VaccinationStep,
    Vaccine,
)
from app.core.actor import Actor
from app.core.errors import Conflict, ConstraintViolation, NotFound
from app.core.rules import run_and_commit
from app.core.timezone import aware, hospital_zone
from app.core.timezone import today as hospital_today
from app.prescribing.models import Prescription, PrescriptionItem
from app.records.models import Patient
from app.security.policy import READ, WRITE, may, require
from app.security.roles import ADMINISTRATIONS, CARE_CHECKS, CARE_TASKS, VACCINATIONS

GIVEN_TWICE = "This dose was already given within its window (another nurse may just have recorded it)."
ALREADY_RECORDED = "This planned dose already has an outcome recorded."
OVERDUE_GRACE = timedelta(minutes=30)  # a care task is overdue this long after its time
OVERDUE_LOOKBACK = timedelta(hours=48)  # how far back the worklist looks for missed occurrences


class RecordedAlready(Conflict):
    """A dose or a check-off the database already holds (409); the answer
    names the field (`"field"` beside the message), as the 422s do."""

    def __init__(self, message: str, field: str):
        super().__init__(message, field=field)
        self.details["field"] = field


def may_read(actor: Actor, resource: str) -> bool:
    return may(actor, READ, resource)


def _patient(session, patient_id) -> Patient:
    patient = session.get(Patient, patient_id) if isinstance(patient_id, int) else None
    if patient is None:
        raise ConstraintViolation("patient_id", f"No patient {patient_id}.")
    return patient


def _explain_administration(exc) -> Conflict | None:
    constraint = getattr(getattr(getattr(exc, "orig", None), "diag", None), "constraint_name", None)
    if constraint == "medication_administrations_given_once":
        return RecordedAlready(GIVEN_TWICE, "planned_at")
    if constraint == "medication_administrations_slot_key":
        return RecordedAlready(ALREADY_RECORDED, "planned_at")
    if constraint == "care_task_checks_once_key":
        return RecordedAlready("This occurrence is already checked off.", "due_at")
    return None


# ---- care tasks ------------------------------------------------------------


def plan_care_task(
    session,
    actor: Actor,
    *,
    patient_id: int,
    description: str,
    starts_at: datetime,
    every_hours: int | None = None,
    ends_at: datetime | None = None,
    prescription_item_id: int | None = None,
) -> CareTask:
    """A care task for a patient, once or every N hours, by hand or for a prescription line."""
    require(actor, WRITE, CARE_TASKS)
    _patient(session, patient_id)
    if prescription_item_id is not None:
        line = session.get(PrescriptionItem, prescription_item_id)
        if line is None or line.prescription.patient_id != patient_id:
            raise ConstraintViolation("prescription_item_id", "No such prescription line for this patient.")
        if line.prescription.status != "signed":
            raise ConstraintViolation("prescription_item_id", "Care is planned from a signed prescription only.")
    task = CareTask(
        patient_id=patient_id,
        description=description,
        starts_at=aware(starts_at),
        every_hours=every_hours,
        ends_at=aware(ends_at) if ends_at else None,
        prescription_item_id=prescription_item_id,
        planned_by_id=actor.user_id,
    )
    if not task.description:
        raise ConstraintViolation("description", "Say what is to be done.")
    session.add(task)
    return run_and_commit(session, lambda: task)


def stop_care_task(session, actor: Actor, task_id: int) -> CareTask:
    require(actor, WRITE, CARE_TASKS)
    task = _task(session, task_id)

    def change():
        task.status = "stopped"
        return task

    return run_and_commit(session, change)


def check_care_task(session, actor: Actor, task_id: int, *, due_at: datetime, note: str | None = None) -> CareTaskCheck:
    """Check off the occurrence of `due_at`: who, now."""
    require(actor, WRITE, CARE_CHECKS)
    task = _task(session, task_id)
    due_at = aware(due_at)
    if task.status != "active":
        raise ConstraintViolation("care_task_id", "This care task is stopped.")
    if not _plans(task, due_at):
        raise ConstraintViolation("due_at", "This care task plans nothing at that time.")
    check = CareTaskCheck(care_task_id=task.id, due_at=due_at, done_by_id=actor.user_id, note=note)
    session.add(check)
    return run_and_commit(session, lambda: check, _explain_administration)


def care_task_checks(session, actor: Actor, task_id: int) -> list[CareTaskCheck]:
    require(actor, READ, CARE_CHECKS)
    _task(session, task_id)
    return list(
        session.scalars(
            sa.select(CareTaskCheck).where(CareTaskCheck.care_task_id == task_id).order_by(CareTaskCheck.due_at.desc())
        )
    )


def _task(session, task_id) -> CareTask:
    task = session.get(CareTask, task_id) if isinstance(task_id, int) else None
    if task is None:
        raise NotFound("No such care task.")
    return task


def _plans(task: CareTask, moment: datetime) -> bool:
    if moment < task.starts_at or (task.ends_at is not None and moment > task.ends_at):
        return False
    if task.every_hours is None:
        return moment == task.starts_at
    return (moment - task.starts_at) % timedelta(hours=task.every_hours) == timedelta(0)


@dataclass(frozen=True)
class Occurrence:
    task: CareTask
    due_at: datetime


OVERDUE_SQL = sa.text(
    """
    SELECT t.id, due.at
      FROM care_tasks t
     CROSS JOIN LATERAL generate_series(
               t.starts_at,
               least(coalesce(t.ends_at, :overdue_until), :overdue_until),
               coalesce(make_interval(hours => t.every_hours), interval '1000 years')) AS due(at)
     WHERE t.status = 'active' AND (CAST(:overdue_patient_id AS bigint) IS NULL OR t.patient_id = :overdue_patient_id)
       AND due.at >= :overdue_since
       AND NOT EXISTS (SELECT 1 FROM care_task_checks c WHERE c.care_task_id = t.id AND c.due_at = due.at)
     ORDER BY due.at, t.id
    """
)


def overdue_care(
    session, actor: Actor, *, now: datetime | None = None, patient_id: int | None = None
) -> list[Occurrence]:
    """The nurse's worklist: occurrences past their time (and the grace) not checked off, oldest first."""
    require(actor, READ, CARE_TASKS)
    now = aware(now) if now else datetime.now(hospital_zone())
    rows = session.execute(overdue_occurrences(now, patient_id)).all()
    if not rows:
        return []
    tasks = {t.id: t for t in session.scalars(sa.select(CareTask).where(CareTask.id.in_({r[0] for r in rows})))}
    return [Occurrence(tasks[task_id], due_at) for task_id, due_at in rows]


def overdue_occurrences(now: datetime, patient_id: int | None = None) -> sa.TextClause:
    """OVERDUE_SQL as of `now` (the task's id, the occurrence's `at`), oldest first."""
    return overdue_query().bindparams(**overdue_parameters(now, patient_id))


def overdue_query() -> sa.TextClause:
    """OVERDUE_SQL, its parameters (overdue_parameters) given when it runs:
    the patient page's statement is built once for every patient."""
    return OVERDUE_SQL.bindparams(
        sa.bindparam("overdue_until", type_=sa.DateTime(timezone=True)),
        sa.bindparam("overdue_since", type_=sa.DateTime(timezone=True)),
        sa.bindparam("overdue_patient_id", type_=sa.BigInteger),
    ).columns(id=sa.BigInteger, at=sa.DateTime(timezone=True))


def overdue_parameters(now: datetime, patient_id: int | None = None) -> dict:
    """What OVERDUE_SQL reads as of `now`: occurrences from the lookback to
    the grace before now, of one patient or of all (None)."""
    return {
        "overdue_until": now - OVERDUE_GRACE,
        "overdue_since": now - OVERDUE_LOOKBACK,
        "overdue_patient_id": patient_id,
    }


def patient_care_tasks(session, actor: Actor, patient_id: int) -> list[CareTask]:
    require(actor, READ, CARE_TASKS)
    return list(
        session.scalars(
            sa.select(CareTask).where(CareTask.patient_id == patient_id).order_by(CareTask.status, CareTask.starts_at)
        )
    )


# ---- medication administration record ---------------------------------------


@dataclass(frozen=True)
class PlannedDose:
    line: PrescriptionItem
    slot: Slot
    record: MedicationAdministration | None


def lines_in_force(session, patient_id: int, day: date) -> list[PrescriptionItem]:
    """The signed prescription lines of the patient in force on `day`."""
    query = (
        sa.select(PrescriptionItem)
        .join(Prescription)
        .where(
            Prescription.patient_id == patient_id,
            Prescription.status == "signed",
            Prescription.prescribed_on <= day,
            Prescription.valid_until >= day,
        )
        .order_by(Prescription.id, PrescriptionItem.position)
    )
    return [
        line
        for line in session.scalars(query)
        if line.duration_days is None or day < line.prescription.prescribed_on + timedelta(days=line.duration_days)
    ]


def planned_doses(session, actor: Actor, patient_id: int, day: date | None = None) -> list[PlannedDose]:
    """The day's planned doses of every line in force, with what was recorded."""
    require(actor, READ, ADMINISTRATIONS)
    day = day or hospital_today()
    zone = hospital_zone()
    lines = lines_in_force(session, patient_id, day)
    records = {
        (r.prescription_item_id, r.planned_at): r
        for r in session.scalars(
            sa.select(MedicationAdministration).where(
                MedicationAdministration.prescription_item_id.in_([line.id for line in lines])
            )
        )
    }
    doses = [
        PlannedDose(line, slot, records.get((line.id, slot.planned_at)))
        for line in lines
        for slot in slots_on(line.frequency, day, zone)
    ]
    return sorted(doses, key=lambda dose: (dose.slot.planned_at, dose.line.id))


def record_administration(
    session,
    actor: Actor,
    *,
    prescription_item_id: int,
    planned_at: datetime,
    status: str,
    reason: str | None = None,
    note: str | None = None,
) -> MedicationAdministration:
    """The outcome of one planned dose: given, refused or held (the last two with a reason)."""
    require(actor, WRITE, ADMINISTRATIONS)
    if status not in ADMINISTRATION_STATUSES:
        raise ConstraintViolation("status", "The outcome is given, refused or held.")
    line = session.get(PrescriptionItem, prescription_item_id) if isinstance(prescription_item_id, int) else None
    if line is None:
        raise ConstraintViolation("prescription_item_id", "No such prescription line.")
    planned_at = aware(planned_at)
    zone = hospital_zone()
    day = planned_at.astimezone(zone).date()
    if line not in lines_in_force(session, line.prescription.patient_id, day):
        raise ConstraintViolation("prescription_item_id", "This prescription line is not in force that day.")
    slot = next((s for s in slots_on(line.frequency, day, zone) if s.planned_at == planned_at), None)
    if slot is None:
        raise ConstraintViolation("planned_at", "No dose of this line is planned at that time.")
    record = MedicationAdministration(
        patient_id=line.prescription.patient_id,
        prescription_item_id=line.id,
        planned_at=planned_at,
        dose_window=Range(slot.window_starts, slot.window_ends, bounds="[)"),
        status=status,
        reason=reason,
        note=note,
        recorded_by_id=actor.user_id,
    )
    if status != "given" and not record.reason:
        raise ConstraintViolation(
            "reason", f"Say why the dose was {status}.", "medication_administrations_reason_check"
        )
    same_slot = MedicationAdministration.planned_at == planned_at
    if status == "given":
        given_in_window = sa.and_(
            MedicationAdministration.status == "given",
            MedicationAdministration.dose_window.overlaps(record.dose_window),
        )
        same_slot = sa.or_(same_slot, given_in_window)
    existing = session.scalar(
        sa.select(MedicationAdministration).where(MedicationAdministration.prescription_item_id == line.id, same_slot)
    )
    if existing is not None:
        given_twice = existing.status == "given" and status == "given"
        raise RecordedAlready(GIVEN_TWICE if given_twice else ALREADY_RECORDED, "planned_at")
    session.add(record)
    return run_and_commit(session, lambda: record, _explain_administration)


def administrations_of_prescription(session, actor: Actor, prescription_id: int) -> list[MedicationAdministration]:
    """What was given (or not) of a prescription, newest first: the prescriber's view."""
    if not may(actor, READ, ADMINISTRATIONS):
        return []
    return list(
        session.scalars(
            sa.select(MedicationAdministration)
            .join(PrescriptionItem)
            .where(PrescriptionItem.prescription_id == prescription_id)
            .order_by(MedicationAdministration.planned_at.desc(), MedicationAdministration.id.desc())
        )
    )


def patient_administrations(session, actor: Actor, patient_id: int) -> list[MedicationAdministration]:
    require(actor, READ, ADMINISTRATIONS)
    return list(
        session.scalars(
            sa.select(MedicationAdministration)
            .where(MedicationAdministration.patient_id == patient_id)
            .order_by(MedicationAdministration.planned_at.desc())
        )
    )


# ---- vaccinations -------------------------------------------------------------


def record_vaccination(
    session,
    actor: Actor,
    *,
    patient_id: int,
    vaccine_id: int,
    given_on: date,
    lot_number: str,
    site: str,
    dose_number: int = 1,
    notes: str | None = None,
) -> Vaccination:
    """A vaccination given (today or earlier), by the acting user."""
    require(actor, WRITE, VACCINATIONS)
    _patient(session, patient_id)
    vaccine = session.get(Vaccine, vaccine_id) if isinstance(vaccine_id, int) else None
    if vaccine is None:
        raise ConstraintViolation("vaccine_id", "No such vaccine.")
    if site not in SITES:
        raise ConstraintViolation("site", f"The site is one of: {', '.join(SITES)}.")
    if given_on > hospital_today():
        raise ConstraintViolation("given_on", "A vaccination is recorded once given (today or earlier).")
    vaccination = Vaccination(
        patient_id=patient_id,
        vaccine_id=vaccine.id,
        given_on=given_on,
        lot_number=lot_number,
        site=site,
        dose_number=dose_number,
        notes=notes,
        given_by_id=actor.user_id,
    )
    if not vaccination.lot_number:
        raise ConstraintViolation("lot_number", "The lot number is required (traceability).")
    session.add(vaccination)
    return run_and_commit(session, lambda: vaccination)


# The patient's vaccinations, the latest first.
VACCINATION_ORDER = (Vaccination.given_on.desc(), Vaccination.id.desc())


def patient_vaccinations(session, actor: Actor, patient_id: int) -> list[Vaccination]:
    require(actor, READ, VACCINATIONS)
    return list(
        session.scalars(
            sa.select(Vaccination)
            .options(joinedload(Vaccination.vaccine))
            .where(Vaccination.patient_id == patient_id)
            .order_by(*VACCINATION_ORDER)
        )
    )


def vaccination_record(session, actor: Actor, patient_id: int) -> tuple[list[Vaccination], list[DueVaccination]]:
    """The patient page's view: the doses given and what is due (two queries)."""
    given = patient_vaccinations(session, actor, patient_id)
    patient = _patient(session, patient_id)
    if patient.birth_date is None or patient.status == "deceased":
        return given, []
    return given, vaccinations_still_due(patient, given, calendar_steps(session))


def vaccinations_still_due(patient: Patient, given: list[Vaccination], steps: list[Step]) -> list[DueVaccination]:
    """What the calendar's steps ask of the patient that the doses given do not cover, today."""
    if patient.birth_date is None or patient.status == "deceased":
        return []
    doses = [Dose(v.given_on, frozenset(v.vaccine.diseases)) for v in given]
    return due_vaccinations(patient.birth_date, steps, doses, hospital_today())


# The vaccination calendar in use (reference data, a few dozen rows).
ACTIVE_STEPS = sa.select(VaccinationStep).where(VaccinationStep.is_active)


def calendar_steps(session) -> list[Step]:
    return steps_of(session.scalars(ACTIVE_STEPS))


def steps_of(rows) -> list[Step]:
    return [
        Step(
            r.id,
            r.code,
            r.disease,
            r.label,
            r.due_age_months,
            r.until_age_months,
            r.repeat_every_months,
            r.tolerance_months,
            r.overdue_after_months,
        )
        for r in rows
    ]


def doses_of(session, patient_id: int) -> list[Dose]:
    rows = session.execute(
        sa.select(Vaccination.given_on, Vaccine.diseases).join(Vaccine).where(Vaccination.patient_id == patient_id)
    ).all()
    return [Dose(given_on, frozenset(diseases)) for given_on, diseases in rows]


def due_for_patient(session, patient: Patient, steps: list[Step], today: date) -> list[DueVaccination]:
    """No permission check: the reminders job's and the doors' common ground."""
    if patient.birth_date is None or patient.status == "deceased":
        return []
    return due_vaccinations(patient.birth_date, steps, doses_of(session, patient.id), today)


def vaccinations_due(session, actor: Actor, patient_id: int, today: date | None = None) -> list[DueVaccination]:
    """The patient's due and overdue vaccinations from the calendar, soonest first."""
    require(actor, READ, VACCINATIONS)
    patient = _patient(session, patient_id)
    return due_for_patient(session, patient, calendar_steps(session), today or hospital_today())
