"""The clinical record's rules: consultations (draft, sign, addendum),
diagnoses, the problem list, observations.  One function per rule, each
taking the session and the acting user: it refuses what the actor may not
do (app/clinical/access.py), writes, commits, and turns what the database
refuses into a ConstraintViolation naming the field (app/clinical/constraints.py).

The database is the final guard (migration 0091): a signed consultation,
its diagnoses and its addenda never change whoever writes; an observation
out of physiological bounds or in another unit is refused.  These rules
check first only what needs the application: who may do it, and whether an
ICD-10 code exists in the classification.

Opening a consultation from an appointment marks the patient arrived;
signing it completes the appointment (both through the agenda's own
database rules: only today's or past appointments), and adds its diagnoses
to the patient's active problems, once each.
"""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from app.agenda import access as agenda_access
from app.agenda.models import Appointment
from app.clinical import access, icd10
from app.clinical.models import (
    CONSULTATION_TEXTS,
    DIAGNOSIS_RANKS,
    PROBLEM_CATEGORIES,
    PROBLEM_STATUSES,
    Consultation,
    ConsultationAddendum,
    ConsultationDiagnosis,
    Observation,
    PatientProblem,
)
from app.core.actor import Actor
from app.core.errors import ConstraintViolation, Forbidden, NotFound
from app.core.rules import RecordRules, run_and_commit
from app.records.models import Patient
from app.security.policy import READ, WRITE, require
from app.security.roles import CONSULTATIONS, OBSERVATIONS, PROBLEMS

NOT_YOURS = "You may only change your own consultations."
MAX_DIAGNOSES = 20
PROBLEM_FIELDS = ("category", "icd10_code", "label", "status", "onset_on", "resolved_on", "relative", "notes")


# --- consultations -------------------------------------------------------


def open_consultation(
    session,
    actor: Actor,
    *,
    patient_id: int,
    appointment_id: int | None = None,
    clinician_id: int | None = None,
    diagnoses: list[dict] | None = None,
    **texts,
) -> Consultation:
    """A draft consultation, committed; from an appointment, the patient is marked arrived."""
    require(actor, WRITE, CONSULTATIONS)
    _check_texts(texts)
    clinician = _clinician(session, actor, clinician_id)
    if session.get(Patient, patient_id) is None:
        raise ConstraintViolation("patient_id", f"No patient {patient_id}.")
    appointment = None
    if appointment_id is not None:
        appointment = session.get(Appointment, appointment_id)
        if appointment is None:
            raise ConstraintViolation("appointment_id", f"No appointment {appointment_id}.")
        if appointment.patient_id != patient_id:
            raise ConstraintViolation("appointment_id", "This appointment is another patient's.")
    lines = _diagnoses(diagnoses or [])

    def change() -> Consultation:
        consultation = Consultation(
            patient_id=patient_id, clinician_id=clinician, appointment_id=appointment_id, **texts
        )
        consultation.diagnoses = lines
        session.add(consultation)
        if _may_mark(session, actor, appointment, ("scheduled", "confirmed", "no_show")):
            appointment.status = "arrived"
        return consultation

    return run_and_commit(session, change)


def update_consultation(session, actor: Actor, consultation_id: int, *, changes: dict) -> Consultation:
    """Change a draft: its texts, and `diagnoses` (when given, replaces them all)."""
    unknown = set(changes) - {*CONSULTATION_TEXTS, "diagnoses"}
    if unknown:
        raise ConstraintViolation(sorted(unknown)[0], "This field cannot be changed here.")
    consultation = _writable_draft(session, actor, consultation_id)
    texts = {name: value for name, value in changes.items() if name != "diagnoses"}
    _check_texts(texts)
    lines = _diagnoses(changes["diagnoses"]) if "diagnoses" in changes else None

    def change() -> Consultation:
        for name, value in texts.items():
            setattr(consultation, name, value)
        if lines is not None:
            consultation.diagnoses = []
            session.flush()  # the old codes out first: the new list may repeat one
            consultation.diagnoses = lines
        return consultation

    return run_and_commit(session, change)


def sign_consultation(session, actor: Actor, consultation_id: int) -> Consultation:
    """Sign a draft (by its clinician, with their own login): it never changes
    again; its appointment is completed and its diagnoses join the problem list."""
    consultation = get_consultation(session, actor, consultation_id)
    if consultation.status != "draft":
        raise ConstraintViolation("status", "This consultation is already signed: add an addendum to it.")
    if not access.may_sign(session, actor, consultation):
        raise Forbidden("Only the consultation's clinician signs it, with their own login.")
    if not consultation.reason:
        raise ConstraintViolation("reason", "Give the reason for the consultation before signing it.")

    def change() -> Consultation:
        consultation.status = "signed"
        consultation.signed_by_id = actor.user_id
        appointment = session.get(Appointment, consultation.appointment_id) if consultation.appointment_id else None
        if _may_mark(session, actor, appointment, ("arrived",)):
            appointment.status = "completed"
        session.flush()
        _feed_problem_list(session, actor, consultation)
        return consultation

    return run_and_commit(session, change)


def add_addendum(session, actor: Actor, consultation_id: int, *, body: str | None) -> ConsultationAddendum:
    """Amend a signed consultation: the addendum is kept beside the original, which stays as signed."""
    consultation = get_consultation(session, actor, consultation_id)
    if not access.may_add_addendum(session, actor):
        raise Forbidden("Only a clinician writing consultations adds an addendum, in their own name.")
    if consultation.status != "signed":
        raise ConstraintViolation("status", "This consultation is a draft: change it directly.")
    if not (body or "").strip():
        raise ConstraintViolation("body", "Write the addendum.")
    author = access.own_staff_id(session, actor)

    def change() -> ConsultationAddendum:
        addendum = ConsultationAddendum(consultation_id=consultation.id, author_id=author, body=body)
        session.add(addendum)
        return addendum

    return run_and_commit(session, change)


def delete_draft(session, actor: Actor, consultation_id: int) -> None:
    consultation = _writable_draft(session, actor, consultation_id)
    run_and_commit(session, lambda: session.delete(consultation))


def get_consultation(session, actor: Actor, consultation_id: int) -> Consultation:
    require(actor, READ, CONSULTATIONS)
    consultation = session.get(Consultation, consultation_id)
    if consultation is None:
        raise NotFound(f"No consultation {consultation_id}.")
    return consultation


# The patient's consultations, the latest first.
CONSULTATION_ORDER = (Consultation.started_at.desc(), Consultation.id.desc())


def patient_consultations(session, actor: Actor, patient_id: int) -> list[Consultation]:
    require(actor, READ, CONSULTATIONS)
    return list(
        session.scalars(
            sa.select(Consultation)
            .options(joinedload(Consultation.clinician))
            .where(Consultation.patient_id == patient_id)
            .order_by(*CONSULTATION_ORDER)
        )
    )


def _writable_draft(session, actor: Actor, consultation_id: int) -> Consultation:
    consultation = get_consultation(session, actor, consultation_id)
    if not access.may_write_consultation(session, actor, consultation):
        raise Forbidden(NOT_YOURS)
    if consultation.status != "draft":
        raise ConstraintViolation("status", "This consultation is signed: it never changes, add an addendum to it.")
    return consultation


def _clinician(session, actor: Actor, requested: int | None) -> int:
    own = access.own_staff_id(session, actor, "doctor")
    if not access.is_admin(actor):
        if own is None:
            raise Forbidden("Your login is not linked to an active doctor.")
        if requested not in (None, own):
            raise Forbidden("A doctor writes consultations in their own name.")
        return own
    clinician = requested or own
    if clinician is None:
        raise ConstraintViolation("clinician_id", "Choose the clinician.")
    return clinician


def _may_mark(session, actor: Actor, appointment: Appointment | None, from_statuses: tuple[str, ...]) -> bool:
    """Whether the consultation moves its appointment on (arrived, completed):
    from these statuses, and only for who may write that doctor's agenda."""
    return (
        appointment is not None
        and appointment.status in from_statuses
        and agenda_access.may_write_agenda(session, actor, appointment.doctor_id)
    )


def _check_texts(texts: dict) -> None:
    unknown = set(texts) - set(CONSULTATION_TEXTS)
    if unknown:
        raise ConstraintViolation(sorted(unknown)[0], "Unknown field.")


def _diagnoses(items: list[dict]) -> list[ConsultationDiagnosis]:
    """The diagnoses as typed: codes checked against ICD-10, labels from the classification."""
    if len(items) > MAX_DIAGNOSES:
        raise ConstraintViolation("diagnoses", f"{MAX_DIAGNOSES} diagnoses at most.")
    lines, seen = [], set()
    for number, item in enumerate(items, start=1):
        entry = icd10.lookup(item.get("code"))
        if entry is None:
            raise ConstraintViolation(
                "diagnoses", f"Diagnosis {number}: {item.get('code')!r} is not an ICD-10 code (e.g. J45.0)."
            )
        rank = item.get("rank") or "secondary"
        if rank not in DIAGNOSIS_RANKS:
            raise ConstraintViolation("diagnoses", f"Diagnosis {number}: rank is principal or secondary.")
        if entry.code in seen:
            raise ConstraintViolation("diagnoses", f"Diagnosis {number}: {entry.code} is already listed.")
        seen.add(entry.code)
        lines.append(ConsultationDiagnosis(icd10_code=entry.code, label=entry.label, rank=rank))
    if sum(line.rank == "principal" for line in lines) > 1:
        raise ConstraintViolation("diagnoses", "One principal diagnosis at most.")
    return lines


def _feed_problem_list(session, actor: Actor, consultation: Consultation) -> None:
    """Each diagnosis not yet an active problem of the patient becomes one (dated the consultation's day)."""
    active = set(
        session.scalars(
            sa.select(PatientProblem.icd10_code).where(
                PatientProblem.patient_id == consultation.patient_id,
                PatientProblem.status == "active",
                PatientProblem.category == "problem",
                PatientProblem.icd10_code.is_not(None),
            )
        )
    )
    for diagnosis in consultation.diagnoses:
        if diagnosis.icd10_code in active:
            continue
        session.add(
            PatientProblem(
                patient_id=consultation.patient_id,
                icd10_code=diagnosis.icd10_code,
                label=diagnosis.label,
                onset_on=consultation.started_at.date() if consultation.started_at else None,
                source_diagnosis_id=diagnosis.id,
                recorded_by_id=actor.user_id,
            )
        )


# --- problem list and history -------------------------------------------


def record_problem(session, actor: Actor, *, patient_id: int, **values) -> PatientProblem:
    """A problem or a line of history: ICD-10 coded (the label defaults to
    the classification's) or free text (then flagged uncoded)."""
    require(actor, WRITE, PROBLEMS)
    if session.get(Patient, patient_id) is None:
        raise ConstraintViolation("patient_id", f"No patient {patient_id}.")
    values = _problem_values(values)
    if not values.get("label"):
        raise ConstraintViolation("label", "Describe the problem, or give its ICD-10 code.")

    def change() -> PatientProblem:
        problem = PatientProblem(patient_id=patient_id, recorded_by_id=actor.user_id, **values)
        session.add(problem)
        return problem

    return run_and_commit(session, change)


def update_problem(session, actor: Actor, problem_id: int, *, changes: dict) -> PatientProblem:
    """Change a problem (resolve it: status resolved and the date)."""
    require(actor, WRITE, PROBLEMS)
    problem = get_problem(session, actor, problem_id)
    values = _problem_values(changes)

    def change() -> PatientProblem:
        for name, value in values.items():
            setattr(problem, name, value)
        return problem

    return run_and_commit(session, change)


def delete_problem(session, actor: Actor, problem_id: int) -> None:
    """A line recorded by mistake (a resolved problem is resolved, not deleted)."""
    require(actor, WRITE, PROBLEMS)
    problem = get_problem(session, actor, problem_id)
    run_and_commit(session, lambda: session.delete(problem))


def get_problem(session, actor: Actor, problem_id: int) -> PatientProblem:
    require(actor, READ, PROBLEMS)
    problem = session.get(PatientProblem, problem_id)
    if problem is None:
        raise NotFound(f"No problem {problem_id}.")
    return problem


def patient_problems(session, actor: Actor, patient_id: int, *, status: str | None = None) -> list[PatientProblem]:
    require(actor, READ, PROBLEMS)
    return list(session.scalars(problems_query(patient_id, status).order_by(*PROBLEM_ORDER)))


# By category, the active first, the latest onset first.
PROBLEM_ORDER = (PatientProblem.category, PatientProblem.status, PatientProblem.onset_on.desc().nulls_last())


def problems_query(patient_id: int, status: str | None = None) -> sa.Select:
    query = sa.select(PatientProblem).where(PatientProblem.patient_id == patient_id)
    return query.where(PatientProblem.status == status) if status else query


def _problem_values(values: dict) -> dict:
    unknown = set(values) - set(PROBLEM_FIELDS)
    if unknown:
        raise ConstraintViolation(sorted(unknown)[0], "This field cannot be set here.")
    values = dict(values)
    if values.get("category") is not None and values["category"] not in PROBLEM_CATEGORIES:
        raise ConstraintViolation("category", "Category: " + ", ".join(PROBLEM_CATEGORIES) + ".")
    if values.get("status") is not None and values["status"] not in PROBLEM_STATUSES:
        raise ConstraintViolation("status", "Status: active or resolved.")
    if values.get("icd10_code"):
        entry = icd10.lookup(values["icd10_code"])
        if entry is None:
            raise ConstraintViolation("icd10_code", f"{values['icd10_code']!r} is not an ICD-10 code (e.g. J45.0).")
        values["icd10_code"] = entry.code
        values["label"] = values.get("label") or entry.label
    elif "icd10_code" in values:
        values["icd10_code"] = None  # free text: flagged uncoded by the database (is_coded)
    if values.get("status") == "active" and "resolved_on" not in values:
        values["resolved_on"] = None
    return values


# --- observations --------------------------------------------------------


def record_observation(
    session,
    actor: Actor,
    *,
    patient_id: int,
    kind: str,
    value: Decimal,
    diastolic: Decimal | None = None,
    measured_at: datetime | None = None,
    note: str | None = None,
) -> Observation:
    """One measurement; the database refuses a value out of bounds (422 on `value`, naming the kind's range)."""
    require(actor, WRITE, OBSERVATIONS)
    if session.get(Patient, patient_id) is None:
        raise ConstraintViolation("patient_id", f"No patient {patient_id}.")

    def change() -> Observation:
        observation = Observation(
            patient_id=patient_id,
            kind=kind,
            value=value,
            diastolic=diastolic,
            note=note,
            recorded_by_id=actor.user_id,
        )
        if measured_at is not None:
            observation.measured_at = measured_at
        session.add(observation)
        return observation

    return run_and_commit(session, change)


def get_observation(session, actor: Actor, observation_id: int) -> Observation:
    require(actor, READ, OBSERVATIONS)
    observation = session.get(Observation, observation_id)
    if observation is None:
        raise NotFound(f"No observation {observation_id}.")
    return observation


def patient_observations(
    session, actor: Actor, patient_id: int, *, kind: str | None = None, since: date | None = None
) -> list[Observation]:
    """Oldest first (a chart's order)."""
    require(actor, READ, OBSERVATIONS)
    query = sa.select(Observation).where(Observation.patient_id == patient_id)
    if kind:
        query = query.where(Observation.kind == kind)
    if since:
        query = query.where(Observation.measured_at >= since)
    return list(session.scalars(query.order_by(Observation.measured_at, Observation.id)))


def latest_observations(session, actor: Actor, patient_id: int) -> dict[str, Observation]:
    """The last measurement of each kind."""
    require(actor, READ, OBSERVATIONS)
    rows = session.scalars(latest_observations_query(patient_id).order_by(*LATEST_FIRST_BY_KIND))
    return {row.kind: row for row in rows}


# DISTINCT ON (kind) keeps each kind's first row in this order: its latest.
LATEST_FIRST_BY_KIND = (Observation.kind, Observation.measured_at.desc(), Observation.id.desc())


def latest_observations_query(patient_id: int) -> sa.Select:
    """Unordered: DISTINCT ON needs LATEST_FIRST_BY_KIND as its ORDER BY."""
    return sa.select(Observation).where(Observation.patient_id == patient_id).distinct(Observation.kind)


class ConsultationRules(RecordRules):
    """FAB's own delete on the consultations screen and API: a draft, by its writer."""

    def delete(self, session, actor: Actor, item, *, reason=None, expected_version=None) -> None:
        delete_draft(session, actor, item.id)


class ProblemRules(RecordRules):
    def delete(self, session, actor: Actor, item, *, reason=None, expected_version=None) -> None:
        delete_problem(session, actor, item.id)


CONSULTATION_RULES = ConsultationRules(CONSULTATIONS)
PROBLEM_RULES = ProblemRules(PROBLEMS)
OBSERVATION_RULES = RecordRules(OBSERVATIONS)


def search_icd10(session, actor: Actor, term: str, limit: int = icd10.DEFAULT_LIMIT) -> list:
    """ICD-10 entries by code prefix or words: for those who read problem lists."""
    require(actor, READ, PROBLEMS)
    return icd10.search(session, term, limit)
